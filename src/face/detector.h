// The face detector: a BlazeFace-style network (docs/model-metadata.md, "Detectors") plus the
// code around it: letterboxing the image into the network's input, decoding the per-anchor
// regressors and scores, weighted non-maximum suppression, and mapping back to image pixels.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "face/anchors.h"
#include "face/face.h"
#include "image/convert.h"
#include "image/image.h"
#include "nn/model.h"
#include "nn/network.h"

namespace fu::face {

struct DetectOptions {
  float min_score = 0.5f;  // after the sigmoid; MediaPipe's short-range threshold
  float nms_iou = 0.3f;    // candidates overlapping more than this merge (weighted NMS)
  int max_faces = 10;      // 0 means no cap
};

class FaceDetector {
 public:
  // Throws fu::Error "cannot use model as a face detector (<name>): <reason>" unless the model is
  // a detector this code can decode: output_kind "detector", detector.architecture "blazeface",
  // an RGB input, known keypoint names, valid anchor options, and outputs whose sizes match them
  // (output 0 = anchors x (4 + 2 x keypoints) regressors, output 1 = one logit per anchor).
  // options.batch is ignored: the detector runs one image at a time.
  explicit FaceDetector(std::shared_ptr<const nn::Model> model,
                        const nn::NetworkOptions& options = {});

  const nn::Model& model() const { return network_.model(); }
  // The order of Face::keypoints.
  const std::vector<std::string>& keypoint_names() const { return keypoint_names_; }
  const std::vector<Anchor>& anchors() const { return anchors_; }

  // Faces in image pixels, sorted by score (descending); an empty list when there is none.
  // Accepts grey, RGB and RGBA views (alpha is ignored). Throws fu::Error for an empty view.
  std::vector<Face> detect(const image::ImageView& image, const DetectOptions& options = {});

  // Detects again on a square crop around `face`, sized so the face spans about
  // kRefineFaceFraction of the network's input instead of whatever share of the photo it had:
  // the keypoints, which alignment depends on, then come from more input pixels. Returns the
  // re-detected face nearest the crop's centre, in image pixels, or `face` itself when the crop
  // yields none.
  Face refine(const image::ImageView& image, const Face& face, const DetectOptions& options = {});
  static constexpr double kRefineFaceFraction = 0.5;

 private:
  nn::Network network_;
  std::vector<std::string> keypoint_names_;
  std::vector<Anchor> anchors_;
  float box_scale_ = 1.0f;
  float score_clip_ = 100.0f;
  image::ChannelNormalization normalization_;
  nn::Tensor input_;
};

}  // namespace fu::face
