// A 3-D model of the six BlazeFace keypoints and a camera, for the liveness tests: a real head
// turning (yaw) against a flat picture of it moved, rotated, zoomed and tilted. Units are eye
// distances (about 6.3 cm): x to the image's right in a frontal view (the subject's left), y down,
// z towards the camera, the eyes' centres at z = 0. Depths from adult head proportions: the nose
// tip about 3.5 cm in front of the eyes, the mouth about 2 cm, the ear tragions about 9 cm behind
// and 14.5 cm apart.
#pragma once

#include <array>
#include <cmath>
#include <functional>
#include <initializer_list>

#include "face/face.h"
#include "unlock/head_turn.h"

namespace fu::unlock::testing {

struct Vec3 {
  double x, y, z;
};

using Head = std::array<Vec3, 6>;  // right eye, left eye, nose, mouth, right ear, left ear

inline Head real_head() {
  return {{{-0.5, 0, 0},
           {0.5, 0, 0},
           {0, 0.6, 0.55},
           {0, 1.05, 0.3},
           {-1.15, 0.35, -1.4},
           {1.15, 0.35, -1.4}}};
}

// The frontal head printed on paper: the same points with no depth.
inline Head flat_picture() {
  Head h = real_head();
  for (Vec3& v : h) v.z = 0;
  return h;
}

// How the object (head or picture) is held in front of a pinhole camera.
struct Pose {
  double yaw_degrees = 0;    // about the vertical axis; > 0 carries the nose (z > 0) to +x
  double pitch_degrees = 0;  // about the horizontal axis
  double roll_degrees = 0;   // in the image plane
  double distance = 6;       // camera to the eyes' plane, in eye distances (6: about 38 cm)
  double scale = 100;        // pixels per eye distance at `distance`
  double x = 320, y = 240;   // where the eyes' midpoint lands, pixels
};

inline HeadPoints project(const Head& head, const Pose& pose) {
  const double k = M_PI / 180;
  const double cy = std::cos(pose.yaw_degrees * k), sy = std::sin(pose.yaw_degrees * k);
  const double cp = std::cos(pose.pitch_degrees * k), sp = std::sin(pose.pitch_degrees * k);
  const double cr = std::cos(pose.roll_degrees * k), sr = std::sin(pose.roll_degrees * k);
  std::array<image::Point, 6> out;
  for (int i = 0; i < 6; ++i) {
    const Vec3& v = head[i];
    const Vec3 a{v.x * cy + v.z * sy, v.y, -v.x * sy + v.z * cy};
    const Vec3 b{a.x, a.y * cp - a.z * sp, a.y * sp + a.z * cp};
    const Vec3 c{b.x * cr - b.y * sr, b.x * sr + b.y * cr, b.z};
    const double f = pose.scale * pose.distance / (pose.distance - c.z);
    out[i] = {pose.x + f * c.x, pose.y + f * c.y};
  }
  return {out[0], out[1], out[2], out[3], out[4], out[5]};
}

// A detected face carrying `points` in BlazeFace's keypoint order.
inline face::Face face_of(const HeadPoints& p) {
  face::Face f;
  f.keypoints = {p.right_eye, p.left_eye, p.nose, p.mouth, p.right_ear, p.left_ear};
  const double size = 2.5 * std::hypot(p.left_eye.x - p.right_eye.x, p.left_eye.y - p.right_eye.y);
  f.box = {static_cast<float>(p.nose.x - size / 2), static_cast<float>(p.nose.y - size / 2),
           static_cast<float>(size), static_cast<float>(size)};
  f.score = 0.9f;
  return f;
}

// A flat picture tilted about a vertical axis (-75 to 75 degrees) and at once rolled (-20, 0, 20),
// moved and zoomed by `zoom`, at 3, 5 and 8 eye distances (19 to 50 cm; perspective is strongest
// closest): `check` gets each pose's measure against the picture held frontal at that distance.
inline void for_each_tilted_picture(
    double zoom,
    const std::function<void(double distance, double tilt, const TurnMeasure&)>& check) {
  for (double distance : {3.0, 5.0, 8.0}) {
    Pose front;
    front.distance = distance;
    const HeadPoints reference = project(flat_picture(), front);
    for (double tilt : {-75.0, -60.0, -40.0, -20.0, 20.0, 40.0, 60.0, 75.0}) {
      for (double roll : {-20.0, 0.0, 20.0}) {
        Pose p = front;
        p.yaw_degrees = tilt;
        p.roll_degrees = roll;
        p.scale *= zoom;
        p.x += 40;
        check(distance, tilt, measure_turn(reference, project(flat_picture(), p)));
      }
    }
  }
}

// A flat picture whose nose a detector draws aside by each of `shifts` eye distances towards the
// tilt (as detectors draw tilted photos), tilted 40, 50 and 60 degrees either way and zoomed by
// `zoom`, at 3, 5 and 8 eye distances: `check` gets each pose's measure against the picture held
// frontal, and `sign` (+1 tilted to the subject's left, -1 to the right).
inline void for_each_picture_drawn_turned(
    std::initializer_list<double> shifts, double zoom,
    const std::function<void(double distance, double tilt, double shift, double sign,
                             const TurnMeasure&)>& check) {
  for (double distance : {3.0, 5.0, 8.0}) {
    Pose front;
    front.distance = distance;
    const HeadPoints reference = project(flat_picture(), front);
    for (double shift : shifts) {
      for (double tilt : {40.0, 50.0, 60.0}) {
        for (double sign : {-1.0, 1.0}) {
          Head drawn = flat_picture();
          drawn[2].x += sign * shift;  // the nose
          Pose p = front;
          p.yaw_degrees = sign * tilt;
          p.scale *= zoom;
          check(distance, tilt, shift, sign, measure_turn(reference, project(drawn, p)));
        }
      }
    }
  }
}

}  // namespace fu::unlock::testing
