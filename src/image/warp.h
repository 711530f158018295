// Affine transforms of the image plane and warping images through them.
//
// Coordinates: x to the right, y down, pixel (x, y)'s centre at the point (x, y) (see image.h).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "image/image.h"

namespace fu::image {

// The map p -> (a x + b y + c, d x + e y + f), stored row-major as {a, b, c, d, e, f}.
class AffineTransform {
 public:
  // The identity.
  AffineTransform() = default;
  AffineTransform(double a, double b, double c, double d, double e, double f)
      : m_{a, b, c, d, e, f} {}

  static AffineTransform identity() { return AffineTransform(); }
  static AffineTransform translation(double tx, double ty);
  // p -> scale * R(angle) * p + (tx, ty), where R turns the +x axis towards +y (clockwise on
  // screen, since y points down). No reflection; scale must be positive for an invertible map.
  static AffineTransform similarity(double scale, double angle_radians, double tx, double ty);

  Point apply(Point p) const {
    return Point{m_[0] * p.x + m_[1] * p.y + m_[2], m_[3] * p.x + m_[4] * p.y + m_[5]};
  }
  // Throws fu::Error if the linear part is singular (or nearly so).
  AffineTransform inverse() const;

  const std::array<double, 6>& coefficients() const { return m_; }

 private:
  std::array<double, 6> m_ = {1.0, 0.0, 0.0, 0.0, 1.0, 0.0};
};

// The transform that applies `inner` first and then `outer`: p -> outer(inner(p)).
AffineTransform compose(const AffineTransform& outer, const AffineTransform& inner);

enum class BorderMode {
  kConstant,   // samples outside the input read WarpOptions::border_value
  kReplicate,  // samples outside the input read the nearest edge pixel
};

struct WarpOptions {
  BorderMode border = BorderMode::kConstant;
  // Per channel (grey uses [0], RGB [0..2]); only for kConstant.
  std::array<std::uint8_t, 4> border_value = {0, 0, 0, 0};
};

// Produces an out_width x out_height image with out(q) = bilinear sample of input at
// input_to_output^-1(q): the transform maps INPUT coordinates to OUTPUT coordinates (as
// estimate_similarity(landmarks_in_photo, template_points) returns), and is inverted here.
// Bilinear taps straddling the border blend with the border value (like OpenCV's warpAffine).
// Throws fu::Error if the input is empty, the size is invalid or the transform is singular.
Image warp_affine(ImageView input, const AffineTransform& input_to_output, int out_width,
                  int out_height, const WarpOptions& options = {});

// The similarity (uniform scale, rotation, translation; no reflection) T minimising
// sum_i |T(source[i]) - destination[i]|^2, in closed form (Umeyama 1991, here in 2-D).
// Throws fu::Error for fewer than 2 pairs, different counts, non-finite coordinates, or when the
// source (or destination) points all coincide.
AffineTransform estimate_similarity(const std::vector<Point>& source,
                                    const std::vector<Point>& destination);

}  // namespace fu::image
