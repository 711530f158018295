#include "unlock/unlock_reason.h"

namespace fu::unlock {

const char* unlock_reason_name(UnlockReason reason) {
  switch (reason) {
    case UnlockReason::kMatched:
      return "matched";
    case UnlockReason::kNotEnrolled:
      return "not-enrolled";
    case UnlockReason::kLockedOut:
      return "locked-out";
    case UnlockReason::kNoFace:
      return "no-face";
    case UnlockReason::kNotRecognised:
      return "timeout";
    case UnlockReason::kLivenessFailed:
      return "liveness-failed";
    case UnlockReason::kNone:
    case UnlockReason::kQuality:
      break;
  }
  return "";
}

}  // namespace fu::unlock
