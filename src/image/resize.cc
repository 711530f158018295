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

template <typename Out, typename Convert>
void resize_into(ImageView source, Out& out, Convert convert) {
  const int channels = source.channels();
  const std::vector<Tap> columns = make_taps(source.width(), out.width(), channels);
  const std::vector<Tap> rows = make_taps(source.height(), out.height(), 1);
  for (int y = 0; y < out.height(); ++y) {
    const std::uint8_t* top = source.row(static_cast<int>(rows[y].first));
    const std::uint8_t* bottom = source.row(static_cast<int>(rows[y].second));
    const float wy = rows[y].frac;
    auto* dst = out.row(y);
    for (int x = 0; x < out.width(); ++x) {
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

void check_source(ImageView source, int out_width, int out_height) {
  if (source.empty()) {
    throw Error("cannot resize image (empty to " + std::to_string(out_width) + "x" +
                std::to_string(out_height) + "): no pixels");
  }
}

}  // namespace

Image resize_bilinear(ImageView source, int out_width, int out_height) {
  check_source(source, out_width, out_height);
  check_image_size(out_width, out_height, source.channels(), 1, "resized image");
  Image out(out_width, out_height, source.channels());
  resize_into(source, out, round_to_u8);
  return out;
}

ImageF resize_bilinear_float(ImageView source, int out_width, int out_height) {
  check_source(source, out_width, out_height);
  check_image_size(out_width, out_height, source.channels(), sizeof(float), "resized image");
  ImageF out(out_width, out_height, source.channels());
  resize_into(source, out, keep_float);
  return out;
}

}  // namespace fu::image
