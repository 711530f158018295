#include "unlock/fusion.h"

#include <map>

#include "base/error.h"

namespace fu::unlock {

FrameMatch frame_match(const Decision& decision) {
  return FrameMatch{decision.user, decision.score, decision.accepted};
}

DecisionFusion::DecisionFusion(int required, int window) : required_(required), window_(window) {
  const std::string value =
      "required " + std::to_string(required) + " of window " + std::to_string(window);
  if (window < 1 || window > kMaxFusionWindow) {
    throw Error("cannot create decision fusion (" + value + "): the window must be 1 to " +
                std::to_string(kMaxFusionWindow) + " frames");
  }
  if (required < 1 || required > window) {
    throw Error("cannot create decision fusion (" + value +
                "): required must be 1 to the window's length");
  }
}

void DecisionFusion::add(const FrameMatch& match) {
  if (frames_.size() >= static_cast<std::size_t>(window_)) frames_.pop_front();
  frames_.push_back(match);
}

FusedDecision DecisionFusion::fused() const {
  std::map<std::string, int> votes;
  FusedDecision result;
  // Walking oldest to newest with >= lets a later frame win a tie: the user in front of the
  // camera now is the likelier one.
  for (const FrameMatch& frame : frames_) {
    if (!frame.accepted || frame.user.empty()) continue;
    const int count = ++votes[frame.user];
    if (count >= result.frames) {
      result.user = frame.user;
      result.frames = count;
    }
  }
  result.accepted = result.frames >= required_;
  return result;
}

}  // namespace fu::unlock
