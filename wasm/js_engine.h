// The object behind the JS `Engine` class (docs/engine-api.md): the whole unlock path of one
// camera frame behind one call. It owns the RGBA frame buffer that JS fills in place, the face
// pipeline, the gallery and the unlock session (src/unlock/unlock_session.h), which makes every
// decision: this class only converts between JS values and C++ ones. Every public method is an
// entry point from JS and reports failures through with_js_errors(); a failed call changes
// nothing.
#pragma once

#include <emscripten/val.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "face/pipeline.h"
#include "nn/model.h"
#include "unlock/gallery.h"
#include "unlock/liveness_bounds.h"
#include "unlock/unlock_session.h"

namespace fu::wasm {

// Largest frame side accepted by frameView(): 4K video is 3840 wide; more is a mistake (or an
// attempt to make the module allocate gigabytes).
constexpr int kMaxFrameSide = 4096;

class JsEngine {
 public:
  // Returns null with a JS Error pending unless both are Uint8Arrays holding valid models, a
  // face detector and a face embedder that fit together, and `options` is undefined or
  // {threads, landmarks}: the threads each network runs on, 1 (the default) up to maxThreads()
  // of this core (more than 1 only in faceunlock_core_mt); a Uint8Array holding the 68-point
  // landmark model (models/face-landmarks-68.fum), whose points then replace the detector's for
  // alignment (enrolment and unlock alike) and for the liveness challenge, with that source's
  // bounds (unlock::liveness_bounds).
  static JsEngine* create(const emscripten::val& detector_bytes,
                          const emscripten::val& embedder_bytes, const emscripten::val& options);

  int threads() const { return threads_; }

  // A Uint8Array of width * height * 4 bytes over the C++-owned frame buffer, resized to that
  // size. Sides are 1..kMaxFrameSide; taken again before each frame since memory growth
  // detaches views.
  emscripten::val frame_view(double width, double height);
  // Runs the face pipeline on the buffer's current pixels; width and height must be the last
  // frame_view()'s. `options` is undefined or {embed, match, requireQuality, threshold}; with
  // `match` the embedding goes through the session's match_frame (1:N and fusion, no attempt).
  emscripten::val process_frame(double width, double height, const emscripten::val& options);

  // An unlock attempt (UnlockSession::begin / add_frame / end), each returning the session's
  // update; unlock_frame also returns the frame's faces, quality and timings.
  emscripten::val begin_unlock();
  emscripten::val unlock_frame(double width, double height);
  emscripten::val end_unlock();

  unsigned add_template(const std::string& user, const emscripten::val& embedding);
  emscripten::val users() const;
  bool remove_user(const std::string& user);
  emscripten::val export_user(const std::string& user) const;
  std::string import_user(const emscripten::val& bytes);
  emscripten::val export_gallery() const;
  // {name, identity, dimension, templates}: the embedder this engine runs, its identity
  // (unlock/embedder_identity.h) and the identity its galleries record, which also names the
  // keypoints faces are aligned on (unlock::templates_identity). Imports refuse templates another
  // embedder made, or made on faces aligned on other keypoints, with an Error whose code is
  // 'embedder-mismatch' and whose `stored` and `running` give the two templates identities.
  emscripten::val embedder() const;
  // Where the keypoints that align faces and that the challenge measures come from: "detector"
  // or "landmarks-68" (unlock::keypoint_source_name).
  std::string keypoints() const;
  void import_gallery(const emscripten::val& bytes);

  // {default, 'far_1e-3', ...}: the model's calibrated thresholds (unlock::CalibratedLevels).
  emscripten::val thresholds() const;
  // [{name, falseAcceptRate, threshold}], loosest first.
  emscripten::val security_levels() const;
  void set_security_level(const std::string& name);
  std::string security_level() const { return session_->level(); }
  double threshold() const { return session_->threshold(); }

  void reset_fusion();
  // Accept when `required` of the last `window` matched frames agree; forgets earlier frames.
  void set_fusion(double required, double window);
  // {enabled, turnMs, seed, minLateral, minParallax, minScale, maxScale, minAspect, minSqueeze,
  //  framesNeeded, maxStartYaw, identityMissesAllowed}; absent keys keep their current values.
  // The bounds start as the keypoint source's (unlock::liveness_bounds).
  void set_liveness(const emscripten::val& options);
  // The same keys, and `keypoints` (as keypoints()).
  emscripten::val liveness() const;
  // The turns the next challenge will ask for (["left", "right"] or the reverse).
  emscripten::val next_turns() const;

  // {maxAttempts, lockMs, maxLockMs}, or null to turn the lockout off.
  void set_lockout(const emscripten::val& policy);
  // {locked, retryAfterMs, failures}; unlocked with 0 failures when the lockout is off.
  emscripten::val lockout_status() const;
  // The lockout's state to persist ({v: 1, seq, failures, sinceLock, locks, lockedAt, lockMs});
  // null when the lockout is off.
  emscripten::val lockout_state() const;
  // Adopts a saved state when well-formed and not older than the current one; anything else is
  // ignored (false), never thrown: damaged bookkeeping must not lock the owner out.
  bool restore_lockout(const emscripten::val& saved);
  // A function returning milliseconds (Date.now by default): the clock of the lockout and the
  // challenge, injected by tests. undefined or null goes back to Date.now.
  void set_clock(const emscripten::val& now);

 private:
  JsEngine(std::shared_ptr<const nn::Model> detector, std::shared_ptr<const nn::Model> embedder,
           std::shared_ptr<const nn::Model> landmarks, int threads);
  // The gallery in `bytes`, checked to hold this embedder's templates.
  unlock::Gallery parse_gallery(const emscripten::val& bytes, const char* verb) const;
  const image::ImageView checked_frame(double width, double height,
                                       const std::string& object) const;
  double now() const;

  int threads_;
  face::FacePipeline pipeline_;
  unlock::KeypointSource keypoints_;
  std::string embedder_identity_;
  // What galleries of this engine record and what imports must match: the embedder's identity
  // and the keypoints faces are aligned on (unlock::templates_identity).
  std::string templates_identity_;
  unlock::Gallery gallery_;
  emscripten::val clock_ = emscripten::val::undefined();
  std::unique_ptr<unlock::UnlockSession> session_;
  std::vector<std::uint8_t> frame_;  // RGBA, row-major, frame_width_ x frame_height_
  int frame_width_ = 0;
  int frame_height_ = 0;
};

}  // namespace fu::wasm
