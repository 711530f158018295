#include "face/landmarks.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "base/error.h"
#include "face/metadata.h"
#include "face/resample.h"

namespace fu::face {
namespace {

constexpr int kLandmarkCount = 68;

std::shared_ptr<const nn::Model> checked_kind(std::shared_ptr<const nn::Model> model) {
  model = require_rgb_model(std::move(model), "face landmarker", "landmarks");
  const MetadataReader r(model->metadata, "face landmarker");
  if (r.number("landmarks.count") != kLandmarkCount) {
    r.fail("landmarks.count is " + r.text("landmarks.count") + ", expected 68");
  }
  return model;
}

image::Point mean_of(const std::vector<image::Point>& points, int first, int last) {
  image::Point sum;
  for (int i = first; i <= last; ++i) {
    sum.x += points[i].x;
    sum.y += points[i].y;
  }
  const double n = last - first + 1;
  return image::Point{sum.x / n, sum.y / n};
}

}  // namespace

FaceLandmarker::FaceLandmarker(std::shared_ptr<const nn::Model> model,
                               const nn::NetworkOptions& options)
    : network_(checked_kind(std::move(model)), single_image(options)) {
  const MetadataReader r(network_.model().metadata, "face landmarker");
  const nn::Shape& in = network_.input_shape();
  if (in.h != in.w) r.fail("its input " + in.str() + " is not square");
  if (network_.output_count() != 1) {
    r.fail("it has " + std::to_string(network_.output_count()) + " outputs, expected 1");
  }
  const nn::Shape out = network_.output_shape(0);
  if (out.size() != 2 * kLandmarkCount) {
    r.fail("its output has shape " + out.str() + ", expected 136 values (x, y of 68 points)");
  }
  normalization_ = pixel_normalization(network_.model().metadata);
  input_ = nn::Tensor(in);
}

void FaceLandmarker::set_box_scale(double scale) {
  if (!(scale > 0.0 && scale <= 10.0)) {
    throw Error("cannot set landmark box scale (" + std::to_string(scale) +
                "): expected a number above 0 and at most 10");
  }
  box_scale_ = scale;
}

std::vector<image::Point> FaceLandmarker::locate(const image::ImageView& image, const Face& face) {
  if (image.empty()) throw Error("cannot locate landmarks (empty image): no pixels");
  const double side = box_scale_ * std::max(face.box.width, face.box.height);
  if (!(side > 0.0) || !std::isfinite(side)) {
    throw Error("cannot locate landmarks (box side " + std::to_string(side) +
                "): the face box is empty");
  }
  const image::Point centre = face.box.centre();
  // Edges of the square, in the frame where pixel centres sit at whole numbers.
  const double left = centre.x - 0.5 * side;
  const double top = centre.y - 0.5 * side;
  const int size = network_.input_shape().w;
  const double k = size / side;
  // Maps the square's edges onto the input's edges (-0.5 and size - 0.5).
  const image::AffineTransform to_input(k, 0.0, -left * k - 0.5, 0.0, k, -top * k - 0.5);
  image::WarpOptions warp;
  warp.border = image::BorderMode::kConstant;  // black, as face-api's padToSquare
  image::Image crop = warp_affine_antialiased(image, to_input, size, size, warp);
  if (crop.channels() != 3) crop = image::convert_channels(crop, 3);
  image::normalize_to_float(crop, normalization_, input_.data(), input_.size());
  const float* out = network_.run(input_)[0].data();
  std::vector<image::Point> points(kLandmarkCount);
  for (int i = 0; i < kLandmarkCount; ++i) {
    points[i] = image::Point{left + out[2 * i] * side, top + out[2 * i + 1] * side};
    if (!std::isfinite(points[i].x) || !std::isfinite(points[i].y)) {
      throw Error("cannot locate landmarks (model " + network_.model().metadata.name +
                  "): the network produced a value that is not finite");
    }
  }
  return points;
}

Face with_landmark_keypoints(const Face& face, const std::vector<image::Point>& points,
                             const std::vector<std::string>& keypoint_names) {
  if (points.size() != kLandmarkCount) {
    throw Error("cannot use landmarks as keypoints (" + std::to_string(points.size()) +
                " points): expected 68");
  }
  Face result = face;
  if (result.keypoints.size() < keypoint_names.size()) {
    result.keypoints.resize(keypoint_names.size());
  }
  auto set = [&](std::string_view name, image::Point p) {
    const int i = find_keypoint(keypoint_names, name);
    if (i >= 0) result.keypoints[i] = p;
  };
  set(kRightEye, mean_of(points, 36, 41));
  set(kLeftEye, mean_of(points, 42, 47));
  set(kNoseTip, points[30]);
  set(kMouthCenter,
      image::Point{0.5 * (points[62].x + points[66].x), 0.5 * (points[62].y + points[66].y)});
  return result;
}

}  // namespace fu::face
