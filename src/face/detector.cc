#include "face/detector.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "base/error.h"
#include "face/letterbox.h"
#include "face/metadata.h"
#include "face/nms.h"
#include "image/convert.h"

namespace fu::face {
namespace {

std::shared_ptr<const nn::Model> checked_kind(std::shared_ptr<const nn::Model> model) {
  model = require_rgb_model(std::move(model), "face detector", "detector");
  const MetadataReader r(model->metadata, "face detector");
  const std::string architecture = r.text("detector.architecture");
  if (architecture != "blazeface") {
    r.fail("detector.architecture is '" + architecture + "', expected 'blazeface'");
  }
  return model;
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace

FaceDetector::FaceDetector(std::shared_ptr<const nn::Model> model,
                           const nn::NetworkOptions& options)
    : network_(checked_kind(std::move(model)), single_image(options)) {
  const nn::ModelMetadata& m = network_.model().metadata;
  const MetadataReader r(m, "face detector");
  keypoint_names_ = r.names("detector.keypoints");
  for (const std::string& name : keypoint_names_) {
    if (!is_known_keypoint_name(name)) {
      r.fail("detector.keypoints names '" + name + "', which is not a known keypoint name");
    }
  }
  anchors_ = generate_anchors(anchor_options_from_metadata(m));
  box_scale_ = static_cast<float>(r.number("detector.box_scale"));
  if (!(box_scale_ > 0.0f)) r.fail("detector.box_scale must be positive");
  score_clip_ = static_cast<float>(r.number("detector.score_clip", 100.0));
  if (!(score_clip_ > 0.0f)) r.fail("detector.score_clip must be positive");
  normalization_ = pixel_normalization(m);

  if (network_.output_count() != 2) {
    r.fail("it has " + std::to_string(network_.output_count()) +
           " outputs, expected 2 (regressors, score logits)");
  }
  const std::size_t anchor_count = anchors_.size();
  const std::size_t per_anchor = 4 + 2 * keypoint_names_.size();
  const nn::Shape regressors = network_.output_shape(0);
  const nn::Shape logits = network_.output_shape(1);
  if (regressors.size() != anchor_count * per_anchor) {
    r.fail("output 0 (regressors) has shape " + regressors.str() + ", expected " +
           std::to_string(anchor_count) + " anchors x " + std::to_string(per_anchor) +
           " values (4 box + 2 x " + std::to_string(keypoint_names_.size()) + " keypoints)");
  }
  if (logits.size() != anchor_count) {
    r.fail("output 1 (score logits) has shape " + logits.str() + ", expected one value per " +
           "anchor (" + std::to_string(anchor_count) + ")");
  }
  input_ = nn::Tensor(network_.input_shape());
}

std::vector<Face> FaceDetector::detect(const image::ImageView& image,
                                       const DetectOptions& options) {
  if (image.empty()) throw Error("cannot detect faces (empty image): no pixels");
  const nn::Shape& shape = network_.input_shape();
  const Letterbox letterbox = make_letterbox(image.width(), image.height(), shape.w, shape.h);
  // Letterbox first, then convert: the conversion then touches input-sized images only.
  image::Image fitted = apply_letterbox(image, letterbox);
  if (fitted.channels() != 3) fitted = image::convert_channels(fitted, 3);
  image::normalize_to_float(fitted, normalization_, input_.data(), input_.size());
  const std::vector<nn::Tensor>& outputs = network_.run(input_);
  const float* regressors = outputs[0].data();
  const float* logits = outputs[1].data();

  const std::size_t keypoint_count = keypoint_names_.size();
  const std::size_t per_anchor = 4 + 2 * keypoint_count;
  // Decoded positions are normalised to the input (0 = its left/top edge); these take them to
  // input pixel coordinates, in which pixel centres sit at integers.
  const double width = shape.w;
  const double height = shape.h;
  std::vector<Face> candidates;
  for (std::size_t i = 0; i < anchors_.size(); ++i) {
    const float logit = std::clamp(logits[i], -score_clip_, score_clip_);
    const float score = sigmoid(logit);
    if (!(score >= options.min_score)) continue;
    const Anchor& a = anchors_[i];
    const float* r = regressors + i * per_anchor;
    const double cx = a.cx + r[0] / box_scale_ * a.w;
    const double cy = a.cy + r[1] / box_scale_ * a.h;
    const double w = r[2] / box_scale_ * a.w;
    const double h = r[3] / box_scale_ * a.h;
    if (!(w > 0.0 && h > 0.0)) continue;  // a degenerate box cannot be a face
    Face f;
    f.score = score;
    f.box.x = static_cast<float>((cx - 0.5 * w) * width - 0.5);
    f.box.y = static_cast<float>((cy - 0.5 * h) * height - 0.5);
    f.box.width = static_cast<float>(w * width);
    f.box.height = static_cast<float>(h * height);
    f.keypoints.resize(keypoint_count);
    for (std::size_t k = 0; k < keypoint_count; ++k) {
      const double kx = a.cx + r[4 + 2 * k] / box_scale_ * a.w;
      const double ky = a.cy + r[5 + 2 * k] / box_scale_ * a.h;
      f.keypoints[k] = image::Point{kx * width - 0.5, ky * height - 0.5};
    }
    candidates.push_back(std::move(f));
  }
  NmsOptions nms;
  nms.iou_threshold = options.nms_iou;
  nms.max_faces = options.max_faces;
  std::vector<Face> faces = weighted_non_max_suppression(candidates, nms);
  for (Face& f : faces) f = letterbox.to_image(f);
  return faces;
}

Face FaceDetector::refine(const image::ImageView& image, const Face& face,
                          const DetectOptions& options) {
  const image::Point centre = face.box.centre();
  const double side = std::max(face.box.width, face.box.height) / kRefineFaceFraction;
  const int left = std::max(0, static_cast<int>(std::floor(centre.x - 0.5 * side)));
  const int top = std::max(0, static_cast<int>(std::floor(centre.y - 0.5 * side)));
  const int right = std::min(image.width(), static_cast<int>(std::ceil(centre.x + 0.5 * side)));
  const int bottom = std::min(image.height(), static_cast<int>(std::ceil(centre.y + 0.5 * side)));
  if (right - left < 8 || bottom - top < 8) return face;
  const std::vector<Face> found =
      detect(image.crop(image::Rect{left, top, right - left, bottom - top}), options);
  const Face* best = nullptr;
  double best_distance = 0.0;
  for (const Face& f : found) {
    const image::Point c = f.box.centre();
    const double d = std::hypot(c.x + left - centre.x, c.y + top - centre.y);
    if (best == nullptr || d < best_distance) {
      best = &f;
      best_distance = d;
    }
  }
  if (best == nullptr || best_distance > 0.5 * std::max(face.box.width, face.box.height)) {
    return face;
  }
  Face refined = *best;
  refined.box.x += left;
  refined.box.y += top;
  for (image::Point& p : refined.keypoints) {
    p.x += left;
    p.y += top;
  }
  return refined;
}

}  // namespace fu::face
