#include "face/resample.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "image/resize.h"

namespace fu::face {
namespace {

// A span of columns or rows, both ends included.
struct Span {
  int first = 0;
  int last = 0;
};

// [lo, hi] in whole pixels, clamped to [0, size - 1] (an empty or non-finite range clamps to the
// nearer edge, which a replicated border reads).
Span clamped_span(double lo, double hi, int size) {
  auto clamp = [size](double v) {
    if (std::isnan(v)) return 0;
    return static_cast<int>(std::clamp(v, 0.0, static_cast<double>(size - 1)));
  };
  Span s{clamp(std::floor(lo)), clamp(std::floor(hi))};
  if (std::isnan(lo) || std::isnan(hi)) s = Span{0, size - 1};
  return s;
}

// The input pixels a warp to out_width x out_height through input_to_output can read: the
// bounding box of the output corners mapped back, widened by the bilinear taps, clamped.
image::Rect warp_footprint(const image::AffineTransform& input_to_output, int out_width,
                           int out_height, int input_width, int input_height) {
  const image::AffineTransform back = input_to_output.inverse();
  double min_x = INFINITY, max_x = -INFINITY, min_y = INFINITY, max_y = -INFINITY;
  for (double x : {0.0, out_width - 1.0}) {
    for (double y : {0.0, out_height - 1.0}) {
      const image::Point p = back.apply(image::Point{x, y});
      min_x = std::fmin(min_x, p.x);
      max_x = std::fmax(max_x, p.x);
      min_y = std::fmin(min_y, p.y);
      max_y = std::fmax(max_y, p.y);
    }
  }
  // One pixel beyond each side covers the second tap and the warp's snapping of coordinates.
  const Span xs = clamped_span(min_x - 1.0, max_x + 2.0, input_width);
  const Span ys = clamped_span(min_y - 1.0, max_y + 2.0, input_height);
  return image::Rect{xs.first, ys.first, xs.last - xs.first + 1, ys.last - ys.first + 1};
}

// The source pixels along one axis that a resize from in_size to out_size reads for the output
// pixels `out` (image/resize.h: p -> (p + 0.5) * in / out - 0.5, taps floor and floor + 1),
// with a pixel to spare on each side.
Span source_span(Span out, int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  return clamped_span((out.first + 0.5) * scale - 0.5 - 1.0, (out.last + 0.5) * scale - 0.5 + 2.0,
                      in_size);
}

}  // namespace

image::Image warp_affine_antialiased(const image::ImageView& input,
                                     const image::AffineTransform& input_to_output, int out_width,
                                     int out_height, const image::WarpOptions& options) {
  // The halvings first as sizes and transforms only, then the pixels of each halved image that
  // the next step reads: a face's warp out of a camera frame needs a small part of it.
  std::vector<image::Rect> sizes;  // width and height of each halved image
  int width = input.width();
  int height = input.height();
  image::AffineTransform transform = input_to_output;
  while (width >= 4 && height >= 4) {
    // The transform's mean linear scale; a similarity's exactly.
    const auto& m = transform.coefficients();
    const double scale = std::sqrt(std::fabs(m[0] * m[4] - m[1] * m[3]));
    if (!(scale <= 0.5)) break;
    const int w = (width + 1) / 2;
    const int h = (height + 1) / 2;
    const double fx = static_cast<double>(w) / width;
    const double fy = static_cast<double>(h) / height;
    // resize_bilinear lines up outer edges: p -> (p + 0.5) * f - 0.5 per axis.
    const image::AffineTransform to_reduced(fx, 0.0, 0.5 * fx - 0.5, 0.0, fy, 0.5 * fy - 0.5);
    transform = image::compose(transform, to_reduced.inverse());
    sizes.push_back(image::Rect{0, 0, w, h});
    width = w;
    height = h;
  }
  if (sizes.empty()) return image::warp_affine(input, transform, out_width, out_height, options);

  // Backwards: the region of each halved image that the step after it reads.
  std::vector<image::Rect> regions(sizes.size());
  regions.back() = warp_footprint(transform, out_width, out_height, width, height);
  for (std::size_t k = sizes.size() - 1; k > 0; --k) {
    const image::Rect& out = regions[k];
    const Span xs =
        source_span(Span{out.x, out.x + out.width - 1}, sizes[k - 1].width, sizes[k].width);
    const Span ys =
        source_span(Span{out.y, out.y + out.height - 1}, sizes[k - 1].height, sizes[k].height);
    regions[k - 1] =
        image::Rect{xs.first, ys.first, xs.last - xs.first + 1, ys.last - ys.first + 1};
  }
  // Forwards: each region exactly as resize_bilinear computes it, in images of the full halved
  // size so that the transform (and so every sample) stays what it would be without regions.
  image::Image previous;
  image::Image current;
  image::ImageView source = input;
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    current = image::Image(sizes[k].width, sizes[k].height, input.channels());
    image::resize_bilinear_region(source, current, regions[k]);
    previous = std::move(current);
    source = previous;
  }
  return image::warp_affine(source, transform, out_width, out_height, options);
}

}  // namespace fu::face
