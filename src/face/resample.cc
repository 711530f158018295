#include "face/resample.h"

#include <cmath>

#include "image/resize.h"

namespace fu::face {

image::Image warp_affine_antialiased(const image::ImageView& input,
                                     const image::AffineTransform& input_to_output, int out_width,
                                     int out_height, const image::WarpOptions& options) {
  image::Image reduced;
  image::ImageView current = input;
  image::AffineTransform transform = input_to_output;
  while (current.width() >= 4 && current.height() >= 4) {
    // The transform's mean linear scale; a similarity's exactly.
    const auto& m = transform.coefficients();
    const double scale = std::sqrt(std::fabs(m[0] * m[4] - m[1] * m[3]));
    if (!(scale <= 0.5)) break;
    const int w = (current.width() + 1) / 2;
    const int h = (current.height() + 1) / 2;
    const double fx = static_cast<double>(w) / current.width();
    const double fy = static_cast<double>(h) / current.height();
    // resize_bilinear lines up outer edges: p -> (p + 0.5) * f - 0.5 per axis.
    const image::AffineTransform to_reduced(fx, 0.0, 0.5 * fx - 0.5, 0.0, fy, 0.5 * fy - 0.5);
    transform = image::compose(transform, to_reduced.inverse());
    reduced = image::resize_bilinear(current, w, h);
    current = reduced;
  }
  return image::warp_affine(current, transform, out_width, out_height, options);
}

}  // namespace fu::face
