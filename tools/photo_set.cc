#include "photo_set.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "base/error.h"
#include "cli.h"

namespace fu::tools {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> identity_folders(const std::string& root) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(root, ec)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  if (ec) throw Error("cannot list identity folders (" + root + "): " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

// Every image file in the identity's folder, sorted (any name: LFW's naming is not assumed).
std::vector<std::string> folder_images(const std::string& root, const std::string& identity) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(fs::path(root) / identity, ec)) {
    std::string ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".pgm" || ext == ".ppm" ||
        ext == ".bmp") {
      files.push_back(e.path().string());
    }
  }
  if (ec) {
    throw Error("cannot list images of identity (" + (fs::path(root) / identity).string() +
                "): " + ec.message());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

PhotoSetSpec parse_population(const std::string& text) {
  PhotoSetSpec spec;
  const std::size_t colon = text.find(':');
  spec.root = text.substr(0, colon);
  if (colon != std::string::npos) {
    for (const std::string& file : split(text.substr(colon + 1), '+')) {
      if (!file.empty()) spec.pairs_files.push_back(file);
    }
  }
  if (spec.root.empty()) {
    throw UsageError("--population '" + text + "': expected DIR or DIR:PAIRS[+PAIRS...]");
  }
  return spec;
}

PhotoSet load_photo_set(const PhotoSetSpec& spec) {
  PhotoSet set;
  set.name = fs::path(spec.root).lexically_normal().filename().string();
  if (set.name.empty()) set.name = fs::path(spec.root).parent_path().filename().string();
  std::vector<std::string> names;
  for (const std::string& file : spec.pairs_files) {
    names.push_back(fs::path(file).filename().string());
    const std::vector<train::LfwPair> pairs = train::read_lfw_pairs(file, spec.root);
    set.pairs.insert(set.pairs.end(), pairs.begin(), pairs.end());
  }
  if (!names.empty()) set.name += " (" + join(names, "+") + ")";
  std::set<std::string> excluded;
  for (const std::string& file : spec.exclude_pairs_files) {
    for (const std::string& name :
         train::lfw_pair_identities(train::read_lfw_pairs(file, spec.root))) {
      excluded.insert(name);
    }
  }
  if (!excluded.empty()) {
    std::vector<std::string> files;
    for (const std::string& f : spec.exclude_pairs_files) {
      files.push_back(fs::path(f).filename().string());
    }
    set.name += " without the identities of " + join(files, "+");
  }

  std::map<std::string, int> label_of;
  auto add = [&](const std::string& path, const std::string& identity) {
    if (excluded.count(identity)) return;
    const int label = label_of.emplace(identity, static_cast<int>(label_of.size())).first->second;
    set.paths.push_back(path);
    set.labels.push_back(label);
  };
  if (spec.pairs_files.empty()) {
    for (const std::string& identity : identity_folders(spec.root)) {
      for (const std::string& path : folder_images(spec.root, identity)) add(path, identity);
    }
  } else if (spec.named_photos_only) {
    std::set<std::string> seen;
    for (const train::LfwPair& p : set.pairs) {
      if (seen.insert(p.path_a).second) add(p.path_a, p.name_a);
      if (seen.insert(p.path_b).second) add(p.path_b, p.name_b);
    }
  } else {
    for (const std::string& identity : train::lfw_pair_identities(set.pairs)) {
      for (const std::string& path : folder_images(spec.root, identity)) add(path, identity);
    }
  }
  set.identities = label_of.size();
  if (set.paths.empty()) {
    throw Error("cannot load photos (" + set.name + "): no image files" +
                (excluded.empty() ? "" : " once the excluded identities are left out"));
  }
  return set;
}

}  // namespace fu::tools
