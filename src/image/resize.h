// Bilinear resizing.
//
// Convention (align_corners = false, the pixel-centre convention of OpenCV's INTER_LINEAR and of
// PyTorch's interpolate(mode="bilinear", align_corners=False)): output pixel x samples the source
// at sx = (x + 0.5) * source_width / out_width - 0.5, clamped to [0, source_width - 1], and the
// same for y. So the image's outer edges, not its corner pixel centres, line up, and a 2x
// downscale averages each 2x2 block. There is no antialiasing: shrinking by much more than 2x
// skips pixels, so shrink in 2x steps (or blur first) when aliasing matters.
// 8-bit results are rounded to nearest; they may differ by 1 from OpenCV, which uses fixed point.
#pragma once

#include "image/image.h"

namespace fu::image {

// Throws fu::Error if the source is empty or the output size is invalid.
Image resize_bilinear(ImageView source, int out_width, int out_height);
// The pixels of `region` of `out` (allocated by the caller at the output size, with the source's
// channels), each exactly as resize_bilinear computes it; the rest of `out` is left alone. For a
// caller that reads a small part of a large image (a face in a camera frame). Throws fu::Error if
// the source is empty or the region is empty or not inside `out`.
void resize_bilinear_region(ImageView source, Image& out, const Rect& region);
// Same sampling, unrounded float output in [0, 255] (network input before normalisation).
ImageF resize_bilinear_float(ImageView source, int out_width, int out_height);

}  // namespace fu::image
