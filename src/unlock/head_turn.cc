#include "unlock/head_turn.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "base/error.h"

namespace fu::unlock {
namespace {

using image::Point;

int index_of(const std::vector<std::string>& names, std::string_view name) {
  const int i = face::find_keypoint(names, name);
  if (i < 0) {
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    throw Error("cannot check head turns (keypoints " + list + "): the detector gives no " +
                std::string(name) + "; the challenge needs eyes, nose tip, mouth and ears");
  }
  return i;
}

double cross(Point a, Point b) { return a.x * b.y - a.y * b.x; }
Point minus(Point a, Point b) { return {a.x - b.x, a.y - b.y}; }

std::array<Point, 6> as_array(const HeadPoints& p) {
  return {p.right_eye, p.left_eye, p.nose, p.mouth, p.right_ear, p.left_ear};
}

// Solves the 3x3 system m * x = v by Cramer's rule; false when m is (nearly) singular.
bool solve3(const double m[3][3], const double v[3], double x[3]) {
  auto det = [](const double a[3][3]) {
    return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
           a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
           a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  };
  const double d = det(m);
  if (!(std::fabs(d) > 1e-12)) return false;
  for (int c = 0; c < 3; ++c) {
    double t[3][3];
    for (int r = 0; r < 3; ++r) {
      for (int k = 0; k < 3; ++k) t[r][k] = k == c ? v[r] : m[r][k];
    }
    x[c] = det(t) / d;
  }
  return true;
}

// The mouth's distance from the eye line; 0 when degenerate.
double face_height(const HeadPoints& p) {
  const Point across = minus(p.left_eye, p.right_eye);
  const double width = std::hypot(across.x, across.y);
  if (!(width > 1e-9)) return 0.0;
  return std::fabs(cross(across, minus(p.mouth, p.right_eye))) / width;
}

}  // namespace

HeadPointIndex::HeadPointIndex(const std::vector<std::string>& names)
    : right_eye_(index_of(names, face::kRightEye)),
      left_eye_(index_of(names, face::kLeftEye)),
      nose_(index_of(names, face::kNoseTip)),
      mouth_(index_of(names, face::kMouthCenter)),
      right_ear_(index_of(names, face::kRightEar)),
      left_ear_(index_of(names, face::kLeftEar)),
      count_(static_cast<int>(names.size())) {}

HeadPoints HeadPointIndex::of(const face::Face& face) const {
  if (static_cast<int>(face.keypoints.size()) < count_) {
    throw Error("cannot check head turns (" + std::to_string(face.keypoints.size()) +
                " keypoints): the detector's order names " + std::to_string(count_));
  }
  const auto& k = face.keypoints;
  return {k[right_eye_], k[left_eye_], k[nose_], k[mouth_], k[right_ear_], k[left_ear_]};
}

double turned_head_aspect(double lateral) {
  // How far the nose moves per unit of tan(yaw), in eye distances of the turned face: the head
  // model's nose stands 0.55 eye distances in front of the eyes and its mouth 0.3, and lateral is
  // measured against the eyes-mouth midline, so about 0.87 at the camera distances of a webcam.
  constexpr double kLateralPerTan = 0.87;
  const double tan_yaw = lateral / kLateralPerTan;
  return 1.0 / std::sqrt(1.0 + tan_yaw * tan_yaw);
}

double nose_lateral(const HeadPoints& p) {
  // nose - right_eye = a * (left_eye - right_eye) + b * (mouth - right_eye). On the midline of
  // a symmetric face a + b/2 = 1/2 (the mouth sits below the eyes' midpoint).
  const Point across = minus(p.left_eye, p.right_eye);
  const Point down = minus(p.mouth, p.right_eye);
  const Point nose = minus(p.nose, p.right_eye);
  const double d = cross(across, down);
  if (!(std::fabs(d) > 1e-9)) return 0.0;
  const double a = cross(nose, down) / d;
  const double b = cross(across, nose) / d;
  return 2.0 * (a + 0.5 * b) - 1.0;
}

TurnMeasure measure_turn(const HeadPoints& reference, const HeadPoints& frame) {
  TurnMeasure m;
  const Point eye_line = minus(frame.left_eye, frame.right_eye);
  const double eye_distance = std::hypot(eye_line.x, eye_line.y);
  if (!(eye_distance > 1e-6)) return m;
  const Point u{eye_line.x / eye_distance, eye_line.y / eye_distance};

  // Least-squares affine map (x, y, 1) -> x' and -> y' over the six points: normal equations.
  const std::array<Point, 6> from = as_array(reference);
  const std::array<Point, 6> to = as_array(frame);
  double normal[3][3] = {};
  double bx[3] = {}, by[3] = {};
  for (int i = 0; i < 6; ++i) {
    const double p[3] = {from[i].x, from[i].y, 1.0};
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) normal[r][c] += p[r] * p[c];
      bx[r] += p[r] * to[i].x;
      by[r] += p[r] * to[i].y;
    }
  }
  double ax[3], ay[3];
  if (!solve3(normal, bx, ax) || !solve3(normal, by, ay)) return m;
  std::array<Point, 6> residual;
  double squares = 0.0;
  for (int i = 0; i < 6; ++i) {
    const double fx = ax[0] * from[i].x + ax[1] * from[i].y + ax[2];
    const double fy = ay[0] * from[i].x + ay[1] * from[i].y + ay[2];
    residual[i] = {to[i].x - fx, to[i].y - fy};
    squares += residual[i].x * residual[i].x + residual[i].y * residual[i].y;
  }
  // Indices as in as_array(): 2 nose, 4 right ear, 5 left ear.
  const Point ears{0.5 * (residual[4].x + residual[5].x), 0.5 * (residual[4].y + residual[5].y)};
  const Point nose_vs_ears = minus(residual[2], ears);
  m.parallax = (nose_vs_ears.x * u.x + nose_vs_ears.y * u.y) / eye_distance;
  m.residual = std::sqrt(squares / 6.0) / eye_distance;
  m.lateral = nose_lateral(frame) - nose_lateral(reference);
  const double reference_height = face_height(reference);
  const double frame_height = face_height(frame);
  if (reference_height > 0) m.scale = frame_height / reference_height;
  const Point reference_eyes = minus(reference.left_eye, reference.right_eye);
  const double reference_width = std::hypot(reference_eyes.x, reference_eyes.y);
  if (reference_height > 0 && frame_height > 0 && reference_width > 0) {
    m.aspect = (eye_distance / frame_height) / (reference_width / reference_height);
  }
  m.squeeze = m.aspect / turned_head_aspect(m.lateral);
  m.valid = true;
  return m;
}

}  // namespace fu::unlock
