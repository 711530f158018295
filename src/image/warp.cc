#include "image/warp.h"

#include <cmath>
#include <string>
#include <vector>

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

// Where a sample point falls along one axis of the input: the bilinear taps' indices (-1 for a
// tap outside the input under a constant border) and the weight of the second one. `outside`:
// every tap is border (a constant border only).
struct AxisTap {
  int first = 0;
  int second = 0;
  float weight = 0.0f;
  bool outside = false;
};

class AxisSampler {
 public:
  AxisSampler(int size, bool replicate) : size_(size), replicate_(replicate) {}

  __attribute__((always_inline)) AxisTap tap(double coordinate) const {
    double s = snap(coordinate);
    AxisTap t;
    if (replicate_) {
      // Clamping the sample point is the same as bilinear sampling with replicated edges.
      // (Plain comparisons: fmin and fmax cost NaN handling in WebAssembly. -0.0 may stay -0.0
      // where fmax could return +0.0; either gives the same tap and a weight of zero.)
      if (!(s >= 0.0)) {
        s = 0.0;  // also NaN
      } else if (s > size_ - 1.0) {
        s = size_ - 1.0;
      }
    } else if (!(s > -1.0 && s < size_)) {
      // Every tap is border (also true for NaN); keeps the int conversion below in range.
      t.outside = true;
      return t;
    }
    const int first = static_cast<int>(std::floor(s));
    t.weight = static_cast<float>(s - first);
    t.first = index(first);
    t.second = index(first + 1);
    return t;
  }

 private:
  int index(int i) const {
    if (i >= 0 && i < size_) return i;
    if (!replicate_) return -1;
    return i < 0 ? 0 : size_ - 1;
  }

  int size_;
  bool replicate_;
};

std::uint8_t round_to_u8(float v) {
  return static_cast<std::uint8_t>(v <= 0.0f ? 0.0f : (v >= 255.0f ? 255.0f : v + 0.5f));
}

// Upper row lerp, lower row lerp, then between them: the one order of operations every path
// keeps, so that all of them give the same bytes.
std::uint8_t blend(float v00, float v01, float v10, float v11, float fx, float fy) {
  const float upper = v00 + (v01 - v00) * fx;
  const float lower = v10 + (v11 - v10) * fx;
  return round_to_u8(upper + (lower - upper) * fy);
}

// blend() of four channels at once (RGBA camera frames), lane for lane the same float operations
// in the same order, on GCC/Clang vector types. The rounding min(max(v + 0.5, 0), 255) truncated
// equals round_to_u8(v). Bytes move to and from the float lanes by shuffles: a 4-byte vector
// converted directly compiles to a lane-by-lane extract, convert and insert in WebAssembly.
// Used only in WebAssembly, where it pays (0.055 against 0.09 ms for an axis-aligned 112x112
// RGBA warp, bench/frame_stages_bench); g++'s SSE2 lowering of the same code took 0.46 against
// 0.10 ms natively, where the scalar loop stays.
#if defined(__wasm_simd128__)
constexpr bool kVectorBlend = true;
#else
constexpr bool kVectorBlend = false;
#endif

typedef float f32x4 __attribute__((vector_size(16)));
typedef int i32x4 __attribute__((vector_size(16)));
typedef std::uint8_t u8x16 __attribute__((vector_size(16)));

f32x4 load_rgba(const std::uint8_t* p) {
  u8x16 bytes = {};
  __builtin_memcpy(&bytes, p, 4);
  const u8x16 spread = __builtin_shufflevector(bytes, u8x16{}, 0, 16, 16, 16, 1, 16, 16, 16, 2, 16,
                                               16, 16, 3, 16, 16, 16);
  return __builtin_convertvector((i32x4)spread, f32x4);
}

void blend4(const std::uint8_t* p00, const std::uint8_t* p01, const std::uint8_t* p10,
            const std::uint8_t* p11, float fx, float fy, std::uint8_t* dst) {
  const f32x4 v00 = load_rgba(p00);
  const f32x4 v01 = load_rgba(p01);
  const f32x4 v10 = load_rgba(p10);
  const f32x4 v11 = load_rgba(p11);
  const f32x4 upper = v00 + (v01 - v00) * fx;
  const f32x4 lower = v10 + (v11 - v10) * fx;
  f32x4 v = upper + (lower - upper) * fy + 0.5f;
  v = v > 0.0f ? v : 0.0f;
  v = v < 255.0f ? v : 255.0f;
  const u8x16 lanes = (u8x16) __builtin_convertvector(v, i32x4);
  const u8x16 bytes =
      __builtin_shufflevector(lanes, lanes, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12);
  __builtin_memcpy(dst, &bytes, 4);
}

// Bilinear samples of one input, from the taps of both axes.
class PixelSampler {
 public:
  PixelSampler(const ImageView& input, const std::uint8_t* border)
      : input_(input), border_(border) {}

  // `Channels` is a constant so that the channel loop unrolls; a pixel whose four taps are all
  // inside the input (nearly every one of a face crop) reads them without a border test.
  template <int Channels>
  __attribute__((always_inline)) void sample(const AxisTap& column, const AxisTap& row,
                                             std::uint8_t* dst) const {
    if (column.outside || row.outside) {
      for (int c = 0; c < Channels; ++c) dst[c] = border_[c];
      return;
    }
    const float fx = column.weight;
    const float fy = row.weight;
    if ((column.first | column.second | row.first | row.second) >= 0) {
      const std::uint8_t* top = input_.row(row.first);
      const std::uint8_t* bottom = input_.row(row.second);
      const std::size_t left = static_cast<std::size_t>(column.first) * Channels;
      const std::size_t right = static_cast<std::size_t>(column.second) * Channels;
      if constexpr (Channels == 4 && kVectorBlend) {
        blend4(top + left, top + right, bottom + left, bottom + right, fx, fy, dst);
      } else {
        for (int c = 0; c < Channels; ++c) {
          dst[c] =
              blend(top[left + c], top[right + c], bottom[left + c], bottom[right + c], fx, fy);
        }
      }
      return;
    }
    const std::uint8_t* p00 = pixel(column.first, row.first, Channels);
    const std::uint8_t* p01 = pixel(column.second, row.first, Channels);
    const std::uint8_t* p10 = pixel(column.first, row.second, Channels);
    const std::uint8_t* p11 = pixel(column.second, row.second, Channels);
    for (int c = 0; c < Channels; ++c) {
      dst[c] = blend(p00 ? p00[c] : border_[c], p01 ? p01[c] : border_[c],
                     p10 ? p10[c] : border_[c], p11 ? p11[c] : border_[c], fx, fy);
    }
  }

 private:
  // The pixel (x, y), or null for the constant border.
  const std::uint8_t* pixel(int x, int y, int channels) const {
    if (x < 0 || y < 0) return nullptr;
    return input_.row(y) + static_cast<std::size_t>(x) * channels;
  }

  const ImageView& input_;
  const std::uint8_t* border_;
};

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

namespace {

template <int Channels>
void warp_into(const PixelSampler& sampler, const AffineTransform& output_to_input,
               const AxisSampler& columns, const AxisSampler& rows, Image& out) {
  const auto& m = output_to_input.coefficients();
  if (m[1] == 0.0 && m[3] == 0.0) {
    // No rotation or shear: x only moves the input column and y only the row, so each is
    // computed once per output column or row instead of once per pixel. The sums are those of
    // AffineTransform::apply less a zero term, so every sample point is the same.
    std::vector<AxisTap> column_taps(out.width());
    for (int x = 0; x < out.width(); ++x) column_taps[x] = columns.tap(m[0] * x + m[2]);
    for (int y = 0; y < out.height(); ++y) {
      const AxisTap row = rows.tap(m[4] * y + m[5]);
      std::uint8_t* dst = out.row(y);
      for (int x = 0; x < out.width(); ++x, dst += Channels) {
        sampler.sample<Channels>(column_taps[x], row, dst);
      }
    }
    return;
  }
  // AffineTransform::apply's sums, (m0 x + m1 y) + m2, with the products of x computed once per
  // column and those of y once per row: the same operations, so the same sample points.
  std::vector<double> column_x(out.width());
  std::vector<double> column_y(out.width());
  for (int x = 0; x < out.width(); ++x) {
    column_x[x] = m[0] * x;
    column_y[x] = m[3] * x;
  }
  for (int y = 0; y < out.height(); ++y) {
    const double row_x = m[1] * y;
    const double row_y = m[4] * y;
    std::uint8_t* dst = out.row(y);
    for (int x = 0; x < out.width(); ++x, dst += Channels) {
      sampler.sample<Channels>(columns.tap(column_x[x] + row_x + m[2]),
                               rows.tap(column_y[x] + row_y + m[5]), dst);
    }
  }
}

}  // namespace

Image warp_affine(ImageView input, const AffineTransform& input_to_output, int out_width,
                  int out_height, const WarpOptions& options) {
  if (input.empty()) throw Error("cannot warp image (empty): no pixels");
  check_image_size(out_width, out_height, input.channels(), 1, "warped image");
  const AffineTransform output_to_input = input_to_output.inverse();
  const AxisSampler columns(input.width(), options.border == BorderMode::kReplicate);
  const AxisSampler rows(input.height(), options.border == BorderMode::kReplicate);
  const PixelSampler sampler(input, options.border_value.data());
  Image out(out_width, out_height, input.channels());
  switch (input.channels()) {
    case 1:
      warp_into<1>(sampler, output_to_input, columns, rows, out);
      break;
    case 3:
      warp_into<3>(sampler, output_to_input, columns, rows, out);
      break;
    default:
      warp_into<4>(sampler, output_to_input, columns, rows, out);
      break;
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
