// Telling a head that turns from a picture that is moved: the geometry of the liveness challenge.
//
// A flat picture, however it is held (still, moved or rotated in its plane, brought closer, tilted
// left or right about a vertical axis), moves all its points by one plane-to-plane map. For a face
// filling a small part of the camera's view that map is affine up to a small perspective term, so
// any quantity an affine map preserves stays put. A real head is not flat: the nose tip stands
// about half an eye distance in front of the eyes and the ear tragions more than one eye distance
// behind them, so turning the head (yaw) moves the nose against the eyes and the ears in a way no
// affine map can. Two measures of that, both exactly zero for an affine motion:
//
// - lateral: where the nose tip sits in the triangle of the eyes and the mouth (its barycentric
//   coordinate across the face), relative to the reference frame;
// - parallax: fit the affine map that best carries the reference frame's six keypoints onto this
//   frame's (least squares) and take what it cannot explain: the nose's residual against the
//   ears' mean residual, along the eye line.
//
// Both are signed: positive when the nose moved towards the subject's own left eye, i.e. the
// subject turned to their left. Units are eye distances of the frame measured.
#pragma once

#include <string>
#include <vector>

#include "face/face.h"
#include "image/image.h"

namespace fu::unlock {

// The six BlazeFace keypoints, by what they are. Left and right are the subject's own.
struct HeadPoints {
  image::Point right_eye, left_eye, nose, mouth, right_ear, left_ear;
};

// Where each of the six sits in a detector's keypoint order.
class HeadPointIndex {
 public:
  // Throws fu::Error "cannot check head turns (keypoints ...): ..." when one of the six names is
  // missing from `names`.
  explicit HeadPointIndex(const std::vector<std::string>& names);
  // Throws fu::Error when `face` has fewer keypoints than the names given.
  HeadPoints of(const face::Face& face) const;

 private:
  int right_eye_, left_eye_, nose_, mouth_, right_ear_, left_ear_;
  int count_;
};

struct TurnMeasure {
  double lateral = 0.0;
  double parallax = 0.0;
  // The affine fit's root-mean-square residual over the six points, in eye distances: how far
  // the motion is from planar in any direction (for diagnostics and tests).
  double residual = 0.0;
  // The face's height in this frame over its height in the reference: the distance from the mouth
  // to the eye line, which a head turning about its vertical axis keeps (it is about cos(pitch))
  // and which moving the head closer or farther changes. Why it matters: BlazeFace places its
  // keypoints relative to a box it sizes by the face's width, so on a picture tilted past about 50
  // degrees the narrower face comes out smaller all over, with the nose drawn aside as if turned
  // (tests/cli/unlock.test.mjs measures it on LFW photos). A real head turning by the 15 to 30
  // degrees the challenge asks keeps this near 1.
  double scale = 1.0;
  // The face's width against its height (eye distance over the mouth's distance from the eye
  // line), over the same in the reference. A picture tilted about a vertical axis is squeezed
  // across by cos(tilt), all of it; a head turning by the 15 to 30 degrees the challenge asks
  // narrows only by about cos(yaw) (0.87 to 0.97). BlazeFace's keypoints on a picture tilted
  // 40 to 60 degrees can show a turn in lateral and parallax (its learned face shape makes the
  // narrow face look turned), but not this: the squeeze stays (measured by
  // tests/cli/unlock.test.mjs).
  double aspect = 1.0;
  // The aspect over the aspect a head turned as far as `lateral` says shows
  // (turned_head_aspect): about 1 for a head, whatever its turn, and below 1 for a face squeezed
  // across more than its nose moved. A picture tilted about a vertical axis is squeezed by
  // cos(tilt) while its nose does not move against the eyes at all; when BlazeFace's keypoints
  // nonetheless draw it turned (its learned face shape, on pictures tilted 40 degrees and more),
  // they draw it turned less than the squeeze would need from a head. This ties the allowed
  // narrowing to the measured turn instead of one bound for every turn, so a real turn of 40
  // degrees (aspect 0.78) is not refused while a tilted picture's frames that look turned by 0.27
  // with aspect 0.85 are.
  double squeeze = 1.0;
  bool valid = false;  // false when a frame is degenerate (eyes on top of each other)
};

// `frame` against `reference` (the frontal frame the challenge started from).
TurnMeasure measure_turn(const HeadPoints& reference, const HeadPoints& frame);

// The aspect (TurnMeasure::aspect) of a head turned far enough to move its nose by `lateral`,
// from the 3-D head model of tests/unlock/head_model.h: a yaw of a degrees moves the nose by
// about 0.87 tan(a) (0.82 to 0.98 tan(a) for turns of 15 to 40 degrees with the camera 8 to 3 eye
// distances away) and narrows the face to about cos(a), so 1 / sqrt(1 + (lateral / 0.87)^2).
// The model's own squeeze against this curve is 0.986 to 1.063 over those turns and distances.
double turned_head_aspect(double lateral);

// The nose's position across the eyes-mouth triangle: 0 when it sits on the face's midline,
// +1 over the left eye, -1 over the right eye (the scale of face::Quality::yaw). Affine-invariant.
double nose_lateral(const HeadPoints& points);

}  // namespace fu::unlock
