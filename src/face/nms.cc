#include "face/nms.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "base/error.h"

namespace fu::face {

float intersection_over_union(const FaceBox& a, const FaceBox& b) {
  if (!(a.width > 0.0f && a.height > 0.0f && b.width > 0.0f && b.height > 0.0f)) return 0.0f;
  const float left = std::max(a.x, b.x);
  const float top = std::max(a.y, b.y);
  const float right = std::min(a.x + a.width, b.x + b.width);
  const float bottom = std::min(a.y + a.height, b.y + b.height);
  if (right <= left || bottom <= top) return 0.0f;
  const float intersection = (right - left) * (bottom - top);
  return intersection / (a.area() + b.area() - intersection);
}

std::vector<Face> weighted_non_max_suppression(const std::vector<Face>& candidates,
                                               const NmsOptions& options) {
  if (candidates.empty()) return {};
  const std::size_t keypoint_count = candidates[0].keypoints.size();
  for (const Face& f : candidates) {
    if (f.keypoints.size() != keypoint_count) {
      throw Error("cannot merge face candidates (" + std::to_string(f.keypoints.size()) +
                  " keypoints): the first candidate has " + std::to_string(keypoint_count));
    }
  }
  std::vector<std::size_t> remaining(candidates.size());
  std::iota(remaining.begin(), remaining.end(), std::size_t{0});
  // Stable, so equal scores keep the candidates' order and the result is reproducible.
  std::stable_sort(remaining.begin(), remaining.end(), [&](std::size_t i, std::size_t j) {
    return candidates[i].score > candidates[j].score;
  });

  std::vector<Face> faces;
  std::vector<std::size_t> rest;
  while (!remaining.empty()) {
    if (options.max_faces > 0 && static_cast<int>(faces.size()) >= options.max_faces) break;
    const Face& best = candidates[remaining[0]];
    // Sums in double: a cluster may hold dozens of anchors.
    double total = 0.0, left = 0.0, top = 0.0, right = 0.0, bottom = 0.0;
    std::vector<image::Point> keypoints(keypoint_count);
    rest.clear();
    for (std::size_t index : remaining) {
      const Face& c = candidates[index];
      if (index != remaining[0] &&
          !(intersection_over_union(c.box, best.box) > options.iou_threshold)) {
        rest.push_back(index);
        continue;
      }
      const double w = c.score;
      total += w;
      left += w * c.box.x;
      top += w * c.box.y;
      right += w * (c.box.x + c.box.width);
      bottom += w * (c.box.y + c.box.height);
      for (std::size_t k = 0; k < keypoint_count; ++k) {
        keypoints[k].x += w * c.keypoints[k].x;
        keypoints[k].y += w * c.keypoints[k].y;
      }
    }
    Face merged = best;
    if (total > 0.0) {
      merged.box.x = static_cast<float>(left / total);
      merged.box.y = static_cast<float>(top / total);
      merged.box.width = static_cast<float>((right - left) / total);
      merged.box.height = static_cast<float>((bottom - top) / total);
      for (std::size_t k = 0; k < keypoint_count; ++k) {
        merged.keypoints[k] = image::Point{keypoints[k].x / total, keypoints[k].y / total};
      }
    }
    faces.push_back(std::move(merged));
    remaining.swap(rest);
  }
  return faces;
}

}  // namespace fu::face
