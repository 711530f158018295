// Seeded augmentation of aligned face chips: the same chip is a slightly different lesson each
// time it is drawn, so a small data set teaches invariance instead of memorising pixels.
//
// Transforms, in the order applied, each with its own probability and magnitude:
//   yaw         the head turned left or right by a 3-D warp (train/yaw_warp.h): poses the
//               mostly frontal photos of a data set lack (its values are drawn after all the
//               others', so the others draw what they drew before turns existed)
//   mirror      left-right flip (a mirrored face is still the same person)
//   geometry    shift, scale and (optionally) rotation about the chip's centre, in one affine
//               warp (bilinear, edges replicated so no black wedge enters the chip): the
//               detector's keypoints, and so the alignment, jitter by a few pixels in practice
//   brightness  a level added to every channel
//   contrast    distances from the chip's mean level scaled by a factor
//   blur        a box blur of radius 1 (3x3): out-of-focus and low-resolution cameras
// Out: the same size and channel count as in.
//
// Determinism: augment() draws every parameter on every call (a fixed number of draws through
// train/random.h), whether or not its transform then applies, so a given Rng state gives the same
// output on every platform, and switching one transform off does not change what the others do.
// A trainer that augments on several threads, or resumes, can take the engine for each chip from
// stream_rng(seed, pair index * 2 + side): the result then depends on neither.
#pragma once

#include <memory>

#include "image/image.h"
#include "train/random.h"
#include "train/yaw_warp.h"

namespace fu::train {

struct AugmentOptions {
  double mirror_probability = 0.5;
  double geometry_probability = 0.5;
  double max_shift = 0.05;            // per axis, uniform in +-max_shift x the chip's side
  double max_scale = 0.05;            // scale uniform in [1 - max_scale, 1 + max_scale]
  double max_rotation_degrees = 0.0;  // uniform in +-this; 0 = no rotation
  double brightness_probability = 0.5;
  double max_brightness = 20.0;  // levels (of 255), uniform in +-this
  double contrast_probability = 0.5;
  double max_contrast = 0.2;  // factor uniform in [1 - max_contrast, 1 + max_contrast]
  double blur_probability = 0.1;
  double yaw_probability = 0.5;
  double max_yaw_degrees = 0.0;             // uniform in +-this; 0 = no turns; needs yaw_warp
  std::shared_ptr<const YawWarp> yaw_warp;  // made for the chips' size and template
};

// One draw of the parameters: what augment() applies.
struct Augmentation {
  bool mirror = false;
  bool geometry = false;
  double shift_x = 0.0;  // pixels
  double shift_y = 0.0;
  double scale = 1.0;
  double rotation_radians = 0.0;
  bool brightness = false;
  double brightness_delta = 0.0;  // levels
  bool contrast = false;
  double contrast_factor = 1.0;
  bool blur = false;
  bool yaw = false;
  double yaw_radians = 0.0;
};

// Throws fu::Error "cannot augment chip (<option>): <reason>" for a probability outside [0, 1],
// a negative magnitude, max_shift, max_scale or max_contrast of 1 or more, a rotation of 180
// degrees or more, a brightness of 256 or more, or a yaw without a yaw_warp or beyond
// YawWarp::kMaxYawDegrees.
Augmentation draw_augmentation(Rng& rng, const AugmentOptions& options, int width, int height);
// `yaw_warp` is needed only when augmentation.yaw is set.
image::Image apply_augmentation(const image::ImageView& chip, const Augmentation& augmentation,
                                const YawWarp* yaw_warp = nullptr);
// draw_augmentation then apply_augmentation. Throws fu::Error for an empty chip.
image::Image augment(const image::ImageView& chip, const AugmentOptions& options, Rng& rng);

// The building blocks. Each throws fu::Error for an empty image.
image::Image mirror_horizontally(const image::ImageView& image);
// out(c + scale * R(angle) * (p - c) + shift) = in(p), c = the centre ((w-1)/2, (h-1)/2); R turns
// +x towards +y (clockwise on screen).
image::Image shift_scale_rotate(const image::ImageView& image, double shift_x, double shift_y,
                                double scale, double angle_radians);
// v -> mean + factor * (v - mean) + delta, rounded and clamped to 0..255; mean = the average of
// all channels of all pixels (so colour balance is kept).
image::Image adjust_brightness_contrast(const image::ImageView& image, double delta, double factor);
// The mean over the (2 radius + 1)^2 neighbourhood, edges replicated, per channel, rounded.
image::Image box_blur(const image::ImageView& image, int radius = 1);
// weight * a + (1 - weight) * b per value, rounded: mixup's blend of two faces, which is no
// person's face, so only a teacher that sees it can say what it should embed to. Throws
// fu::Error for an empty image, sizes or channel counts that differ, or a weight outside [0, 1].
image::Image blend(const image::ImageView& a, const image::ImageView& b, double weight);

}  // namespace fu::train
