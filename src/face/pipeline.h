// One camera frame or photo in, everything the unlock and training paths need out: the faces,
// the one chosen (the most prominent), its quality and its embedding. "No face" is a result,
// not an error.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "face/detector.h"
#include "face/embedder.h"
#include "face/face.h"
#include "face/face_tracker.h"
#include "face/landmarks.h"
#include "face/quality.h"
#include "image/image.h"
#include "nn/model.h"
#include "nn/network.h"

namespace fu::face {

// What an embedding is for: stored as a template at enrollment, or compared against templates
// (a probe) when verifying or unlocking.
enum class EmbedPurpose { kTemplate, kProbe };

// Which embeddings average the face with its mirror image (FaceEmbedder::embed_after_alignment).
// Only the mirror of a template is paid once per enrollment; a probe's is paid on every frame.
enum class MirrorPolicy {
  kBoth,           // templates and probes
  kTemplatesOnly,  // templates; probes are embedded once
  kNeither,
};

// "both", "templates", "none" (the eval option's names); parse_mirror_policy throws fu::Error
// for any other text.
const char* mirror_policy_name(MirrorPolicy policy);
MirrorPolicy parse_mirror_policy(const std::string& text);
bool mirrors(MirrorPolicy policy, EmbedPurpose purpose);

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
  // For a camera stream: while the face holds still, reuse an earlier frame's refined keypoints
  // (and landmarks) instead of refining every frame, and while it does not move at all, its
  // detection too (FaceTracker). Off for photos, which have nothing to do with each other.
  bool track = false;
  TrackerOptions tracker;
  // Which embeddings average the face with its mirror image, which doubles their embedding time.
  // Templates only: a camera frame costs one embedder pass instead of two, and on LFW View 1
  // (faceunlock eval --compare-mirror; figures in src/face/README.md) accuracy moved within noise
  // (pairsDevTest 98.9% -> 99.0%, pairsDevTrain 99.27% -> 99.09%) while TAR at FAR 1e-3 fell by
  // about 0.9 points; the head-turn challenge of tests/cli/unlock.test.mjs unlocked 14 of 30
  // genuine runs against 15 with both mirrored. Templates made under kBoth and kTemplatesOnly
  // are the same, so galleries stay valid between those two.
  MirrorPolicy mirror = MirrorPolicy::kTemplatesOnly;
  // When set, a 68-point landmark model (output_kind "landmarks") whose points replace the
  // chosen face's eye, nose and mouth keypoints after refinement, before quality and alignment
  // (see FaceLandmarker). Unset: the detector's keypoints are used as they are.
  std::shared_ptr<const nn::Model> landmarks;
  double landmark_box_scale = kDefaultLandmarkBoxScale;  // FaceLandmarker::set_box_scale
};

// Milliseconds spent in each stage of one analyze() call (0 for a stage that did not run).
struct StageTimings {
  double detect = 0.0;  // or the tracker's check when it holds the last detection
  double refine = 0.0;  // the second detector run on the face's crop, and landmarks if any; the
                        // tracker's check when it reuses an earlier frame's
  double quality = 0.0;
  double align = 0.0;
  double embed = 0.0;
};

struct FaceAnalysis {
  std::vector<Face> faces;       // sorted by score, descending
  int chosen = -1;               // index into faces of the chosen one, -1 when there is none
  Quality quality;               // of the chosen face; default (kOk, zeros) when there is none
  std::vector<float> embedding;  // of the chosen face; empty when there is none (or rejected)
  bool refine_reused = false;    // the chosen face's keypoints came from the tracker
  // The detector did not run: the face had not moved since the last frame it ran on, and faces
  // holds only the tracker's face (FaceTracker::hold); refine_reused is then true as well.
  bool detection_reused = false;

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
  // Forgets the tracked face, so the next frame is refined (a new camera stream).
  void reset_tracking() { tracker_.reset(); }

  // Grey, RGB or RGBA. Throws fu::Error only for an empty image.
  FaceAnalysis analyze(const image::ImageView& image);
  // The same with per-call choices (the browser engine decides per frame): `embed` false skips
  // alignment and embedding; `require_quality` overrides options().require_quality; `purpose`
  // picks the mirror averaging of options().mirror. The one-argument form embeds a template.
  FaceAnalysis analyze(const image::ImageView& image, bool embed, bool require_quality,
                       EmbedPurpose purpose = EmbedPurpose::kTemplate);

 private:
  FaceDetector detector_;
  FaceEmbedder embedder_;
  std::unique_ptr<FaceLandmarker> landmarker_;  // null unless options.landmarks is set
  PipelineOptions options_;
  FaceTracker tracker_;
};

}  // namespace fu::face
