#include "train/lfw_pairs.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/error.h"

namespace fu::train {

namespace {

// LFW numbers images with four digits; larger numbers cannot name a file in the data set.
constexpr int kMaxImageNumber = 9999;
// Protects the allocation below from a hostile header line: the real files have 10 x 300.
constexpr long kMaxPairsPerFile = 1000000;

std::vector<std::string> split_fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> fields;
  std::string field;
  while (in >> field) fields.push_back(field);
  return fields;
}

class LineParser {
 public:
  LineParser(const std::string& label) : object_("cannot parse LFW pairs file (" + label + "): ") {}

  [[noreturn]] void fail(int line, const std::string& reason) const {
    throw Error(object_ + "line " + std::to_string(line) + ": " + reason);
  }

  long whole_number(int line, const std::string& text, long min, long max, const char* what) const {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno != 0 || v < min || v > max) {
      fail(line, std::string(what) + " '" + text + "' is not a whole number from " +
                     std::to_string(min) + " to " + std::to_string(max));
    }
    return v;
  }

  // A person's name becomes a path component, so it must not escape the data root.
  const std::string& name(int line, const std::string& text) const {
    if (text == "." || text == ".." || text.find('/') != std::string::npos ||
        text.find('\\') != std::string::npos) {
      fail(line, "'" + text + "' is not a person's name");
    }
    return text;
  }

 private:
  std::string object_;
};

}  // namespace

std::string lfw_image_path(const std::string& root, const std::string& name, int number) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%04d", number);
  return root + "/" + name + "/" + name + "_" + digits + ".jpg";
}

std::vector<LfwPair> parse_lfw_pairs(const std::string& text, const std::string& data_root,
                                     const std::string& label) {
  const LineParser p(label);
  std::istringstream in(text);
  std::string line;
  int line_number = 0;
  // Skips blank lines (a trailing newline, a file edited by hand).
  auto next_fields = [&]() {
    while (std::getline(in, line)) {
      ++line_number;
      std::vector<std::string> fields = split_fields(line);
      if (!fields.empty()) return fields;
    }
    return std::vector<std::string>{};
  };

  const std::vector<std::string> header = next_fields();
  if (header.empty()) p.fail(line_number + 1, "the file is empty");
  if (header.size() > 2) {
    p.fail(line_number, "header has " + std::to_string(header.size()) +
                            " fields, expected 'pairs per set' or 'sets pairs per set'");
  }
  const long folds =
      header.size() == 2 ? p.whole_number(line_number, header[0], 1, 100, "set count") : 1;
  const long per_set =
      p.whole_number(line_number, header.back(), 1, kMaxPairsPerFile, "pairs per set");
  if (folds * per_set * 2 > kMaxPairsPerFile) {
    p.fail(line_number, "announces more than " + std::to_string(kMaxPairsPerFile) + " pairs");
  }

  std::vector<LfwPair> pairs;
  pairs.reserve(static_cast<std::size_t>(folds * per_set * 2));
  for (long fold = 0; fold < folds; ++fold) {
    for (long i = 0; i < 2 * per_set; ++i) {
      const bool same = i < per_set;
      const std::vector<std::string> f = next_fields();
      const std::string where = "set " + std::to_string(fold + 1) + " " +
                                (same ? "matched" : "mismatched") + " pair " +
                                std::to_string((same ? i : i - per_set) + 1);
      if (f.empty()) {
        p.fail(line_number + 1, "file ends before " + where + " (the header announces " +
                                    std::to_string(folds) + " sets of " + std::to_string(per_set) +
                                    " matched and " + std::to_string(per_set) +
                                    " mismatched pairs)");
      }
      const std::size_t expected = same ? 3 : 4;
      if (f.size() != expected) {
        p.fail(line_number, where + " has " + std::to_string(f.size()) + " fields, expected " +
                                (same ? "'name n1 n2'" : "'name1 n1 name2 n2'"));
      }
      LfwPair pair;
      pair.same = same;
      pair.fold = static_cast<int>(fold);
      pair.name_a = p.name(line_number, f[0]);
      pair.number_a =
          static_cast<int>(p.whole_number(line_number, f[1], 1, kMaxImageNumber, "image number"));
      pair.name_b = p.name(line_number, same ? f[0] : f[2]);
      pair.number_b = static_cast<int>(
          p.whole_number(line_number, f[same ? 2 : 3], 1, kMaxImageNumber, "image number"));
      if (same && pair.number_a == pair.number_b) {
        p.fail(line_number,
               "matched pair compares image " + std::to_string(pair.number_a) + " with itself");
      }
      if (!same && pair.name_a == pair.name_b) {
        p.fail(line_number, "mismatched pair names one person twice (" + pair.name_a + ")");
      }
      pair.path_a = lfw_image_path(data_root, pair.name_a, pair.number_a);
      pair.path_b = lfw_image_path(data_root, pair.name_b, pair.number_b);
      pairs.push_back(std::move(pair));
    }
  }
  if (!next_fields().empty()) {
    p.fail(line_number, "unexpected line after the " + std::to_string(pairs.size()) +
                            " pairs the header announces");
  }
  return pairs;
}

std::vector<LfwPair> read_lfw_pairs(const std::string& pairs_path, const std::string& data_root) {
  std::ifstream in(pairs_path, std::ios::binary);
  if (!in) {
    throw Error("cannot read LFW pairs file (" + pairs_path + "): " + std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_lfw_pairs(text.str(), data_root, pairs_path);
}

std::vector<std::string> lfw_pair_identities(const std::vector<LfwPair>& pairs) {
  std::set<std::string> names;
  for (const LfwPair& pair : pairs) {
    names.insert(pair.name_a);
    names.insert(pair.name_b);
  }
  return {names.begin(), names.end()};
}

std::vector<LabeledImage> list_identity_images(const std::string& data_root,
                                               const std::vector<std::string>& identities) {
  namespace fs = std::filesystem;
  std::vector<LabeledImage> images;
  for (std::size_t label = 0; label < identities.size(); ++label) {
    const std::string& name = identities[label];
    const fs::path folder = fs::path(data_root) / name;
    std::error_code ec;
    fs::directory_iterator it(folder, ec);
    if (ec) {
      throw Error("cannot list images of identity (" + folder.string() + "): " + ec.message());
    }
    // Only <name>_NNNN.jpg counts: other files (thumbnails, notes) are not part of LFW.
    std::vector<int> numbers;
    const std::string prefix = name + "_";
    for (const fs::directory_entry& entry : it) {
      const std::string file = entry.path().filename().string();
      if (file.size() != prefix.size() + 8 || file.compare(0, prefix.size(), prefix) != 0 ||
          file.compare(file.size() - 4, 4, ".jpg") != 0) {
        continue;
      }
      const std::string digits = file.substr(prefix.size(), 4);
      if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        continue;
      }
      numbers.push_back(std::stoi(digits));
    }
    if (numbers.empty()) {
      throw Error("cannot list images of identity (" + folder.string() + "): no file named " +
                  prefix + "NNNN.jpg");
    }
    std::sort(numbers.begin(), numbers.end());
    for (int number : numbers) {
      images.push_back({lfw_image_path(data_root, name, number), name, static_cast<int>(label)});
    }
  }
  return images;
}

}  // namespace fu::train
