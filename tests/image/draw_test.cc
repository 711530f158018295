#include "image/draw.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace fu::image {
namespace {

int count_set(const Image& image) {
  int count = 0;
  for (int y = 0; y < image.height(); ++y) {
    for (int x = 0; x < image.width(); ++x) count += image.at(x, y, 0) != 0 ? 1 : 0;
  }
  return count;
}

TEST(DrawTest, RectangleOutlineLeavesTheInside) {
  Image image(10, 8, 3);
  draw_rectangle(image, Rect{2, 1, 5, 4}, Color{255, 128, 1, 0});
  EXPECT_EQ(image.at(2, 1, 0), 255);
  EXPECT_EQ(image.at(6, 4, 1), 128);
  EXPECT_EQ(image.at(6, 1, 2), 1);
  EXPECT_EQ(image.at(3, 2, 0), 0);  // inside
  EXPECT_EQ(image.at(7, 1, 0), 0);  // just outside
  EXPECT_EQ(count_set(image), 2 * 5 + 2 * 2);
}

TEST(DrawTest, ThickRectangleFillsWhenThickerThanHalf) {
  Image image(6, 6, 1);
  draw_rectangle(image, Rect{1, 1, 4, 4}, Color{9, 0, 0, 0}, 2);
  EXPECT_EQ(count_set(image), 16);
}

TEST(DrawTest, ShapesAreClipped) {
  Image image(5, 5, 4);
  draw_rectangle(image, Rect{-3, -3, 100, 6}, Color{1, 1, 1, 1});
  EXPECT_EQ(image.at(0, 2, 0), 1);  // left edge at x = -3 is clipped; bottom edge is row 2
  EXPECT_EQ(image.at(4, 2, 3), 1);
  EXPECT_EQ(image.at(2, 1, 0), 0);
  fill_circle(image, Point{-50.0, -50.0}, 3.0, Color{1, 1, 1, 1});
  fill_circle(image, Point{2.0, 2.0}, 1e9, Color{7, 7, 7, 7});
  EXPECT_EQ(image.at(4, 4, 2), 7);
}

TEST(DrawTest, CircleCoversPixelCentresWithinTheRadius) {
  Image image(9, 9, 1);
  fill_circle(image, Point{4.0, 4.0}, 0.0, Color{5, 0, 0, 0});
  EXPECT_EQ(count_set(image), 1);
  EXPECT_EQ(image.at(4, 4, 0), 5);
  fill_circle(image, Point{4.0, 4.0}, 2.0, Color{5, 0, 0, 0});
  EXPECT_EQ(count_set(image), 13);  // |dx| + ... : 1 + 4 + 4 + 4 lattice points within 2
}

TEST(DrawTest, RejectsBadArguments) {
  Image image(3, 3, 1);
  EXPECT_THROW(draw_rectangle(image, Rect{0, 0, 2, 2}, Color{}, 0), Error);
  EXPECT_THROW(fill_circle(image, Point{1, 1}, -1.0, Color{}), Error);
  Image empty;
  EXPECT_THROW(draw_rectangle(empty, Rect{0, 0, 2, 2}, Color{}), Error);
}

}  // namespace
}  // namespace fu::image
