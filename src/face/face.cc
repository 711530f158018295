#include "face/face.h"

#include <algorithm>
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

}  // namespace fu::face
