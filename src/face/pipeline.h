// One camera frame or photo in, everything the unlock and training paths need out: the faces,
// the one chosen (the most prominent), its quality and its embedding. "No face" is a result,
// not an error.
#pragma once

#include <memory>
#include <vector>

#include "face/detector.h"
#include "face/embedder.h"
#include "face/face.h"
#include "face/landmarks.h"
#include "face/quality.h"
#include "image/image.h"
#include "nn/model.h"
#include "nn/network.h"

namespace fu::face {

// Which face a photo is about when it shows several.
enum class FaceChoice {
  kMostProminent,  // the largest: the user in front of a camera
  kNearestCentre,  // the one whose box centre is nearest the photo's: benchmark photos (LFW)
                   // are cropped around their subject
};

struct PipelineOptions {
  FaceChoice choice = FaceChoice::kMostProminent;
  nn::NetworkOptions network;  // for both networks
  DetectOptions detect;
  // keypoint_names is replaced by the detector's.
  QualityOptions quality;
  // true: no embedding for a face that fails a quality check (saves the embedder's time on the
  // unlock path); false: embed whatever was chosen (enrolment from photos, evaluation).
  bool require_quality = false;
  // Re-detect the chosen face on a crop around it for more precise keypoints (one more detector
  // run per photo; see FaceDetector::refine).
  bool refine_keypoints = true;
  // Embed the face and its mirror image and average them (FaceEmbedder::set_mirror_average):
  // on LFW View 1 train it took 10-fold-free accuracy from 98.91% to 99.09% and TAR at FAR 1e-4
  // from 76.0% to 80.6% (faceunlock eval ... pairsDevTrain.txt), for twice the embedding time.
  // Enrollment and matching must use the same setting.
  bool mirror_average = true;
  // When set, a 68-point landmark model (output_kind "landmarks") whose points replace the
  // chosen face's eye, nose and mouth keypoints after refinement, before quality and alignment
  // (see FaceLandmarker). Unset: the detector's keypoints are used as they are.
  std::shared_ptr<const nn::Model> landmarks;
  double landmark_box_scale = kDefaultLandmarkBoxScale;  // FaceLandmarker::set_box_scale
};

// Milliseconds spent in each stage of one analyze() call (0 for a stage that did not run).
struct StageTimings {
  double detect = 0.0;
  double refine = 0.0;  // the second detector run on the face's crop, and landmarks if any
  double quality = 0.0;
  double align = 0.0;
  double embed = 0.0;
};

struct FaceAnalysis {
  std::vector<Face> faces;       // sorted by score, descending
  int chosen = -1;               // index into faces of the chosen one, -1 when there is none
  Quality quality;               // of the chosen face; default (kOk, zeros) when there is none
  std::vector<float> embedding;  // of the chosen face; empty when there is none (or rejected)

  StageTimings timings;
  bool has_face() const { return chosen >= 0; }
};

class FacePipeline {
 public:
  // Throws fu::Error when either model does not fit its role (see FaceDetector, FaceEmbedder).
  FacePipeline(std::shared_ptr<const nn::Model> detector, std::shared_ptr<const nn::Model> embedder,
               const PipelineOptions& options = {});

  FaceDetector& detector() { return detector_; }
  FaceEmbedder& embedder() { return embedder_; }
  const FaceDetector& detector() const { return detector_; }
  const FaceEmbedder& embedder() const { return embedder_; }
  const PipelineOptions& options() const { return options_; }

  // Grey, RGB or RGBA. Throws fu::Error only for an empty image.
  FaceAnalysis analyze(const image::ImageView& image);
  // The same with per-call choices (the browser engine decides per frame): `embed` false skips
  // alignment and embedding; `require_quality` overrides options().require_quality.
  FaceAnalysis analyze(const image::ImageView& image, bool embed, bool require_quality);

 private:
  FaceDetector detector_;
  FaceEmbedder embedder_;
  std::unique_ptr<FaceLandmarker> landmarker_;  // null unless options.landmarks is set
  PipelineOptions options_;
};

}  // namespace fu::face
