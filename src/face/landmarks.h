// A 68-point landmark stage (face-api.js's FaceLandmark68Net, tools/convert/face_landmarks.cc)
// between detection and alignment: BlazeFace's keypoints are coarse, and the embedder's template
// was derived from dlib's 68-point mean face, so keypoints taken from 68 points in the same
// numbering land where the template expects them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "face/face.h"
#include "image/convert.h"
#include "image/image.h"
#include "nn/model.h"
#include "nn/network.h"

namespace fu::face {

// BlazeFace's boxes are tighter than the boxes face-api's landmark net was trained on. On LFW
// View 1 train (faceunlock eval --landmarks ... --landmark-box-scale S), 1.15 scored best of
// 0.9 / 1.0 / 1.15 / 1.3 / 1.45.
constexpr double kDefaultLandmarkBoxScale = 1.15;

class FaceLandmarker {
 public:
  // Throws fu::Error "cannot use model as a face landmarker (<name>): <reason>" unless the model
  // has output_kind "landmarks", an RGB square input, landmarks.count 68 and one output of 136
  // values (x, y of each point as fractions of the input square). options.batch is ignored.
  explicit FaceLandmarker(std::shared_ptr<const nn::Model> model,
                          const nn::NetworkOptions& options = {});

  const nn::Model& model() const { return network_.model(); }

  // The 68 points (dlib's numbering, 0-based) of `face` in image pixels. The network sees a
  // square around the face box, box_scale times the box's longer side, padded with black where
  // it leaves the image (face-api pads its crops that way).
  std::vector<image::Point> locate(const image::ImageView& image, const Face& face);

  // face-api crops its own detectors' boxes; on LFW, BlazeFace's box scaled by this fits the
  // network best (see locate).
  double box_scale() const { return box_scale_; }
  void set_box_scale(double scale);

 private:
  nn::Network network_;
  image::ChannelNormalization normalization_;
  nn::Tensor input_;
  double box_scale_ = kDefaultLandmarkBoxScale;
};

// `face` with right_eye, left_eye, nose_tip and mouth_center (where `keypoint_names`, the
// detector's order, has them) replaced by the points the embedders' templates were derived from:
// eye centres = mean of dlib points 36-41 (subject's right eye) and 42-47 (left eye), nose tip =
// point 30, mouth centre = midpoint of the inner lip centres 62 and 66. Other keypoints (ears)
// stay. Throws fu::Error unless `points` holds 68 points.
Face with_landmark_keypoints(
    const Face& face, const std::vector<image::Point>& points,
    const std::vector<std::string>& keypoint_names = canonical_keypoint_names());

}  // namespace fu::face
