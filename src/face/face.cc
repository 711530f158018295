#include "face/face.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/error.h"

namespace fu::face {

const std::vector<std::string>& canonical_keypoint_names() {
  static const std::vector<std::string> names = {std::string(kRightEye), std::string(kLeftEye),
                                                 std::string(kNoseTip),  std::string(kMouthCenter),
                                                 std::string(kRightEar), std::string(kLeftEar)};
  return names;
}

bool is_known_keypoint_name(std::string_view name) {
  return find_keypoint(canonical_keypoint_names(), name) >= 0;
}

int find_keypoint(const std::vector<std::string>& names, std::string_view name) {
  const auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

int most_prominent_index(const std::vector<Face>& faces) {
  int best = -1;
  for (int i = 0; i < static_cast<int>(faces.size()); ++i) {
    if (best < 0) {
      best = i;
      continue;
    }
    const float area = faces[i].box.area();
    const float best_area = faces[best].box.area();
    if (area > best_area || (area == best_area && faces[i].score > faces[best].score)) best = i;
  }
  return best;
}

Face most_prominent(const std::vector<Face>& faces) {
  const int index = most_prominent_index(faces);
  if (index < 0) throw Error("cannot choose the most prominent face (0 faces): the list is empty");
  return faces[index];
}

int nearest_centre_index(const std::vector<Face>& faces, int width, int height) {
  // Pixel centres sit at whole coordinates, so the image's centre is at (w - 1) / 2.
  const double cx = 0.5 * (width - 1);
  const double cy = 0.5 * (height - 1);
  int best = -1;
  double best_distance = 0.0;
  for (std::size_t i = 0; i < faces.size(); ++i) {
    const image::Point c = faces[i].box.centre();
    const double d = std::hypot(c.x - cx, c.y - cy);
    if (best < 0 || d < best_distance) {
      best = static_cast<int>(i);
      best_distance = d;
    }
  }
  return best;
}

}  // namespace fu::face
