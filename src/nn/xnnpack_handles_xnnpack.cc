#include <mutex>

#include "base/error.h"
#include "nn/xnnpack_handles.h"

namespace fu::nn {

const char* xnnpack_status_name(xnn_status status) {
  switch (status) {
    case xnn_status_success:
      return "xnn_status_success";
    case xnn_status_uninitialized:
      return "xnn_status_uninitialized";
    case xnn_status_invalid_parameter:
      return "xnn_status_invalid_parameter";
    case xnn_status_invalid_state:
      return "xnn_status_invalid_state";
    case xnn_status_unsupported_parameter:
      return "xnn_status_unsupported_parameter";
    case xnn_status_unsupported_hardware:
      return "xnn_status_unsupported_hardware";
    case xnn_status_out_of_memory:
      return "xnn_status_out_of_memory";
  }
  return "unknown xnn_status";
}

void xnnpack_check(xnn_status status, const std::string& action, const std::string& value) {
  if (status != xnn_status_success) {
    throw Error("cannot " + action + " (" + value + "): XNNPACK returned " +
                xnnpack_status_name(status));
  }
}

void initialize_xnnpack() {
  static std::once_flag once;
  static xnn_status status = xnn_status_uninitialized;
  std::call_once(once, [] { status = xnn_initialize(nullptr); });
  xnnpack_check(status, "initialize XNNPACK", "xnn_initialize");
}

}  // namespace fu::nn
