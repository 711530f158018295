// A head turned left or right, made from an aligned frontal chip: a lesson in pose for a data set
// whose faces mostly look at the camera, where the faces users show (LFW's, a webcam's during the
// liveness turn) often do not.
//
// The chip's pixels are given the depths of one generic adult head, placed by the chip's own
// eyes, nose tip and mouth centre (the alignment template's points): a face curving back towards
// the ears, a nose standing about 3.5 cm in front of the eyes, lips about 1 cm in front of the
// cheeks. The head turns about a vertical axis through the ear tragi and is seen orthographically
// (a face at arm's length is far enough for that), each output pixel taking the frontmost surface
// point that lands on it: the far cheek is squeezed behind the nose, and folds under it only near
// the largest turn allowed. Then the turned face is aligned again by a least-squares similarity
// of its four points onto the template's, as the pipeline aligns a turned face it detects.
//
// What it is not: the far side's hidden detail is squeezed, not revealed; hair, ears and lighting
// do not change; and one head shape serves every face. Depth numbers: the anthropometry of
// tests/liveness/head-warp.mjs, reduced to a smooth field (the numbers are in yaw_warp.cc).
#pragma once

#include <string>
#include <vector>

#include "image/image.h"
#include "image/warp.h"
#include "nn/model.h"

namespace fu::train {

// Where an aligned chip's face is: the alignment template's points, in chip pixels.
struct ChipFacePoints {
  image::Point right_eye;  // the subject's right eye: the image's left
  image::Point left_eye;
  image::Point nose_tip;
  image::Point mouth_center;
};

// From an embedder's `embedder.keypoints` and `embedder.template` (the names right_eye, left_eye,
// nose_tip and mouth_center). Throws fu::Error naming the model and the missing name.
ChipFacePoints chip_face_points(const nn::ModelMetadata& embedder);

// Turns chips of one size and template. Building it computes the head's depth at every pixel
// once; apply() is then cheap and safe to call from several threads.
class YawWarp {
 public:
  // The largest turn apply() accepts: beyond it the generic nose and cheek fold over each other
  // and the squeezed far side dominates the chip.
  static constexpr double kMaxYawDegrees = 35.0;

  // Throws fu::Error for a size below 8 pixels, eyes closer than 4 pixels, or a nose or mouth
  // that is not below the eyes.
  YawWarp(const ChipFacePoints& points, int width, int height);

  int width() const { return width_; }
  int height() const { return height_; }

  // The face turned by `yaw_radians` (> 0: the nose moves towards the image's right, the subject
  // turning to their own left) and aligned again; the same size and channels. Throws fu::Error for
  // a chip of another size or a yaw beyond kMaxYawDegrees.
  image::Image apply(const image::ImageView& chip, double yaw_radians) const;

  // The head's depth, in cm in front of the turning axis, at chip pixel (x, y): what apply() uses.
  double depth_cm(double x, double y) const;
  // Where the turn alone (before the realignment) carries chip point p.
  image::Point turned(image::Point p, double yaw_radians) const;

 private:
  int width_;
  int height_;
  ChipFacePoints points_;
  double centre_x_;    // the eyes' midpoint: the turning axis's column
  double centre_y_;    // and its row: the origin of the depth field
  double px_per_cm_;   // from the eye distance
  double nose_v_cm_;   // the nose tip below the eyes
  double mouth_v_cm_;  // the mouth centre below the eyes
  double first_x_;     // the source columns sampled per row: first_x_ + i * kStep
  int samples_per_row_;
  std::vector<float> depth_;  // [row][sample], cm
};

}  // namespace fu::train
