// The multi-frame decision: one camera frame can match by luck (a lucky angle of a look-alike, a
// photo held up for a moment), several frames in a row rarely do. A sliding window keeps the last
// `window` per-frame match results and accepts a user once `required` of them accepted that same
// user.
#pragma once

#include <cstddef>
#include <deque>
#include <string>

#include "unlock/decision.h"

namespace fu::unlock {

// Windows longer than this would take seconds of camera frames to fill or to forget a match.
constexpr int kMaxFusionWindow = 64;

// One frame's match result. `user` is the best-matching user even when not accepted (so a UI can
// show who was nearly matched); empty when there was nobody to compare with.
struct FrameMatch {
  std::string user;
  float score = 0.0f;
  bool accepted = false;
};

FrameMatch frame_match(const Decision& decision);

struct FusedDecision {
  bool accepted = false;
  // The user with the most accepting frames in the window (the most recent such frame breaks
  // ties); empty when no frame in the window accepted anyone.
  std::string user;
  int frames = 0;  // how many frames in the window accepted `user`
};

class DecisionFusion {
 public:
  // Throws fu::Error unless 1 <= window <= kMaxFusionWindow and 1 <= required <= window.
  explicit DecisionFusion(int required = 3, int window = 5);

  // Appends one frame's result, dropping the oldest once the window is full.
  void add(const FrameMatch& match);
  FusedDecision fused() const;
  // Forgets every frame (for example when the user leaves the camera or the device locks again).
  void reset() { frames_.clear(); }

  int required() const { return required_; }
  int window() const { return window_; }
  std::size_t size() const { return frames_.size(); }

 private:
  int required_;
  int window_;
  std::deque<FrameMatch> frames_;  // oldest first
};

}  // namespace fu::unlock
