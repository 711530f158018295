#include "train/yaw_warp.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "base/error.h"
#include "face/alignment.h"
#include "face/metadata.h"

namespace fu::train {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Adults' interpupillary distance: the chip's eye distance in pixels is taken to be this.
constexpr double kEyeDistanceCm = 6.3;

// The face's curve across: depth = kMidlineCm * cos(kCurve * |u| / kHalfWidthCm), held at 0 past
// the head's side. Chosen so that the eye centres (u = 3.15 cm) lie 6.6 cm in front of the
// tragi's plane, the outer eye corners (4.6 cm) 5.2, the cheeks (3.5 cm) 6.3 and the jaw's sides
// (6 cm) 3.4, as the landmark depths of head-warp.mjs have them. The cosine's slope stays below
// 1.4 cm per cm, so no fold appears under 35 degrees.
constexpr double kMidlineCm = 8.0;
constexpr double kHalfWidthCm = 7.5;
constexpr double kCurve = 0.9 * kPi / 2;

// The nose: a ridge along the midline whose height over the face's curve grows from the glabella
// (0.4 cm, 1.2 cm above the eyes) and the nasion (0.9 cm at the eyes' level) to the tip (2.1 cm:
// 10.1 cm in front of the tragi) and falls to nothing 1.2 cm below the tip; its half-width (one
// standard deviation across) widens from 0.6 cm at the nasion to 1.1 cm at the tip and 1.6 cm at
// the nostrils' wings.
constexpr double kGlabellaRiseCm = 2.5;  // where the ridge starts, above the eyes
constexpr double kNasionCm = 0.9;
constexpr double kTipCm = 2.1;
constexpr double kBelowTipCm = 1.2;

// The lips: 1 cm in front of the face's curve at the mouth centre, a bump 1.8 cm wide and 1.2 cm
// high (standard deviations).
constexpr double kLipsCm = 1.0;
constexpr double kLipsWideCm = 1.8;
constexpr double kLipsHighCm = 1.2;

// The forehead slopes back above 2.5 cm over the eyes: 0.6 cm less at 5 cm.
constexpr double kForeheadStartCm = 2.5;
constexpr double kForeheadSlope = 0.01;

// Source columns are sampled every half pixel, from half a chip left of it to half a chip right:
// far enough that every output column is covered at the largest turn.
constexpr double kStep = 0.5;

double lerp(double a, double b, double t) { return a + (b - a) * t; }

}  // namespace

ChipFacePoints chip_face_points(const nn::ModelMetadata& embedder) {
  // The template's own names stand in for a detector's, so make_alignment_template checks the two
  // keys and pairs each name with its point.
  const face::MetadataReader r(embedder, "face embedder");
  const std::vector<std::string> names = r.names("embedder.keypoints");
  const face::AlignmentTemplate alignment = face::make_alignment_template(embedder, names);
  auto point = [&](const char* name) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      r.fail(std::string("embedder.keypoints has no '") + name +
             "': a head turn needs the eyes, the nose tip and the mouth centre of the template");
    }
    return alignment.points[static_cast<std::size_t>(it - names.begin())];
  };
  return ChipFacePoints{point("right_eye"), point("left_eye"), point("nose_tip"),
                        point("mouth_center")};
}

YawWarp::YawWarp(const ChipFacePoints& points, int width, int height)
    : width_(width), height_(height), points_(points) {
  const std::string what = "cannot make head turns (" + std::to_string(width) + "x" +
                           std::to_string(height) + " chips): ";
  if (width < 8 || height < 8) throw Error(what + "chips must be at least 8x8 pixels");
  const double eyes =
      std::hypot(points.left_eye.x - points.right_eye.x, points.left_eye.y - points.right_eye.y);
  if (!(eyes >= 4.0)) throw Error(what + "the template's eyes must be at least 4 pixels apart");
  centre_x_ = (points.left_eye.x + points.right_eye.x) / 2;
  centre_y_ = (points.left_eye.y + points.right_eye.y) / 2;
  px_per_cm_ = eyes / kEyeDistanceCm;
  nose_v_cm_ = (points.nose_tip.y - centre_y_) / px_per_cm_;
  mouth_v_cm_ = (points.mouth_center.y - centre_y_) / px_per_cm_;
  if (!(nose_v_cm_ > 0.5) || !(mouth_v_cm_ > nose_v_cm_)) {
    throw Error(what +
                "the template's nose tip must lie below its eyes and its mouth below its nose");
  }
  first_x_ = -0.5 * width;
  samples_per_row_ = static_cast<int>(2.0 * width / kStep) + 1;
  depth_.resize(static_cast<std::size_t>(height) * samples_per_row_);
  for (int y = 0; y < height; ++y) {
    float* row = depth_.data() + static_cast<std::size_t>(y) * samples_per_row_;
    for (int i = 0; i < samples_per_row_; ++i) {
      row[i] = static_cast<float>(depth_cm(first_x_ + i * kStep, y));
    }
  }
}

double YawWarp::depth_cm(double x, double y) const {
  const double u = (x - centre_x_) / px_per_cm_;
  const double v = (y - centre_y_) / px_per_cm_;
  const double across = std::min(std::fabs(u) / kHalfWidthCm, 1.0 / 0.9);
  double z = kMidlineCm * std::cos(kCurve * across);
  if (v < -kForeheadStartCm)
    z -= kMidlineCm * kForeheadSlope * (v + kForeheadStartCm) * (v + kForeheadStartCm);
  z = std::max(z, 0.0);

  // The nose ridge's height and half-width at this row.
  double height = 0.0;
  double half_width = 1.0;
  if (v >= -kGlabellaRiseCm && v < 0.0) {
    height = kNasionCm * (v + kGlabellaRiseCm) / kGlabellaRiseCm;
    half_width = 0.6;
  } else if (v >= 0.0 && v < nose_v_cm_) {
    const double t = v / nose_v_cm_;
    height = lerp(kNasionCm, kTipCm, t);
    half_width = lerp(0.6, 1.1, t);
  } else if (v >= nose_v_cm_ && v < nose_v_cm_ + kBelowTipCm) {
    const double t = (v - nose_v_cm_) / kBelowTipCm;
    height = lerp(kTipCm, 0.0, t);
    half_width = lerp(1.1, 1.6, t);
  }
  if (height > 0.0) z += height * std::exp(-0.5 * (u / half_width) * (u / half_width));

  const double lips_v = (v - mouth_v_cm_) / kLipsHighCm;
  const double lips_u = u / kLipsWideCm;
  z += kLipsCm * std::exp(-0.5 * (lips_u * lips_u + lips_v * lips_v));
  return z;
}

image::Point YawWarp::turned(image::Point p, double yaw_radians) const {
  const double z_px = depth_cm(p.x, p.y) * px_per_cm_;
  return image::Point{
      centre_x_ + (p.x - centre_x_) * std::cos(yaw_radians) + z_px * std::sin(yaw_radians), p.y};
}

image::Image YawWarp::apply(const image::ImageView& chip, double yaw_radians) const {
  if (chip.width() != width_ || chip.height() != height_) {
    throw Error("cannot turn head (chip " + std::to_string(chip.width()) + "x" +
                std::to_string(chip.height()) + "): the warp was made for " +
                std::to_string(width_) + "x" + std::to_string(height_) + " chips");
  }
  if (!(std::fabs(yaw_radians) <= kMaxYawDegrees * kPi / 180.0 + 1e-12)) {
    throw Error("cannot turn head (yaw " + std::to_string(yaw_radians * 180.0 / kPi) +
                " degrees): at most " + std::to_string(static_cast<int>(kMaxYawDegrees)) +
                " degrees either way");
  }
  const int channels = chip.channels();
  const double c = std::cos(yaw_radians);
  const double s = std::sin(yaw_radians);
  image::Image turned_chip(width_, height_, channels);
  std::vector<double> source_x(width_);
  std::vector<double> nearest(width_);
  for (int y = 0; y < height_; ++y) {
    // A one-dimensional rasteriser: each half-pixel segment of the source row lands somewhere in
    // the output row; every output pixel it spans takes it if it is in front of what is there.
    std::fill(nearest.begin(), nearest.end(), -std::numeric_limits<double>::infinity());
    std::fill(source_x.begin(), source_x.end(), 0.0);
    const float* depth = depth_.data() + static_cast<std::size_t>(y) * samples_per_row_;
    double prev_x = 0, prev_out = 0, prev_front = 0;
    for (int i = 0; i < samples_per_row_; ++i) {
      const double x = first_x_ + i * kStep;
      const double z_px = depth[i] * px_per_cm_;
      const double out = centre_x_ + (x - centre_x_) * c + z_px * s;
      const double front = -(x - centre_x_) * s + z_px * c;
      if (i > 0) {
        const double lo = std::min(prev_out, out);
        const double hi = std::max(prev_out, out);
        const int first = std::max(0, static_cast<int>(std::ceil(lo)));
        const int last = std::min(width_ - 1, static_cast<int>(std::floor(hi)));
        for (int X = first; X <= last; ++X) {
          const double t = hi > lo ? (X - prev_out) / (out - prev_out) : 0.0;
          const double f = lerp(prev_front, front, t);
          if (f > nearest[X]) {
            nearest[X] = f;
            source_x[X] = lerp(prev_x, x, t);
          }
        }
      }
      prev_x = x;
      prev_out = out;
      prev_front = front;
    }
    // What the turn brings in from beyond the chip's edge repeats the edge's pixels (a mirror
    // image there would put half of a second face beside the first).
    const std::uint8_t* in = chip.row(y);
    std::uint8_t* dst = turned_chip.row(y);
    for (int X = 0; X < width_; ++X) {
      // Linear between the two nearest source pixels.
      const double sx = std::clamp(source_x[X], 0.0, static_cast<double>(width_ - 1));
      const int x0 = static_cast<int>(sx);
      const int x1 = std::min(x0 + 1, width_ - 1);
      const double w = sx - x0;
      for (int k = 0; k < channels; ++k) {
        const double v = (1 - w) * in[x0 * channels + k] + w * in[x1 * channels + k];
        dst[X * channels + k] = static_cast<std::uint8_t>(std::clamp(v + 0.5, 0.0, 255.0));
      }
    }
  }
  // Aligned again, as the pipeline would align the turned face from its four points.
  const std::vector<image::Point> frontal = {points_.right_eye, points_.left_eye, points_.nose_tip,
                                             points_.mouth_center};
  std::vector<image::Point> moved;
  for (const image::Point& p : frontal) moved.push_back(turned(p, yaw_radians));
  image::WarpOptions options;
  options.border = image::BorderMode::kReplicate;
  return image::warp_affine(turned_chip, image::estimate_similarity(moved, frontal), width_,
                            height_, options);
}

}  // namespace fu::train
