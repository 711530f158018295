// `faceunlock users` lists a gallery's users; `faceunlock remove` deletes one.
#include <iostream>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "gallery_cli.h"

namespace fu::tools {
namespace {

CommandSpec users_spec() {
  return {kUsersCommand.name,
          "--gallery FILE [--json]",
          kUsersCommand.summary,
          "",
          {},
          {gallery_flag(), {"--json", "", "print JSON"}}};
}

int run_users(const ParsedArgs& parsed) {
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

CommandSpec remove_spec() {
  return {kRemoveCommand.name,
          "--gallery FILE --user NAME",
          kRemoveCommand.summary,
          "",
          {},
          {gallery_flag(), {"--user", "NAME", "the user to remove (required)"}}};
}

int run_remove(const ParsedArgs& parsed) {
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

const Command kUsersCommand = {"users", "list the users of a gallery", users_spec, run_users};
const Command kRemoveCommand = {"remove", "remove a user from a gallery", remove_spec, run_remove};

}  // namespace fu::tools
