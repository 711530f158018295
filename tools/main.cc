// `faceunlock`: the native command-line tool. This file only picks the subcommand, parses its
// arguments against its spec (answering --help) and turns what it throws into a message and an
// exit code; the work is in command_<name>.cc.
#include <algorithm>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "base/error.h"
#include "cli.h"
#include "commands.h"

// cmake/install.cmake defines it from package.json's version.
#ifndef FACEUNLOCK_VERSION
#define FACEUNLOCK_VERSION "unknown"
#endif

namespace fu::tools {
namespace {

// The order here is the order of `faceunlock --help`.
const Command* const kCommands[] = {
    &kDetectCommand,  &kEmbedCommand,    &kEnrollCommand,   &kVerifyCommand,    &kIdentifyCommand,
    &kUsersCommand,   &kRemoveCommand,   &kEvalCommand,     &kCalibrateCommand, &kFarCommand,
    &kTrainCommand,   &kQuantizeCommand, &kCompressCommand, &kPruneCommand,     &kCompareCommand,
    &kInfoCommand,    &kRunCommand,      &kSampleCommand,   &kBenchCommand,     &kBenchTrainCommand,
    &kConvertCommand, &kUnlockCommand,
};

const Command* find_command(const std::string& name) {
  for (const Command* c : kCommands) {
    if (name == c->name) return c;
  }
  return nullptr;
}

void print_usage(std::ostream& out) {
  out << "usage: faceunlock COMMAND [options]\n\n"
         "Face unlock on the command line: detect, embed, enroll and verify faces; "
         "evaluate,\ncalibrate, convert, inspect, run and time models.\n\n"
         "commands:\n";
  std::size_t width = 0;
  for (const Command* c : kCommands) width = std::max(width, std::strlen(c->name));
  for (const Command* c : kCommands) {
    out << "  " << c->name << std::string(width - std::strlen(c->name) + 2, ' ') << c->summary
        << "\n";
  }
  out << "\nRun 'faceunlock COMMAND --help' for a command's options, 'faceunlock --version' "
         "for the version.\n\n"
         "models: the detector and embedder come from $FACEUNLOCK_MODELS if set, else the\n"
         "models installed with this program (PREFIX/share/faceunlock/models), else a models/\n"
         "folder above the current directory; --detector and --model name other files.\n\n"
         "exit status:\n"
         "  "
      << kExitOk << "  success (verify, identify, unlock: the face was accepted)\n  "
      << kExitFailure
      << "  the work failed (unreadable file, bad model, no face where one is needed, ...)\n  "
      << kExitUsage << "  the command line is wrong (unknown command or option, missing value)\n  "
      << kExitRejected << "  verify, identify, unlock: ran fine, but the face did not match\n";
}

int run_command(const Command& command, const std::vector<std::string>& args) {
  const std::string prefix = std::string("faceunlock ") + command.name + ": ";
  try {
    // Parsed inside the try: a wrong command line is a UsageError like the ones run throws.
    const CommandSpec spec = command.spec();
    const ParsedArgs parsed = parse_args(spec, args);
    if (parsed.has("--help")) {
      std::cout << help_text(spec);
      return kExitOk;
    }
    return command.run(parsed);
  } catch (const UsageError& e) {
    std::cerr << prefix << e.what() << "\nRun 'faceunlock " << command.name
              << " --help' for usage.\n";
    return kExitUsage;
  } catch (const Error& e) {
    std::cerr << prefix << e.what() << "\n";
    return kExitFailure;
  } catch (const std::bad_alloc&) {
    std::cerr << prefix << "out of memory\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    // Not expected from src/ (it reports with fu::Error), but a message beats an abort.
    std::cerr << prefix << "unexpected error: " << e.what() << "\n";
    return kExitFailure;
  }
}

int main_impl(int argc, char** argv) {
  if (argc < 2) {
    print_usage(std::cerr);
    return kExitUsage;
  }
  std::string name = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (name == "--help" || name == "-h" || (name == "help" && args.empty())) {
    print_usage(std::cout);
    return kExitOk;
  }
  if (name == "--version" || name == "-V") {
    std::cout << "faceunlock " << FACEUNLOCK_VERSION << "\n";
    return kExitOk;
  }
  if (name == "help") {  // "faceunlock help bench" is "faceunlock bench --help"
    name = args[0];
    args = {"--help"};
  }
  const Command* command = find_command(name);
  if (command == nullptr) {
    std::cerr << "faceunlock: unknown command '" << name
              << "'\nRun 'faceunlock --help' for the list of commands.\n";
    return kExitUsage;
  }
  return run_command(*command, args);
}

}  // namespace
}  // namespace fu::tools

int main(int argc, char** argv) { return fu::tools::main_impl(argc, argv); }
