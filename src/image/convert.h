// Channel-layout conversions and float normalisation of 8-bit images.
// Each converter throws fu::Error if the source is empty or has the wrong channel count.
#pragma once

#include <array>
#include <cstddef>

#include "image/image.h"

namespace fu::image {

// Drops alpha.
Image rgba_to_rgb(ImageView rgba);
// Luma with the ITU-R BT.601 weights Y = 0.299 R + 0.587 G + 0.114 B, rounded to nearest
// (14-bit fixed point, so white stays 255).
Image rgb_to_grey(ImageView rgb);
// Ignores alpha; same weights as rgb_to_grey.
Image rgba_to_grey(ImageView rgba);
// Copies grey into R, G and B.
Image grey_to_rgb(ImageView grey);
// Swaps the first and third channels: BGR <-> RGB, BGRA <-> RGBA.
Image swap_red_blue(ImageView rgb_or_rgba);
// Any of 1, 3, 4 channels to any of 1, 3, 4 with the rules above; added alpha is 255.
Image convert_channels(ImageView source, int channels);

// out = (pixel - mean[c]) * scale[c] for channel c; entries past the image's channels are unused.
// E.g. mean 127.5 and scale 1/128 map [0, 255] to about [-1, 1].
struct ChannelNormalization {
  std::array<float, 4> mean = {0.0f, 0.0f, 0.0f, 0.0f};
  std::array<float, 4> scale = {1.0f, 1.0f, 1.0f, 1.0f};
};

// Writes width * height * channels floats, interleaved HWC, into `out`, which must hold at least
// `out_count` floats. For a region, pass source.crop(rect).
void normalize_to_float(ImageView source, const ChannelNormalization& normalization, float* out,
                        std::size_t out_count);
ImageF normalize_to_float(ImageView source, const ChannelNormalization& normalization);

}  // namespace fu::image
