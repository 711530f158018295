// Errors that cross a part's boundary. Every message follows the form
// "cannot <verb> <object> (<value>): <reason>" so that a user knows what to fix.
#pragma once

#include <stdexcept>
#include <string>

namespace fu {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace fu
