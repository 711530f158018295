// Reusing a camera frame's refined face on the next frames while the face holds still.
//
// Refinement (FaceDetector::refine, plus landmarks when configured) runs a second network per
// frame to make the keypoints precise enough for alignment. A user holding still in front of a
// camera gives nearly the same face frame after frame, so the tracker keeps the refined face of
// the frame where refinement last ran (the anchor) with that frame's coarse detection, and hands
// it back, moved by how far the coarse keypoints moved, as long as the coarse detection has only
// shifted and the face still looks the same: a turn, a tilt, a change of distance (the keypoints
// move relative to each other), a large shift, another face in the same place (a different
// picture under the box: frames that are unrelated photos, or a swap), a lost face or a different
// frame size all make the caller refine again, and so does a timeout in frames, which bounds slow
// drift the coarse detector cannot see.
//
// When the face has not moved at all (the frame under the last detected box looks as it did
// then), the tracker can also stand in for the detector: hold() hands the last face out again
// without detecting. Such frames count against the same max_reuses, so the detector and
// refinement still run at least every max_reuses + 1 frames and see a face that entered since.
#pragma once

#include <optional>
#include <vector>

#include "face/face.h"
#include "image/image.h"

namespace fu::face {

struct TrackerOptions {
  // The mean shift of the coarse keypoints since the anchor, as a fraction of the anchor's face
  // box side, above which the face counts as moved.
  double max_shift = 0.05;
  // Any coarse keypoint's or box corner's displacement left after removing that mean shift, as a
  // fraction of the box side, above which the face counts as turned, tilted or rescaled. It also
  // absorbs the coarse detector's frame-to-frame jitter on a still face.
  double max_residual = 0.025;
  // The mean absolute difference, in grey levels, between the face box's contents now and at the
  // anchor (each shrunk to kThumbnailSide squared, its mean removed so that exposure changes do not
  // count) above which the face counts as another. Sensor noise and a pixel of drift stay near 2;
  // different people in the same place give well over 10.
  double max_appearance_change = 6.0;
  // The mean absolute thumbnail difference (as for max_appearance_change) between this frame and
  // the last one the detector ran on, both under that frame's box, up to which hold() skips the
  // detector. Sensor noise of +-4 levels alone reads as about 0.7. On a 180-pixel face drifting 1-2
  // pixels per frame (RealPipelineTest.TrackedKeypointsStayCloseToRefinedOnes) 2.5 held 1 of 4
  // frames and the keypoints stayed as close to per-frame refinement as reuse() keeps them
  // (1.96% of the face); 3.0 held 2 and let the error grow to 2.75%.
  double max_still_change = 2.5;
  // Refined faces handed out from one anchor (by reuse() or hold()) before refinement must run
  // again.
  int max_reuses = 4;
};

class FaceTracker {
 public:
  explicit FaceTracker(const TrackerOptions& options = {}) : options_(options) {}

  const TrackerOptions& options() const { return options_; }

  static constexpr int kThumbnailSide = 16;

  // The anchor's refined face moved along with `coarse` (this frame's detection of the face in
  // `frame`), or nothing when the caller must refine: no anchor, another frame size, the face
  // moved, changed shape or looks different beyond the options, a different keypoint count, or
  // max_reuses reached.
  std::optional<Face> reuse(const image::ImageView& frame, const Face& coarse);
  // The face handed out for the last detected frame, again, when `frame` (of the same size) under
  // that frame's coarse box differs from it by at most max_still_change: the face has not moved,
  // so the caller need not detect. Nothing when the caller must detect (and then call reuse()).
  std::optional<Face> hold(const image::ImageView& frame);
  // Makes (coarse, refined) of `frame` the anchor.
  void remember(const image::ImageView& frame, const Face& coarse, const Face& refined);
  // Forgets the anchor (no face in the frame, a new stream).
  void reset() { anchored_ = false; }

 private:
  TrackerOptions options_;
  bool anchored_ = false;
  Face coarse_;
  Face refined_;
  int width_ = 0;
  int height_ = 0;
  int reuses_ = 0;
  std::vector<float> thumbnail_;  // of the anchor's coarse box
  // The last frame the detector ran on: its coarse box, its thumbnail there and the face handed
  // out for it (hold() compares with this frame, not the previous held one, so slow drift over
  // held frames adds up against one reference).
  FaceBox detected_box_;
  std::vector<float> detected_thumbnail_;
  Face handed_out_;
};

// The grey contents of `box` in `frame` shrunk to side x side cells (each the mean of a 4x4 grid
// of samples), minus their mean; cells outside the frame take the nearest edge pixel.
std::vector<float> face_thumbnail(const image::ImageView& frame, const FaceBox& box, int side);
// Mean absolute difference of two thumbnails of the same size.
double thumbnail_difference(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace fu::face
