// Affine warping that stays faithful when it shrinks a lot. image::warp_affine samples bilinearly
// with no prefilter, so taking a 640x480 camera frame to a 128x128 detector input would skip most
// pixels and alias fine texture into noise; here the input is first halved (2x2 averages) while
// the transform shrinks by 2x or more.
#pragma once

#include "image/image.h"
#include "image/warp.h"

namespace fu::face {

// Same contract as image::warp_affine (input_to_output maps input pixels to output pixels, any
// channel count, the border as in `options`), with that prefilter.
image::Image warp_affine_antialiased(const image::ImageView& input,
                                     const image::AffineTransform& input_to_output, int out_width,
                                     int out_height, const image::WarpOptions& options = {});

}  // namespace fu::face
