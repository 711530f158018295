#include "image/draw.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/error.h"

namespace fu::image {
namespace {

// Fills columns [x0, x1) of rows [y0, y1), clipped to the image. 64-bit bounds so that rectangles
// near INT_MAX cannot overflow.
void fill_span(Image& image, std::int64_t x0, std::int64_t y0, std::int64_t x1, std::int64_t y1,
               const Color& color) {
  x0 = std::max<std::int64_t>(x0, 0);
  y0 = std::max<std::int64_t>(y0, 0);
  x1 = std::min<std::int64_t>(x1, image.width());
  y1 = std::min<std::int64_t>(y1, image.height());
  const int channels = image.channels();
  for (std::int64_t y = y0; y < y1; ++y) {
    std::uint8_t* row = image.row(static_cast<int>(y));
    for (std::int64_t x = x0; x < x1; ++x) {
      for (int c = 0; c < channels; ++c) row[x * channels + c] = color[c];
    }
  }
}

}  // namespace

void draw_rectangle(Image& image, const Rect& rect, const Color& color, int thickness) {
  if (image.empty()) throw Error("cannot draw rectangle (empty image): no pixels");
  if (thickness < 1) {
    throw Error("cannot draw rectangle (thickness " + std::to_string(thickness) +
                "): thickness must be at least 1");
  }
  if (rect.width <= 0 || rect.height <= 0) return;
  const std::int64_t left = rect.x;
  const std::int64_t top = rect.y;
  const std::int64_t right = left + rect.width;
  const std::int64_t bottom = top + rect.height;
  const std::int64_t t = thickness;
  fill_span(image, left, top, right, std::min(top + t, bottom), color);
  fill_span(image, left, std::max(bottom - t, top), right, bottom, color);
  fill_span(image, left, top, std::min(left + t, right), bottom, color);
  fill_span(image, std::max(right - t, left), top, right, bottom, color);
}

void fill_circle(Image& image, Point centre, double radius, const Color& color) {
  if (image.empty()) throw Error("cannot draw circle (empty image): no pixels");
  if (!(radius >= 0.0) || !std::isfinite(radius) || !std::isfinite(centre.x) ||
      !std::isfinite(centre.y)) {
    throw Error("cannot draw circle (radius " + std::to_string(radius) +
                "): radius and centre must be finite and the radius non-negative");
  }
  // Only the bounding box, clipped, is visited, so a huge radius costs at most the image.
  const double x_low = std::max(std::ceil(centre.x - radius), 0.0);
  const double x_high = std::min(std::floor(centre.x + radius), image.width() - 1.0);
  const double y_low = std::max(std::ceil(centre.y - radius), 0.0);
  const double y_high = std::min(std::floor(centre.y + radius), image.height() - 1.0);
  const double r2 = radius * radius;
  const int channels = image.channels();
  for (double y = y_low; y <= y_high; ++y) {
    std::uint8_t* row = image.row(static_cast<int>(y));
    for (double x = x_low; x <= x_high; ++x) {
      const double dx = x - centre.x;
      const double dy = y - centre.y;
      if (dx * dx + dy * dy > r2) continue;
      for (int c = 0; c < channels; ++c) row[static_cast<int>(x) * channels + c] = color[c];
    }
  }
}

}  // namespace fu::image
