#include "face/face_tracker.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
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

std::vector<float> face_thumbnail(const image::ImageView& frame, const FaceBox& box, int side) {
  constexpr int kSamples = 4;  // per cell and axis
  std::vector<float> cells(static_cast<std::size_t>(side) * side, 0.0f);
  const int channels = frame.channels();
  auto grey = [&](double x, double y) {
    const int px = std::clamp(static_cast<int>(std::lround(x)), 0, frame.width() - 1);
    const int py = std::clamp(static_cast<int>(std::lround(y)), 0, frame.height() - 1);
    const std::uint8_t* p = frame.row(py) + static_cast<std::size_t>(px) * channels;
    return channels < 3 ? p[0] : (p[0] + p[1] + p[2]) / 3.0;
  };
  const double step_x = box.width / (side * kSamples);
  const double step_y = box.height / (side * kSamples);
  double total = 0.0;
  for (int cy = 0; cy < side; ++cy) {
    for (int cx = 0; cx < side; ++cx) {
      double sum = 0.0;
      for (int sy = 0; sy < kSamples; ++sy) {
        for (int sx = 0; sx < kSamples; ++sx) {
          sum += grey(box.x + ((cx * kSamples + sx) + 0.5) * step_x,
                      box.y + ((cy * kSamples + sy) + 0.5) * step_y);
        }
      }
      cells[cy * side + cx] = static_cast<float>(sum / (kSamples * kSamples));
      total += cells[cy * side + cx];
    }
  }
  const float mean = static_cast<float>(total / cells.size());
  for (float& c : cells) c -= mean;
  return cells;
}

double thumbnail_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.empty() || a.size() != b.size()) return std::numeric_limits<double>::infinity();
  double sum = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += std::fabs(a[i] - b[i]);
  return sum / a.size();
}

std::optional<Face> FaceTracker::reuse(const image::ImageView& frame, const Face& coarse) {
  if (!anchored_ || frame.width() != width_ || frame.height() != height_ ||
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
  std::vector<float> thumbnail = face_thumbnail(frame, coarse.box, kThumbnailSide);
  if (thumbnail_difference(thumbnail, thumbnail_) > options_.max_appearance_change) {
    return std::nullopt;
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
  detected_box_ = coarse.box;
  detected_thumbnail_ = std::move(thumbnail);
  handed_out_ = moved;
  return moved;
}

std::optional<Face> FaceTracker::hold(const image::ImageView& frame) {
  if (!anchored_ || frame.width() != width_ || frame.height() != height_ ||
      reuses_ >= options_.max_reuses) {
    return std::nullopt;
  }
  if (thumbnail_difference(face_thumbnail(frame, detected_box_, kThumbnailSide),
                           detected_thumbnail_) > options_.max_still_change) {
    return std::nullopt;
  }
  ++reuses_;
  return handed_out_;
}

void FaceTracker::remember(const image::ImageView& frame, const Face& coarse, const Face& refined) {
  anchored_ = true;
  coarse_ = coarse;
  refined_ = refined;
  width_ = frame.width();
  height_ = frame.height();
  reuses_ = 0;
  thumbnail_ = face_thumbnail(frame, coarse.box, kThumbnailSide);
  detected_box_ = coarse.box;
  detected_thumbnail_ = thumbnail_;
  handed_out_ = refined;
}

}  // namespace fu::face
