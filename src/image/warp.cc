#include "image/warp.h"

#include <cmath>
#include <string>

#include "base/error.h"

namespace fu::image {
namespace {

std::string transform_text(const AffineTransform& t) {
  const auto& m = t.coefficients();
  std::string text = "[";
  for (int i = 0; i < 6; ++i) {
    text += std::to_string(m[i]);
    text += i == 2 ? "; " : (i == 5 ? "]" : " ");
  }
  return text;
}

// Inverse mapping accumulates rounding (cos(pi/2) is 6e-17, not 0); snapping coordinates that are
// integers up to that noise makes exact transforms (shifts, quarter turns) copy pixels exactly.
double snap(double v) {
  const double r = std::nearbyint(v);
  return std::fabs(v - r) < 1e-9 ? r : v;
}

}  // namespace

AffineTransform AffineTransform::translation(double tx, double ty) {
  return AffineTransform(1.0, 0.0, tx, 0.0, 1.0, ty);
}

AffineTransform AffineTransform::similarity(double scale, double angle_radians, double tx,
                                            double ty) {
  const double c = scale * std::cos(angle_radians);
  const double s = scale * std::sin(angle_radians);
  return AffineTransform(c, -s, tx, s, c, ty);
}

AffineTransform AffineTransform::inverse() const {
  const auto& m = m_;
  const double det = m[0] * m[4] - m[1] * m[3];
  // Relative test: a transform that shrinks by 1e-12 is as useless as a singular one.
  const double size = std::fabs(m[0]) + std::fabs(m[1]) + std::fabs(m[3]) + std::fabs(m[4]);
  if (!std::isfinite(det) || std::fabs(det) <= 1e-12 * size * size) {
    throw Error("cannot invert affine transform (" + transform_text(*this) +
                "): its linear part is singular");
  }
  const double a = m[4] / det;
  const double b = -m[1] / det;
  const double d = -m[3] / det;
  const double e = m[0] / det;
  return AffineTransform(a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5]));
}

AffineTransform compose(const AffineTransform& outer, const AffineTransform& inner) {
  const auto& o = outer.coefficients();
  const auto& i = inner.coefficients();
  return AffineTransform(o[0] * i[0] + o[1] * i[3], o[0] * i[1] + o[1] * i[4],
                         o[0] * i[2] + o[1] * i[5] + o[2], o[3] * i[0] + o[4] * i[3],
                         o[3] * i[1] + o[4] * i[4], o[3] * i[2] + o[4] * i[5] + o[5]);
}

Image warp_affine(ImageView input, const AffineTransform& input_to_output, int out_width,
                  int out_height, const WarpOptions& options) {
  if (input.empty()) throw Error("cannot warp image (empty): no pixels");
  check_image_size(out_width, out_height, input.channels(), 1, "warped image");
  const AffineTransform output_to_input = input_to_output.inverse();

  const int channels = input.channels();
  const int width = input.width();
  const int height = input.height();
  const bool replicate = options.border == BorderMode::kReplicate;
  // Pointer to the pixel (x, y), or null for the constant border.
  auto pixel = [&](int x, int y) -> const std::uint8_t* {
    if (x < 0 || x >= width || y < 0 || y >= height) {
      if (!replicate) return nullptr;
      x = x < 0 ? 0 : (x >= width ? width - 1 : x);
      y = y < 0 ? 0 : (y >= height ? height - 1 : y);
    }
    return input.row(y) + static_cast<std::size_t>(x) * channels;
  };
  const std::uint8_t* border = options.border_value.data();

  Image out(out_width, out_height, channels);
  for (int y = 0; y < out_height; ++y) {
    std::uint8_t* dst = out.row(y);
    for (int x = 0; x < out_width; ++x, dst += channels) {
      const Point p = output_to_input.apply(Point{static_cast<double>(x), static_cast<double>(y)});
      double sx = snap(p.x);
      double sy = snap(p.y);
      if (replicate) {
        // Clamping the sample point is the same as bilinear sampling with replicated edges.
        sx = std::isnan(sx) ? 0.0 : std::fmin(std::fmax(sx, 0.0), width - 1.0);
        sy = std::isnan(sy) ? 0.0 : std::fmin(std::fmax(sy, 0.0), height - 1.0);
      } else if (!(sx > -1.0 && sx < width && sy > -1.0 && sy < height)) {
        // Every tap is border (also true for NaN); keeps the int conversion below in range.
        for (int c = 0; c < channels; ++c) dst[c] = border[c];
        continue;
      }
      const int x0 = static_cast<int>(std::floor(sx));
      const int y0 = static_cast<int>(std::floor(sy));
      const float fx = static_cast<float>(sx - x0);
      const float fy = static_cast<float>(sy - y0);
      const std::uint8_t* p00 = pixel(x0, y0);
      const std::uint8_t* p01 = pixel(x0 + 1, y0);
      const std::uint8_t* p10 = pixel(x0, y0 + 1);
      const std::uint8_t* p11 = pixel(x0 + 1, y0 + 1);
      for (int c = 0; c < channels; ++c) {
        const float v00 = p00 ? p00[c] : border[c];
        const float v01 = p01 ? p01[c] : border[c];
        const float v10 = p10 ? p10[c] : border[c];
        const float v11 = p11 ? p11[c] : border[c];
        const float upper = v00 + (v01 - v00) * fx;
        const float lower = v10 + (v11 - v10) * fx;
        const float v = upper + (lower - upper) * fy;
        dst[c] = static_cast<std::uint8_t>(v <= 0.0f ? 0.0f : (v >= 255.0f ? 255.0f : v + 0.5f));
      }
    }
  }
  return out;
}

AffineTransform estimate_similarity(const std::vector<Point>& source,
                                    const std::vector<Point>& destination) {
  const std::string prefix = "cannot estimate similarity transform (" +
                             std::to_string(source.size()) + " source, " +
                             std::to_string(destination.size()) + " destination points): ";
  if (source.size() != destination.size()) throw Error(prefix + "counts differ");
  if (source.size() < 2) throw Error(prefix + "need at least 2 point pairs");
  const double n = static_cast<double>(source.size());
  Point source_mean;
  Point destination_mean;
  for (std::size_t i = 0; i < source.size(); ++i) {
    const Point& s = source[i];
    const Point& d = destination[i];
    if (!std::isfinite(s.x) || !std::isfinite(s.y) || !std::isfinite(d.x) || !std::isfinite(d.y)) {
      throw Error(prefix + "point pair " + std::to_string(i) + " is not finite");
    }
    source_mean.x += s.x / n;
    source_mean.y += s.y / n;
    destination_mean.x += d.x / n;
    destination_mean.y += d.y / n;
  }
  // With centred points s, d and T(s) = [c -k; k c] s, the squared error is a quadratic in (c, k)
  // whose minimum is c = sum(s.d) / sum|s|^2, k = sum(s x d) / sum|s|^2: Umeyama's solution,
  // which in 2-D needs no SVD because rotations and scalings form the complex numbers.
  double source_spread = 0.0;
  double destination_spread = 0.0;
  double magnitude = 0.0;
  double dot = 0.0;
  double cross = 0.0;
  for (std::size_t i = 0; i < source.size(); ++i) {
    const double sx = source[i].x - source_mean.x;
    const double sy = source[i].y - source_mean.y;
    const double dx = destination[i].x - destination_mean.x;
    const double dy = destination[i].y - destination_mean.y;
    source_spread += sx * sx + sy * sy;
    destination_spread += dx * dx + dy * dy;
    magnitude += source[i].x * source[i].x + source[i].y * source[i].y +
                 destination[i].x * destination[i].x + destination[i].y * destination[i].y;
    dot += sx * dx + sy * dy;
    cross += sx * dy - sy * dx;
  }
  // Relative tolerance: coordinates that agree to about 1e-6 of their size count as one point.
  const double tolerance = 1e-12 * (1.0 + magnitude);
  if (source_spread <= tolerance) throw Error(prefix + "the source points all coincide");
  if (destination_spread <= tolerance) throw Error(prefix + "the destination points all coincide");
  const double c = dot / source_spread;
  const double k = cross / source_spread;
  return AffineTransform(c, -k, destination_mean.x - (c * source_mean.x - k * source_mean.y), k, c,
                         destination_mean.y - (k * source_mean.x + c * source_mean.y));
}

}  // namespace fu::image
