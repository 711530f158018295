// Fitting an image of any shape into a detector's fixed input without distorting it: scale it
// until it just fits, centre it and pad the rest evenly (black). Detections come back in input
// coordinates and are mapped to the image's through the same numbers.
#pragma once

#include "face/face.h"
#include "image/image.h"
#include "image/warp.h"

namespace fu::face {

// image -> input: q = (p + 0.5) * scale - 0.5 + pad, per axis, in pixel-centre coordinates, so
// the image's outer edges land on the padded region's edges (as image/resize.h lines them up).
struct Letterbox {
  int input_width = 0;
  int input_height = 0;
  double scale = 1.0;
  double pad_x = 0.0;  // empty input columns on each side (may be fractional)
  double pad_y = 0.0;

  image::AffineTransform image_to_input() const;
  image::Point to_input(image::Point image_point) const;
  image::Point to_image(image::Point input_point) const;
  FaceBox to_image(const FaceBox& input_box) const;
  // Keypoints and box; the score is unchanged.
  Face to_image(const Face& input_face) const;
};

// Throws fu::Error if any size is not positive.
Letterbox make_letterbox(int image_width, int image_height, int input_width, int input_height);

// The input image: `image` placed by `letterbox`, padded with black, same channel count.
image::Image apply_letterbox(const image::ImageView& image, const Letterbox& letterbox);

}  // namespace fu::face
