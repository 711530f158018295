// What a detector reports about one face, and the keypoint names models agree on.
//
// Coordinates are image pixels in the convention of image/image.h: x right, y down, pixel (x, y)'s
// centre at the point (x, y). Boxes use the same frame as keypoints, so a box covering a whole
// W x H image is {-0.5, -0.5, W, H}.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "image/image.h"

namespace fu::face {

struct FaceBox {
  float x = 0.0f;  // left edge
  float y = 0.0f;  // top edge
  float width = 0.0f;
  float height = 0.0f;

  float area() const { return width * height; }
  image::Point centre() const { return image::Point{x + 0.5 * width, y + 0.5 * height}; }
};

struct Face {
  FaceBox box;
  float score = 0.0f;  // detector confidence, 0..1
  // In the detector's keypoint order (FaceDetector::keypoint_names()).
  std::vector<image::Point> keypoints;
};

// Keypoint names from docs/model-metadata.md. Left and right are the subject's own: the subject's
// right eye appears on the image's left in a frontal photo.
inline constexpr std::string_view kRightEye = "right_eye";
inline constexpr std::string_view kLeftEye = "left_eye";
inline constexpr std::string_view kNoseTip = "nose_tip";
inline constexpr std::string_view kMouthCenter = "mouth_center";
inline constexpr std::string_view kRightEar = "right_ear";
inline constexpr std::string_view kLeftEar = "left_ear";

// The six names in BlazeFace's order, the default wherever a keypoint order is needed.
const std::vector<std::string>& canonical_keypoint_names();
bool is_known_keypoint_name(std::string_view name);

// Index of `name` in `names`, or -1 when absent.
int find_keypoint(const std::vector<std::string>& names, std::string_view name);

// The face with the largest box (the one nearest the camera, presumably the user); equal areas go
// to the higher score. -1 for an empty list.
int most_prominent_index(const std::vector<Face>& faces);
// Throws fu::Error for an empty list.
Face most_prominent(const std::vector<Face>& faces);

// The face whose box centre is nearest the centre of a width x height image; -1 for an empty list.
int nearest_centre_index(const std::vector<Face>& faces, int width, int height);

}  // namespace fu::face
