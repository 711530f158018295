// The subcommands of the `faceunlock` CLI. Each lives in its own command_<name>.cc and defines
// one Command; main.cc lists them in one table, so adding a subcommand is its file, one
// declaration here and one line there. Usage mistakes are thrown as UsageError and failures as
// fu::Error; main turns both into messages and exit codes, so commands never report errors
// themselves.
#pragma once

#include <string>
#include <vector>

namespace fu::tools {

struct Command {
  const char* name;
  const char* summary;  // one line, shown by `faceunlock --help` and atop the command's own help
  // Takes the arguments after the command's name; returns the process exit code.
  int (*run)(const std::vector<std::string>& args);
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
