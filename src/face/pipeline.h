// One camera frame or photo in, everything the unlock and training paths need out: the faces,
// the one chosen (the most prominent), its quality and its embedding. "No face" is a result,
// not an error.
#pragma once

#include <memory>
#include <vector>

#include "face/detector.h"
#include "face/embedder.h"
#include "face/face.h"
#include "face/quality.h"
#include "image/image.h"
#include "nn/model.h"
#include "nn/network.h"

namespace fu::face {

struct PipelineOptions {
  nn::NetworkOptions network;  // for both networks
  DetectOptions detect;
  // keypoint_names is replaced by the detector's.
  QualityOptions quality;
  // true: no embedding for a face that fails a quality check (saves the embedder's time on the
  // unlock path); false: embed whatever was chosen (enrolment from photos, evaluation).
  bool require_quality = false;
};

struct FaceAnalysis {
  std::vector<Face> faces;       // sorted by score, descending
  int chosen = -1;               // index into faces of the most prominent, -1 when there is none
  Quality quality;               // of the chosen face; default (kOk, zeros) when there is none
  std::vector<float> embedding;  // of the chosen face; empty when there is none (or rejected)

  bool has_face() const { return chosen >= 0; }
};

class FacePipeline {
 public:
  // Throws fu::Error when either model does not fit its role (see FaceDetector, FaceEmbedder).
  FacePipeline(std::shared_ptr<const nn::Model> detector, std::shared_ptr<const nn::Model> embedder,
               const PipelineOptions& options = {});

  FaceDetector& detector() { return detector_; }
  FaceEmbedder& embedder() { return embedder_; }
  const PipelineOptions& options() const { return options_; }

  // Grey, RGB or RGBA. Throws fu::Error only for an empty image.
  FaceAnalysis analyze(const image::ImageView& image);

 private:
  FaceDetector detector_;
  FaceEmbedder embedder_;
  PipelineOptions options_;
};

}  // namespace fu::face
