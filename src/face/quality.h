// Is this face good enough to enroll or to unlock with? Cheap checks on the detection and the
// pixels under it, each with a short hint the user can act on. The defaults suit 640x480 webcam
// frames of a user at arm's length (their face then spans about 150..250 pixels).
#pragma once

#include <string>
#include <vector>

#include "face/face.h"
#include "image/image.h"

namespace fu::face {

// In the order they are checked: the first failing check is the one reported, because fixing an
// earlier one (getting into the frame, coming closer, light) often fixes a later one.
enum class QualityIssue {
  kOk,
  kOutOfFrame,  // "move into the frame"
  kTooSmall,    // "come closer"
  kTooDark,     // "more light"
  kTooBright,   // "less light"
  kRolled,      // "hold your head straight"
  kTurned,      // "face the camera"
  kBlurry,      // "hold still"
};

// "ok", "out_of_frame", "too_small", ... (stable names for logs and JavaScript).
const char* quality_issue_name(QualityIssue issue);
// The user-facing hint above; "" for kOk.
const char* quality_issue_hint(QualityIssue issue);

struct QualityOptions {
  // The face box may stick out of the image by at most this fraction of its width (or height)
  // on any side, and every keypoint must lie inside the image.
  float max_outside_fraction = 0.1f;
  // The box's shorter side, in image pixels. 80 px in a 640x480 frame is a face about 1.2 m
  // away; the embedders' inputs are 112..150 px, so smaller faces are upscaled and lose detail.
  float min_face_size = 80.0f;
  // Mean grey level (0..255) over the face box. Under about 50 webcams raise gain until noise
  // dominates; over about 210 the skin saturates and features wash out.
  float min_brightness = 50.0f;
  float max_brightness = 210.0f;
  // Degrees the eye line is tilted from horizontal. Alignment undoes roll, so this is generous;
  // it rejects heads lying sideways, where detectors and embedders are both weak.
  float max_roll_degrees = 25.0f;
  // |yaw| measures where the nose tip sits between the eyes (0 centred, +-1 over an eye);
  // 0.5 is roughly 30 degrees of head turn.
  float max_yaw = 0.5f;
  // Variance of the 4-neighbour Laplacian over the face resampled to 96x96 grey (so the number
  // does not depend on the face's size in the image). Sharp webcam faces give a few hundred;
  // motion blur or missed focus drops it below ~30 (see tests/face/quality_test.cc and the
  // real-photo measurements noted in src/face/README.md).
  float min_sharpness = 30.0f;
  // The order of Face::keypoints (FaceDetector::keypoint_names()); roll and yaw need right_eye,
  // left_eye and nose_tip among them.
  std::vector<std::string> keypoint_names = canonical_keypoint_names();
};

struct Quality {
  QualityIssue issue = QualityIssue::kOk;
  std::string reason;  // quality_issue_hint(issue)
  float face_size_px = 0.0f;
  float roll_degrees = 0.0f;  // positive when the eye line turns clockwise on screen
  float yaw = 0.0f;           // -1..1, positive when the nose is towards the image's right
  float sharpness = 0.0f;
  float brightness = 0.0f;  // 0..255

  bool ok() const { return issue == QualityIssue::kOk; }
};

// Measures every quantity and reports the first failing check. Accepts grey, RGB and RGBA.
// Throws fu::Error for an empty image, a keypoint count that does not match
// options.keypoint_names, or names lacking right_eye, left_eye or nose_tip.
Quality assess_quality(const image::ImageView& image, const Face& face,
                       const QualityOptions& options = {});

}  // namespace fu::face
