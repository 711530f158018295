// The subcommands of the `faceunlock` CLI. Each lives in its own command_<name>.cc and defines
// one Command; main.cc lists them in one table, so adding a subcommand is its file, one
// declaration here and one line there. A command only describes its command line (spec) and does
// the work (run): main parses the arguments against the spec, answers --help with its help text
// and hands run the parsed arguments, so that every command reads and documents its flags the
// same way. Usage mistakes are thrown as UsageError and failures as fu::Error, by the parser as by
// run; main turns both into messages and exit codes, so commands never report errors themselves.
#pragma once

#include "cli.h"

namespace fu::tools {

struct Command {
  const char* name;
  const char* summary;  // one line, shown by `faceunlock --help` and atop the command's own help
  // The flags and positionals the command accepts, and its help text. A function rather than a
  // value: only the spec of the command that runs gets built, and never during static
  // initialisation, since specs call other files' helpers (face_model_flags()) and read Commands.
  CommandSpec (*spec)();
  // Does the work with the arguments after the command's name, parsed against spec(); never
  // called for --help, which main answers. Returns the process exit code.
  int (*run)(const ParsedArgs& parsed);
};

extern const Command kBenchCommand;
extern const Command kBenchTrainCommand;
extern const Command kCalibrateCommand;
extern const Command kDetectCommand;
extern const Command kEmbedCommand;
extern const Command kEnrollCommand;
extern const Command kEvalCommand;
extern const Command kFarCommand;
extern const Command kIdentifyCommand;
extern const Command kRemoveCommand;
extern const Command kUsersCommand;
extern const Command kVerifyCommand;
extern const Command kUnlockCommand;
extern const Command kConvertCommand;
extern const Command kInfoCommand;
extern const Command kRunCommand;
extern const Command kSampleCommand;
extern const Command kTrainCommand;
extern const Command kQuantizeCommand;
extern const Command kPruneCommand;
extern const Command kCompareCommand;
extern const Command kCompressCommand;

}  // namespace fu::tools
