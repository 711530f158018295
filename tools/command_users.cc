// `faceunlock users` lists a gallery's users; `faceunlock remove` deletes one.
#include <iostream>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "gallery_cli.h"

namespace fu::tools {
namespace {

int run_users(const std::vector<std::string>& args) {
  const CommandSpec spec{kUsersCommand.name,
                         "--gallery FILE [--json]",
                         kUsersCommand.summary,
                         "",
                         {},
                         {gallery_flag(), {"--json", "", "print JSON"}}};
  const ParsedArgs parsed = parse_args(spec, args);
  if (parsed.has("--help")) {
    std::cout << help_text(spec);
    return kExitOk;
  }
  const unlock::Gallery gallery = open_gallery(parsed, false);
  if (parsed.has("--json")) {
    JsonWriter out(std::cout);
    out.begin_object().key("dimension").value(static_cast<std::uint64_t>(gallery.dimension()));
    out.key("users").begin_array();
    for (const std::string& user : gallery.users()) {
      out.begin_object().key("user").value(user);
      out.key("templates").value(static_cast<std::uint64_t>(gallery.template_count(user)));
      out.end_object();
    }
    out.end_array().end_object();
  } else {
    std::cout << gallery.user_count() << (gallery.user_count() == 1 ? " user" : " users") << "\n";
    for (const std::string& user : gallery.users()) {
      std::cout << "  " << user << "  (" << gallery.template_count(user) << " templates)\n";
    }
  }
  return kExitOk;
}

int run_remove(const std::vector<std::string>& args) {
  const CommandSpec spec{kRemoveCommand.name,
                         "--gallery FILE --user NAME",
                         kRemoveCommand.summary,
                         "",
                         {},
                         {gallery_flag(), {"--user", "NAME", "the user to remove (required)"}}};
  const ParsedArgs parsed = parse_args(spec, args);
  if (parsed.has("--help")) {
    std::cout << help_text(spec);
    return kExitOk;
  }
  unlock::Gallery gallery = open_gallery(parsed, false);
  const std::string user = parsed.require("--user");
  if (!gallery.remove(user)) {
    throw Error("cannot remove user (" + user + "): not enrolled in " +
                parsed.get("--gallery", ""));
  }
  gallery.save(parsed.get("--gallery", ""));
  std::cout << "removed " << user << "\n";
  return kExitOk;
}

}  // namespace

const Command kUsersCommand = {"users", "list the users of a gallery", run_users};
const Command kRemoveCommand = {"remove", "remove a user from a gallery", run_remove};

}  // namespace fu::tools
