#include "train/augment.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/warp.h"

namespace fu::train {

namespace {

constexpr double kPi = 3.14159265358979323846;

void require_pixels(const image::ImageView& image, const char* verb) {
  if (image.empty()) throw Error(std::string("cannot ") + verb + " chip (empty): no pixels");
}

[[noreturn]] void refuse_option(const char* name, double value, const char* reason) {
  char text[64];
  std::snprintf(text, sizeof text, "%s %g", name, value);
  throw Error(std::string("cannot augment chip (") + text + "): " + reason);
}

void check_probability(const char* name, double p) {
  if (!(p >= 0.0 && p <= 1.0)) refuse_option(name, p, "a probability must be in [0, 1]");
}

void check_magnitude(const char* name, double m, double below) {
  if (!(m >= 0.0 && m < below)) {
    char reason[64];
    std::snprintf(reason, sizeof reason, "must be in [0, %g)", below);
    refuse_option(name, m, reason);
  }
}

std::uint8_t to_byte(double v) {
  return static_cast<std::uint8_t>(v <= 0.0 ? 0 : (v >= 255.0 ? 255 : static_cast<int>(v + 0.5)));
}

}  // namespace

Augmentation draw_augmentation(Rng& rng, const AugmentOptions& o, int width, int height) {
  check_probability("mirror_probability", o.mirror_probability);
  check_probability("geometry_probability", o.geometry_probability);
  check_probability("brightness_probability", o.brightness_probability);
  check_probability("contrast_probability", o.contrast_probability);
  check_probability("blur_probability", o.blur_probability);
  check_magnitude("max_shift", o.max_shift, 1.0);
  check_magnitude("max_scale", o.max_scale, 1.0);
  check_magnitude("max_rotation_degrees", o.max_rotation_degrees, 180.0);
  check_magnitude("max_brightness", o.max_brightness, 256.0);
  check_magnitude("max_contrast", o.max_contrast, 1.0);
  check_probability("yaw_probability", o.yaw_probability);
  if (!(o.max_yaw_degrees >= 0.0 && o.max_yaw_degrees <= YawWarp::kMaxYawDegrees)) {
    refuse_option("max_yaw_degrees", o.max_yaw_degrees, "must be in [0, 35]");
  }
  if (o.max_yaw_degrees > 0.0 && !o.yaw_warp) {
    refuse_option("max_yaw_degrees", o.max_yaw_degrees,
                  "head turns need a yaw warp made for the chips' template");
  }

  // Every value is drawn on every call, in this order (see the header).
  Augmentation a;
  a.mirror = chance(rng, o.mirror_probability);
  a.geometry = chance(rng, o.geometry_probability);
  const double sx = uniform_between(rng, -o.max_shift, o.max_shift);
  const double sy = uniform_between(rng, -o.max_shift, o.max_shift);
  const double scale = uniform_between(rng, 1.0 - o.max_scale, 1.0 + o.max_scale);
  const double degrees = uniform_between(rng, -o.max_rotation_degrees, o.max_rotation_degrees);
  a.brightness = chance(rng, o.brightness_probability);
  const double delta = uniform_between(rng, -o.max_brightness, o.max_brightness);
  a.contrast = chance(rng, o.contrast_probability);
  const double factor = uniform_between(rng, 1.0 - o.max_contrast, 1.0 + o.max_contrast);
  a.blur = chance(rng, o.blur_probability);
  const bool yaw = chance(rng, o.yaw_probability);
  const double yaw_degrees = uniform_between(rng, -o.max_yaw_degrees, o.max_yaw_degrees);
  if (a.geometry) {
    a.shift_x = sx * width;
    a.shift_y = sy * height;
    a.scale = scale;
    a.rotation_radians = degrees * kPi / 180.0;
  }
  if (a.brightness) a.brightness_delta = delta;
  if (a.contrast) a.contrast_factor = factor;
  if (yaw && o.max_yaw_degrees > 0.0) {
    a.yaw = true;
    a.yaw_radians = yaw_degrees * kPi / 180.0;
  }
  return a;
}

image::Image apply_augmentation(const image::ImageView& chip, const Augmentation& a,
                                const YawWarp* yaw_warp) {
  require_pixels(chip, "augment");
  image::Image out;
  if (a.yaw) {
    if (yaw_warp == nullptr) throw Error("cannot augment chip (yaw): no yaw warp given");
    out = yaw_warp->apply(chip, a.yaw_radians);
    if (a.mirror) out = mirror_horizontally(out);
  } else {
    out = a.mirror ? mirror_horizontally(chip) : image::Image::copy_of(chip);
  }
  if (a.geometry) {
    out = shift_scale_rotate(out, a.shift_x, a.shift_y, a.scale, a.rotation_radians);
  }
  if (a.brightness || a.contrast) {
    out = adjust_brightness_contrast(out, a.brightness_delta, a.contrast_factor);
  }
  if (a.blur) out = box_blur(out, 1);
  return out;
}

image::Image augment(const image::ImageView& chip, const AugmentOptions& options, Rng& rng) {
  require_pixels(chip, "augment");
  return apply_augmentation(chip, draw_augmentation(rng, options, chip.width(), chip.height()),
                            options.yaw_warp.get());
}

image::Image mirror_horizontally(const image::ImageView& image) {
  require_pixels(image, "mirror");
  const int w = image.width();
  const int c = image.channels();
  image::Image out(w, image.height(), c);
  for (int y = 0; y < image.height(); ++y) {
    const std::uint8_t* src = image.row(y);
    std::uint8_t* dst = out.row(y);
    for (int x = 0; x < w; ++x) {
      for (int k = 0; k < c; ++k) dst[x * c + k] = src[(w - 1 - x) * c + k];
    }
  }
  return out;
}

image::Image shift_scale_rotate(const image::ImageView& image, double shift_x, double shift_y,
                                double scale, double angle_radians) {
  require_pixels(image, "warp");
  const image::Point centre{(image.width() - 1) / 2.0, (image.height() - 1) / 2.0};
  const image::AffineTransform linear =
      image::AffineTransform::similarity(scale, angle_radians, 0.0, 0.0);
  const image::Point moved = linear.apply(centre);
  const image::AffineTransform transform = image::AffineTransform::similarity(
      scale, angle_radians, centre.x - moved.x + shift_x, centre.y - moved.y + shift_y);
  image::WarpOptions options;
  options.border = image::BorderMode::kReplicate;
  return image::warp_affine(image, transform, image.width(), image.height(), options);
}

image::Image adjust_brightness_contrast(const image::ImageView& image, double delta,
                                        double factor) {
  require_pixels(image, "adjust");
  const int row_values = image.width() * image.channels();
  double sum = 0.0;
  for (int y = 0; y < image.height(); ++y) {
    const std::uint8_t* src = image.row(y);
    for (int i = 0; i < row_values; ++i) sum += src[i];
  }
  const double mean = sum / (static_cast<double>(row_values) * image.height());
  // A table: 256 evaluations instead of one per value, and the rounding is the same for each.
  std::uint8_t table[256];
  for (int v = 0; v < 256; ++v) table[v] = to_byte(mean + factor * (v - mean) + delta);
  image::Image out(image.width(), image.height(), image.channels());
  for (int y = 0; y < image.height(); ++y) {
    const std::uint8_t* src = image.row(y);
    std::uint8_t* dst = out.row(y);
    for (int i = 0; i < row_values; ++i) dst[i] = table[src[i]];
  }
  return out;
}

image::Image box_blur(const image::ImageView& image, int radius) {
  require_pixels(image, "blur");
  if (radius < 1) {
    throw Error("cannot blur chip (radius " + std::to_string(radius) + "): must be at least 1");
  }
  const int w = image.width();
  const int h = image.height();
  const int c = image.channels();
  auto clamp = [](int v, int high) { return v < 0 ? 0 : (v > high ? high : v); };
  // Separable: a horizontal pass of sums into `rows`, then a vertical pass; exact in integers.
  std::vector<int> rows(static_cast<std::size_t>(w) * h * c);
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* src = image.row(y);
    for (int x = 0; x < w; ++x) {
      for (int k = 0; k < c; ++k) {
        int s = 0;
        for (int d = -radius; d <= radius; ++d) s += src[clamp(x + d, w - 1) * c + k];
        rows[(static_cast<std::size_t>(y) * w + x) * c + k] = s;
      }
    }
  }
  const int area = (2 * radius + 1) * (2 * radius + 1);
  image::Image out(w, h, c);
  for (int y = 0; y < h; ++y) {
    std::uint8_t* dst = out.row(y);
    for (int x = 0; x < w; ++x) {
      for (int k = 0; k < c; ++k) {
        int s = 0;
        for (int d = -radius; d <= radius; ++d) {
          s += rows[(static_cast<std::size_t>(clamp(y + d, h - 1)) * w + x) * c + k];
        }
        dst[x * c + k] = static_cast<std::uint8_t>((s + area / 2) / area);
      }
    }
  }
  return out;
}

image::Image blend(const image::ImageView& a, const image::ImageView& b, double weight) {
  require_pixels(a, "blend");
  require_pixels(b, "blend");
  if (a.width() != b.width() || a.height() != b.height() || a.channels() != b.channels()) {
    throw Error("cannot blend chips (" + std::to_string(a.width()) + "x" +
                std::to_string(a.height()) + "x" + std::to_string(a.channels()) + " with " +
                std::to_string(b.width()) + "x" + std::to_string(b.height()) + "x" +
                std::to_string(b.channels()) + "): they must have the same size and channels");
  }
  if (!(weight >= 0.0 && weight <= 1.0)) {
    throw Error("cannot blend chips (weight " + std::to_string(weight) + "): it must be in [0, 1]");
  }
  const int row_values = a.width() * a.channels();
  image::Image out(a.width(), a.height(), a.channels());
  for (int y = 0; y < a.height(); ++y) {
    const std::uint8_t* pa = a.row(y);
    const std::uint8_t* pb = b.row(y);
    std::uint8_t* dst = out.row(y);
    for (int i = 0; i < row_values; ++i) dst[i] = to_byte(weight * pa[i] + (1.0 - weight) * pb[i]);
  }
  return out;
}

}  // namespace fu::train
