// Minimal drawing for annotated debug images (detections, landmarks). Shapes are clipped to the
// image, so callers can draw boxes that stick out of the frame.
#pragma once

#include <array>
#include <cstdint>

#include "image/image.h"

namespace fu::image {

// Per channel: grey uses [0], RGB [0..2], RGBA all four.
using Color = std::array<std::uint8_t, 4>;

// Outline of `rect` `thickness` pixels wide, drawn inside the rectangle's edges.
// Throws fu::Error if the image is empty or thickness < 1.
void draw_rectangle(Image& image, const Rect& rect, const Color& color, int thickness = 1);

// Sets every pixel whose centre lies within `radius` of `centre` (a landmark dot).
// Throws fu::Error if the image is empty or radius is negative or not finite.
void fill_circle(Image& image, Point centre, double radius, const Color& color);

}  // namespace fu::image
