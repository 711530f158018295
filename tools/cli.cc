#include "cli.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>

#include "base/error.h"

namespace fu::tools {

namespace {

const FlagSpec* find_flag(const CommandSpec& spec, const std::string& name) {
  for (const FlagSpec& f : spec.flags) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

std::string ParsedArgs::get(const std::string& flag, const std::string& fallback) const {
  auto it = values_.find(flag);
  return it == values_.end() ? fallback : it->second;
}

std::vector<std::string> ParsedArgs::get_all(const std::string& flag) const {
  auto it = all_values_.find(flag);
  return it == all_values_.end() ? std::vector<std::string>{} : it->second;
}

std::string ParsedArgs::require(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) throw UsageError("missing " + flag);
  return it->second;
}

std::int64_t ParsedArgs::get_int(const std::string& flag, std::int64_t fallback,
                                 std::int64_t min_value, std::int64_t max_value) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return fallback;
  const std::string& text = it->second;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < min_value || v > max_value) {
    throw UsageError(flag + " is '" + text + "', expected a whole number from " +
                     std::to_string(min_value) + " to " + std::to_string(max_value));
  }
  return v;
}

double ParsedArgs::get_double(const std::string& flag, double fallback, double min_value,
                              double max_value) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return fallback;
  const std::string& text = it->second;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  // The negated comparisons also reject NaN.
  if (text.empty() || *end != '\0' || errno != 0 || !(v >= min_value) || !(v <= max_value)) {
    std::ostringstream range;
    range << min_value << " to " << max_value;
    throw UsageError(flag + " is '" + text + "', expected a number from " + range.str());
  }
  return v;
}

ParsedArgs parse_args(const CommandSpec& spec, const std::vector<std::string>& args) {
  ParsedArgs parsed;
  bool flags_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    // A lone "-" is a positional (conventionally stdin/stdout), not a flag.
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      parsed.positionals_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      parsed.values_["--help"] = "";
      continue;
    }
    const std::size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const FlagSpec* flag = find_flag(spec, name);
    if (flag == nullptr) throw UsageError("unknown option " + name);
    if (flag->value.empty()) {
      if (eq != std::string::npos) throw UsageError(name + " takes no value");
      parsed.values_[name] = "";
    } else if (eq != std::string::npos) {
      parsed.values_[name] = arg.substr(eq + 1);
      parsed.all_values_[name].push_back(parsed.values_[name]);
    } else {
      // The next word is the value even when it starts with '-', so "--seed -1" reaches the
      // range check and gets a precise message instead of "unknown option -1".
      if (i + 1 >= args.size()) throw UsageError(name + " needs a value (" + flag->value + ")");
      parsed.values_[name] = args[++i];
      parsed.all_values_[name].push_back(parsed.values_[name]);
    }
  }
  if (parsed.has("--help")) return parsed;
  const std::size_t want = spec.positionals.size();
  const std::size_t got = parsed.positionals_.size();
  if (got < want) throw UsageError("missing " + spec.positionals[got]);
  // A last positional named "IMAGE..." takes one or more values.
  const bool variadic =
      want > 0 && spec.positionals.back().size() > 3 &&
      spec.positionals.back().compare(spec.positionals.back().size() - 3, 3, "...") == 0;
  if (got > want && !variadic) {
    throw UsageError("unexpected argument '" + parsed.positionals_[want] + "'");
  }
  return parsed;
}

std::string help_text(const CommandSpec& spec) {
  std::ostringstream out;
  out << "usage: faceunlock " << spec.name << ' ' << spec.synopsis << "\n\n"
      << spec.summary << "\n";
  std::vector<FlagSpec> flags = spec.flags;
  flags.push_back({"--help", "", "show this help and exit"});
  std::size_t width = 0;
  for (const FlagSpec& f : flags) {
    width = std::max(width, f.name.size() + (f.value.empty() ? 0 : f.value.size() + 1));
  }
  out << "\noptions:\n";
  for (const FlagSpec& f : flags) {
    const std::string left = f.value.empty() ? f.name : f.name + ' ' + f.value;
    out << "  " << left << std::string(width - left.size() + 2, ' ') << f.help << "\n";
  }
  if (!spec.details.empty()) out << "\n" << spec.details;
  if (!spec.details.empty() && spec.details.back() != '\n') out << "\n";
  return out.str();
}

nn::Backend parse_backend(const std::string& name) {
  const std::optional<nn::Backend> backend = nn::backend_from_name(name);
  std::vector<std::string> available;
  for (nn::Backend b : nn::available_backends()) available.push_back(nn::backend_name(b));
  if (!backend) {
    throw UsageError("unknown backend '" + name + "', expected one of: " + join(available));
  }
  if (!nn::backend_available(*backend)) {
    throw Error("cannot use backend (" + name +
                "): this build does not include it; available: " + join(available));
  }
  return *backend;
}

std::string join(const std::vector<std::string>& names, std::string_view separator) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) s += separator;
    s += names[i];
  }
  return s;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (has_element_.empty()) return;
  if (has_element_.back()) out_ << ',';
  has_element_.back() = true;
  if (compact_) {
    out_ << ' ';
  } else {
    out_ << '\n' << std::string(2 * has_element_.size(), ' ');
  }
}

void JsonWriter::open(char bracket) {
  before_value();
  out_ << bracket;
  has_element_.push_back(false);
}

void JsonWriter::close(char bracket) {
  const bool had_elements = has_element_.back();
  has_element_.pop_back();
  if (had_elements && !compact_) out_ << '\n' << std::string(2 * has_element_.size(), ' ');
  out_ << bracket;
  if (has_element_.empty()) out_ << '\n';
}

JsonWriter& JsonWriter::begin_object() {
  open('{');
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  close('}');
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  open('[');
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  close(']');
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  value(name);
  out_ << ": ";
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
  before_value();
  out_ << '"';
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out_ << "\\\"";
        break;
      case '\\':
        out_ << "\\\\";
        break;
      case '\n':
        out_ << "\\n";
        break;
      case '\t':
        out_ << "\\t";
        break;
      case '\r':
        out_ << "\\r";
        break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out_ << escaped;
        } else {
          // Bytes >= 0x80 pass through: model metadata is UTF-8 and JSON is too.
          out_ << ch;
        }
    }
  }
  out_ << '"';
  return *this;
}

void JsonWriter::write_number(double number, bool as_float) {
  if (!std::isfinite(number)) {
    out_ << "null";
    return;
  }
  // The shortest of a few precisions that reads back as the same value keeps figures short.
  char text[32];
  for (int digits : {6, 9, 17}) {
    std::snprintf(text, sizeof text, "%.*g", digits, number);
    const double back = std::strtod(text, nullptr);
    if (as_float ? static_cast<float>(back) == static_cast<float>(number) : back == number) break;
  }
  out_ << text;
}

JsonWriter& JsonWriter::value(double number) {
  before_value();
  write_number(number, /*as_float=*/false);
  return *this;
}

JsonWriter& JsonWriter::value(float number) {
  before_value();
  write_number(number, /*as_float=*/true);
  return *this;
}

JsonWriter& JsonWriter::value(std::int64_t number) {
  before_value();
  out_ << number;
  return *this;
}

JsonWriter& JsonWriter::value(std::uint64_t number) {
  before_value();
  out_ << number;
  return *this;
}

JsonWriter& JsonWriter::value(bool flag) {
  before_value();
  out_ << (flag ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::shape(int n, int h, int w, int c) {
  before_value();
  out_ << '[' << n << ", " << h << ", " << w << ", " << c << ']';
  return *this;
}

JsonWriter& JsonWriter::floats(const std::vector<float>& numbers) {
  before_value();
  out_ << '[';
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    if (i) out_ << ", ";
    write_number(numbers[i], /*as_float=*/true);
  }
  out_ << ']';
  return *this;
}

}  // namespace fu::tools
