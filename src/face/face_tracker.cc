#include "face/face_tracker.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace fu::face {
namespace {

// The box's corners and the keypoints: together they see shifts, rescaling and turns.
std::vector<image::Point> landmarks_of(const Face& face) {
  std::vector<image::Point> points = face.keypoints;
  points.push_back({face.box.x, face.box.y});
  points.push_back({face.box.x + face.box.width, face.box.y + face.box.height});
  return points;
}

}  // namespace

std::optional<Face> FaceTracker::reuse(const Face& coarse, int frame_width, int frame_height) {
  if (!anchored_ || frame_width != width_ || frame_height != height_ ||
      coarse.keypoints.size() != coarse_.keypoints.size() || reuses_ >= options_.max_reuses) {
    return std::nullopt;
  }
  const double side = std::max(coarse_.box.width, coarse_.box.height);
  if (!(side > 0.0)) return std::nullopt;
  const std::vector<image::Point> now = landmarks_of(coarse);
  const std::vector<image::Point> then = landmarks_of(coarse_);
  double dx = 0.0;
  double dy = 0.0;
  for (std::size_t i = 0; i < now.size(); ++i) {
    dx += now[i].x - then[i].x;
    dy += now[i].y - then[i].y;
  }
  dx /= now.size();
  dy /= now.size();
  if (std::hypot(dx, dy) > options_.max_shift * side) return std::nullopt;
  for (std::size_t i = 0; i < now.size(); ++i) {
    const double rx = now[i].x - then[i].x - dx;
    const double ry = now[i].y - then[i].y - dy;
    if (std::hypot(rx, ry) > options_.max_residual * side) return std::nullopt;
  }
  ++reuses_;
  Face moved = refined_;
  moved.box.x += static_cast<float>(dx);
  moved.box.y += static_cast<float>(dy);
  for (image::Point& p : moved.keypoints) {
    p.x += dx;
    p.y += dy;
  }
  // The score is this frame's: the detection is what vouches for a face being there now.
  moved.score = coarse.score;
  return moved;
}

void FaceTracker::remember(const Face& coarse, const Face& refined, int frame_width,
                           int frame_height) {
  anchored_ = true;
  coarse_ = coarse;
  refined_ = refined;
  width_ = frame_width;
  height_ = frame_height;
  reuses_ = 0;
}

}  // namespace fu::face
