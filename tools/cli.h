// What every subcommand of the `faceunlock` CLI shares: its description (usage, flags), a parser
// that turns the command line into values or a usage error, and a small JSON writer for --json.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "nn/executor.h"

namespace fu::tools {

// Exit codes. Scripts and the Node tests tell a wrong command line (fix the call) from a failure
// of the work itself (fix the input), so the two must never share a code.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // a fu::Error or any other failure while working
constexpr int kExitUsage = 2;    // the command line itself is wrong
// verify/identify ran fine and the face did not match: scripts can branch on it, like grep's 1.
constexpr int kExitRejected = 3;

// The command line is wrong: main prints the message and a hint to --help, then exits kExitUsage.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& message) : std::runtime_error(message) {}
};

struct FlagSpec {
  std::string name;   // with dashes: "--backend"
  std::string value;  // placeholder shown in help ("NAME"); empty for a switch without value
  std::string help;
};

struct CommandSpec {
  std::string name;                      // "bench"
  std::string synopsis;                  // "MODEL --input FILE.f32 --output FILE.f32 [options]"
  std::string summary;                   // one line for the top-level list
  std::string details;                   // free text after the flag list; may be empty
  std::vector<std::string> positionals;  // names of the required positional arguments, in order
  std::vector<FlagSpec> flags;           // --help is implied
};

class ParsedArgs {
 public:
  const std::vector<std::string>& positionals() const { return positionals_; }
  const std::string& positional(std::size_t index) const { return positionals_.at(index); }

  bool has(const std::string& flag) const { return values_.count(flag) != 0; }
  std::string get(const std::string& flag, const std::string& fallback) const;
  // Every value of a flag given several times (`--data A --data B`), in order; get() returns the
  // last.
  std::vector<std::string> get_all(const std::string& flag) const;
  // Throws UsageError naming the flag when it is absent.
  std::string require(const std::string& flag) const;
  // Throw UsageError when the value is not a number in [min_value, max_value].
  std::int64_t get_int(const std::string& flag, std::int64_t fallback, std::int64_t min_value,
                       std::int64_t max_value) const;
  double get_double(const std::string& flag, double fallback, double min_value,
                    double max_value) const;

 private:
  friend ParsedArgs parse_args(const CommandSpec& spec, const std::vector<std::string>& args);

  std::vector<std::string> positionals_;
  std::map<std::string, std::string> values_;  // a switch maps to ""
  std::map<std::string, std::vector<std::string>> all_values_;
};

// Accepts "--flag value" and "--flag=value"; "--" ends the flags. Throws UsageError for an
// unknown flag, a missing value, a value given to a switch, or a wrong number of positionals.
// "--help" anywhere is recorded as a switch and skips the positional count check, so that
// `faceunlock run --help` works without a model.
ParsedArgs parse_args(const CommandSpec& spec, const std::vector<std::string>& args);

std::string help_text(const CommandSpec& spec);

// Parses a backend name. An unknown name is a UsageError; a known backend that this build lacks
// is a fu::Error, since the command line was right but the binary cannot serve it.
nn::Backend parse_backend(const std::string& name);

// Names joined with ", " for messages and help texts.
std::string join(const std::vector<std::string>& names, std::string_view separator = ", ");
std::vector<std::string> split(const std::string& text, char separator);

// Writes indented JSON to a stream. The caller nests begin/end calls correctly; the writer only
// tracks where commas and line breaks go.
class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}
  // compact: the whole document on one line (JSON lines, one per event).
  JsonWriter(std::ostream& out, bool compact) : out_(out), compact_(compact) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  // NaN and infinities become null, as JSON has neither. A float prints with the digits that
  // round-trip a float, so 1/255 stays 0.00392157 instead of growing float noise.
  JsonWriter& value(double number);
  JsonWriter& value(float number);
  JsonWriter& value(std::int64_t number);
  JsonWriter& value(std::uint64_t number);
  JsonWriter& value(int number) { return value(static_cast<std::int64_t>(number)); }
  JsonWriter& value(bool flag);

  // Arrays of numbers on one line: a shape or a per-channel vector reads as one value.
  JsonWriter& shape(int n, int h, int w, int c);
  JsonWriter& floats(const std::vector<float>& numbers);

 private:
  void before_value();
  void write_number(double number, bool as_float);
  void open(char bracket);
  // Ends the document with a newline once the outermost container is closed.
  void close(char bracket);

  std::ostream& out_;
  // One entry per open container: whether it already holds an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
  bool compact_ = false;
};

}  // namespace fu::tools
