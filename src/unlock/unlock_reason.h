// Why an unlock attempt ended (or what it waits for): the codes the CLI prints and the JavaScript
// library returns as `reason`.
#pragma once

namespace fu::unlock {

enum class UnlockReason {
  kNone,            // the attempt is still running
  kMatched,         // unlocked
  kNotEnrolled,     // nobody to compare with; nothing was tried
  kLockedOut,       // too many failed attempts; nothing was tried
  kNoFace,          // no face was seen
  kQuality,         // faces were seen, none passed the quality checks (see the name)
  kNotRecognised,   // good faces were seen, none matched well enough
  kLivenessFailed,  // a face matched but the liveness challenge failed (no head turn in time,
                    // or a different face appeared during it)
};

// Stable names: "matched", "not-enrolled", "locked-out", "no-face", "timeout" (not recognised
// before the attempt ended; the JavaScript library's name since its first version),
// "liveness-failed". kQuality has none of its own: callers report the quality issue's name
// (face::quality_issue_name). "" for kNone and kQuality.
const char* unlock_reason_name(UnlockReason reason);

}  // namespace fu::unlock
