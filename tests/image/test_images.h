// Small synthetic images shared by the image tests.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "image/image.h"

namespace fu::image::testing {

// Deterministic noise, so that failures reproduce.
inline Image random_image(int width, int height, int channels, unsigned seed = 1) {
  Image image(width, height, channels);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  for (std::size_t i = 0; i < image.size_bytes(); ++i) {
    image.data()[i] = static_cast<std::uint8_t>(byte(rng));
  }
  return image;
}

// One-pixel checkerboard of 0 and 255.
inline Image checkerboard(int width, int height) {
  Image image(width, height, 1);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) image.at(x, y, 0) = ((x + y) % 2) ? 255 : 0;
  }
  return image;
}

inline bool same_pixels(const Image& a, const Image& b) {
  if (a.width() != b.width() || a.height() != b.height() || a.channels() != b.channels()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size_bytes(); ++i) {
    if (a.data()[i] != b.data()[i]) return false;
  }
  return true;
}

inline int max_abs_difference(const Image& a, const Image& b) {
  int worst = 0;
  for (std::size_t i = 0; i < a.size_bytes(); ++i) {
    const int d = static_cast<int>(a.data()[i]) - static_cast<int>(b.data()[i]);
    worst = d < 0 ? (-d > worst ? -d : worst) : (d > worst ? d : worst);
  }
  return worst;
}

// Path of the shared face data, or "" when this checkout does not have it.
inline std::string shared_data_dir() {
#ifdef FACEUNLOCK_SHARED_DATA
  return FACEUNLOCK_SHARED_DATA;
#else
  return "";
#endif
}

}  // namespace fu::image::testing
