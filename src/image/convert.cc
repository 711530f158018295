#include "image/convert.h"

#include <cstdint>
#include <string>

#include "base/error.h"

namespace fu::image {
namespace {

// BT.601 weights scaled by 2^14; they sum to exactly 2^14 so grey levels map to themselves.
constexpr std::uint32_t kRedWeight = 4899;
constexpr std::uint32_t kGreenWeight = 9617;
constexpr std::uint32_t kBlueWeight = 1868;
constexpr int kWeightShift = 14;

std::uint8_t luma(std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  const std::uint32_t sum = kRedWeight * r + kGreenWeight * g + kBlueWeight * b;
  return static_cast<std::uint8_t>((sum + (1u << (kWeightShift - 1))) >> kWeightShift);
}

void require_channels(ImageView source, int channels, const char* action) {
  if (source.empty()) throw Error(std::string("cannot ") + action + " (empty): no pixels");
  if (source.channels() != channels) {
    throw Error(std::string("cannot ") + action + " (" + shape_text(source) + "): expected " +
                std::to_string(channels) + " channels");
  }
}

// Calls pixel(src, dst) for each pixel; both point at the pixel's first channel.
template <typename PixelFn>
Image map_pixels(ImageView source, int out_channels, PixelFn pixel) {
  Image out(source.width(), source.height(), out_channels);
  const int in_channels = source.channels();
  for (int y = 0; y < source.height(); ++y) {
    const std::uint8_t* src = source.row(y);
    std::uint8_t* dst = out.row(y);
    for (int x = 0; x < source.width(); ++x) {
      pixel(src, dst);
      src += in_channels;
      dst += out_channels;
    }
  }
  return out;
}

}  // namespace

Image rgba_to_rgb(ImageView rgba) {
  require_channels(rgba, 4, "convert RGBA image to RGB");
  return map_pixels(rgba, 3, [](const std::uint8_t* s, std::uint8_t* d) {
    d[0] = s[0];
    d[1] = s[1];
    d[2] = s[2];
  });
}

Image rgb_to_grey(ImageView rgb) {
  require_channels(rgb, 3, "convert RGB image to grey");
  return map_pixels(rgb, 1,
                    [](const std::uint8_t* s, std::uint8_t* d) { d[0] = luma(s[0], s[1], s[2]); });
}

Image rgba_to_grey(ImageView rgba) {
  require_channels(rgba, 4, "convert RGBA image to grey");
  return map_pixels(rgba, 1,
                    [](const std::uint8_t* s, std::uint8_t* d) { d[0] = luma(s[0], s[1], s[2]); });
}

Image grey_to_rgb(ImageView grey) {
  require_channels(grey, 1, "convert grey image to RGB");
  return map_pixels(grey, 3,
                    [](const std::uint8_t* s, std::uint8_t* d) { d[0] = d[1] = d[2] = s[0]; });
}

Image swap_red_blue(ImageView rgb_or_rgba) {
  if (rgb_or_rgba.empty()) throw Error("cannot swap red and blue (empty): no pixels");
  const int channels = rgb_or_rgba.channels();
  if (channels != 3 && channels != 4) {
    throw Error("cannot swap red and blue (" + shape_text(rgb_or_rgba) +
                "): expected 3 or 4 channels");
  }
  return map_pixels(rgb_or_rgba, channels, [channels](const std::uint8_t* s, std::uint8_t* d) {
    d[0] = s[2];
    d[1] = s[1];
    d[2] = s[0];
    if (channels == 4) d[3] = s[3];
  });
}

Image convert_channels(ImageView source, int channels) {
  if (source.empty()) throw Error("cannot convert image channels (empty): no pixels");
  if (channels != 1 && channels != 3 && channels != 4) {
    throw Error("cannot convert image channels (" + shape_text(source) + " to " +
                std::to_string(channels) + "): target must be 1, 3 or 4 channels");
  }
  const int from = source.channels();
  if (from == channels) return Image::copy_of(source);
  if (channels == 1) return from == 3 ? rgb_to_grey(source) : rgba_to_grey(source);
  if (channels == 3) return from == 1 ? grey_to_rgb(source) : rgba_to_rgb(source);
  // To RGBA: an opaque alpha, because neither grey nor RGB carries transparency.
  return map_pixels(source, 4, [from](const std::uint8_t* s, std::uint8_t* d) {
    d[0] = s[0];
    d[1] = s[from == 1 ? 0 : 1];
    d[2] = s[from == 1 ? 0 : 2];
    d[3] = 255;
  });
}

void normalize_to_float(ImageView source, const ChannelNormalization& normalization, float* out,
                        std::size_t out_count) {
  if (source.empty()) throw Error("cannot normalize image (empty): no pixels");
  const int channels = source.channels();
  const std::size_t row_count = static_cast<std::size_t>(source.width()) * channels;
  const std::size_t needed = row_count * source.height();
  if (out == nullptr || out_count < needed) {
    throw Error("cannot normalize image (" + shape_text(source) + "): output buffer holds " +
                std::to_string(out == nullptr ? 0 : out_count) + " floats, " +
                std::to_string(needed) + " needed");
  }
  for (int y = 0; y < source.height(); ++y) {
    const std::uint8_t* src = source.row(y);
    float* dst = out + row_count * y;
    for (std::size_t i = 0; i < row_count; i += channels) {
      for (int c = 0; c < channels; ++c) {
        dst[i + c] =
            (static_cast<float>(src[i + c]) - normalization.mean[c]) * normalization.scale[c];
      }
    }
  }
}

ImageF normalize_to_float(ImageView source, const ChannelNormalization& normalization) {
  if (source.empty()) throw Error("cannot normalize image (empty): no pixels");
  ImageF out(source.width(), source.height(), source.channels());
  normalize_to_float(source, normalization, out.data(), out.size());
  return out;
}

}  // namespace fu::image
