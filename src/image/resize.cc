#include "image/resize.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"

namespace fu::image {
namespace {

// Where one output coordinate samples along one axis: between in[first] and in[first + 1]
// (stored as a channel-scaled offset) with weight `frac` on the second.
struct Tap {
  std::size_t first;
  std::size_t second;
  float frac;
};

std::vector<Tap> make_taps(int in_size, int out_size, std::size_t step) {
  std::vector<Tap> taps(out_size);
  const double scale = static_cast<double>(in_size) / out_size;
  for (int i = 0; i < out_size; ++i) {
    double position = (i + 0.5) * scale - 0.5;
    if (position < 0.0) position = 0.0;
    int first = static_cast<int>(std::floor(position));
    double frac = position - first;
    if (first >= in_size - 1) {
      first = in_size - 1;
      frac = 0.0;
    }
    const int second = first + 1 < in_size ? first + 1 : first;
    taps[i] = Tap{first * step, second * step, static_cast<float>(frac)};
  }
  return taps;
}

std::uint8_t round_to_u8(float value) {
  if (value <= 0.0f) return 0;
  if (value >= 255.0f) return 255;
  return static_cast<std::uint8_t>(value + 0.5f);
}
float keep_float(float value) { return value; }

// The output pixels in `region` (inside `out`).
template <typename Out, typename Convert>
void resize_into(ImageView source, Out& out, const Rect& region, Convert convert) {
  const int channels = source.channels();
  const std::vector<Tap> columns = make_taps(source.width(), out.width(), channels);
  const std::vector<Tap> rows = make_taps(source.height(), out.height(), 1);
  for (int y = region.y; y < region.y + region.height; ++y) {
    const std::uint8_t* top = source.row(static_cast<int>(rows[y].first));
    const std::uint8_t* bottom = source.row(static_cast<int>(rows[y].second));
    const float wy = rows[y].frac;
    auto* dst = out.row(y);
    for (int x = region.x; x < region.x + region.width; ++x) {
      const Tap& tap = columns[x];
      for (int c = 0; c < channels; ++c) {
        // Lerp form a + (b - a) * w keeps flat regions exactly flat.
        const float t0 = top[tap.first + c];
        const float t1 = top[tap.second + c];
        const float b0 = bottom[tap.first + c];
        const float b1 = bottom[tap.second + c];
        const float upper = t0 + (t1 - t0) * tap.frac;
        const float lower = b0 + (b1 - b0) * tap.frac;
        dst[static_cast<std::size_t>(x) * channels + c] = convert(upper + (lower - upper) * wy);
      }
    }
  }
}

// A 2x downscale of even sides samples every output pixel at the centre of a 2x2 block
// (position 2i + 0.5, weights exactly 1/2), where the float lerps above are exact and their
// rounding is (sum + 2) / 4: the same bytes in integers, at a fraction of the cost (the detector
// halves every 640x480 frame twice). `Channels` is a constant so that the channel loop unrolls.
template <int Channels>
void halve_into(ImageView source, Image& out, const Rect& region) {
  const std::size_t step = Channels;
  for (int y = region.y; y < region.y + region.height; ++y) {
    const std::uint8_t* top = source.row(2 * y) + 2 * step * region.x;
    const std::uint8_t* bottom = source.row(2 * y + 1) + 2 * step * region.x;
    std::uint8_t* dst = out.row(y) + step * region.x;
    for (int x = 0; x < region.width; ++x) {
      for (std::size_t c = 0; c < step; ++c) {
        const unsigned sum = top[c] + top[step + c] + bottom[c] + bottom[step + c];
        dst[c] = static_cast<std::uint8_t>((sum + 2) >> 2);
      }
      top += 2 * step;
      bottom += 2 * step;
      dst += step;
    }
  }
}

void check_source(ImageView source, int out_width, int out_height) {
  if (source.empty()) {
    throw Error("cannot resize image (empty to " + std::to_string(out_width) + "x" +
                std::to_string(out_height) + "): no pixels");
  }
}

// The u8 resize of `region` of `out`, by the exact 2x2 average where it applies.
void resize_region_into(ImageView source, Image& out, const Rect& region) {
  if (source.width() == 2 * out.width() && source.height() == 2 * out.height()) {
    switch (source.channels()) {
      case 1:
        return halve_into<1>(source, out, region);
      case 3:
        return halve_into<3>(source, out, region);
      case 4:
        return halve_into<4>(source, out, region);
    }
  }
  resize_into(source, out, region, round_to_u8);
}

}  // namespace

Image resize_bilinear(ImageView source, int out_width, int out_height) {
  check_source(source, out_width, out_height);
  check_image_size(out_width, out_height, source.channels(), 1, "resized image");
  Image out(out_width, out_height, source.channels());
  resize_region_into(source, out, Rect{0, 0, out_width, out_height});
  return out;
}

void resize_bilinear_region(ImageView source, Image& out, const Rect& region) {
  check_source(source, out.width(), out.height());
  if (out.empty() || out.channels() != source.channels() || region.width <= 0 ||
      region.height <= 0 || region.x < 0 || region.y < 0 || region.x + region.width > out.width() ||
      region.y + region.height > out.height()) {
    throw Error("cannot resize image region (" + std::to_string(region.width) + "x" +
                std::to_string(region.height) + " at " + std::to_string(region.x) + "," +
                std::to_string(region.y) + " of a " + std::to_string(out.width()) + "x" +
                std::to_string(out.height()) + "x" + std::to_string(out.channels()) +
                " output): the region must be non-empty and inside an output with the source's " +
                std::to_string(source.channels()) + " channels");
  }
  resize_region_into(source, out, region);
}

ImageF resize_bilinear_float(ImageView source, int out_width, int out_height) {
  check_source(source, out_width, out_height);
  check_image_size(out_width, out_height, source.channels(), sizeof(float), "resized image");
  ImageF out(out_width, out_height, source.channels());
  resize_into(source, out, Rect{0, 0, out_width, out_height}, keep_float);
  return out;
}

}  // namespace fu::image
