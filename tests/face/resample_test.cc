// warp_affine_antialiased halves only the part of each reduced image that the next step reads;
// its bytes must be those of halving the whole image every time (the plain composition of
// image::resize_bilinear and image::warp_affine written out here).
#include "face/resample.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "image/resize.h"
#include "image/test_images.h"
#include "image/warp.h"

namespace fu::face {
namespace {

image::Image whole_image_halvings(const image::ImageView& input,
                                  const image::AffineTransform& input_to_output, int out_width,
                                  int out_height, const image::WarpOptions& options) {
  image::Image reduced;
  image::ImageView current = input;
  image::AffineTransform transform = input_to_output;
  while (current.width() >= 4 && current.height() >= 4) {
    const auto& m = transform.coefficients();
    if (!(std::sqrt(std::fabs(m[0] * m[4] - m[1] * m[3])) <= 0.5)) break;
    const int w = (current.width() + 1) / 2;
    const int h = (current.height() + 1) / 2;
    const double fx = static_cast<double>(w) / current.width();
    const double fy = static_cast<double>(h) / current.height();
    const image::AffineTransform to_reduced(fx, 0.0, 0.5 * fx - 0.5, 0.0, fy, 0.5 * fy - 0.5);
    transform = image::compose(transform, to_reduced.inverse());
    reduced = image::resize_bilinear(current, w, h);
    current = reduced;
  }
  return image::warp_affine(current, transform, out_width, out_height, options);
}

TEST(ResampleTest, RegionHalvingsGiveTheWholeImageHalvingsBytes) {
  std::mt19937 rng(21);
  std::uniform_real_distribution<double> scale(0.08, 0.7);
  std::uniform_real_distribution<double> angle(-0.5, 0.5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int cases = 0;
  // Even and odd sides (the exact 2x2 average and the general bilinear halving).
  for (const auto& [width, height] : {std::pair{240, 180}, std::pair{237, 181}}) {
    for (int channels : {1, 3, 4}) {
      const image::Image input =
          image::testing::random_image(width, height, channels, width + channels);
      for (image::BorderMode border :
           {image::BorderMode::kConstant, image::BorderMode::kReplicate}) {
        image::WarpOptions options;
        options.border = border;
        for (int i = 0; i < 8; ++i) {
          // A face-sized output placed anywhere, some reaching past the input's edges.
          const double s = scale(rng);
          const double cx = (unit(rng) * 1.4 - 0.2) * width;
          const double cy = (unit(rng) * 1.4 - 0.2) * height;
          const image::AffineTransform t =
              image::compose(image::AffineTransform::translation(16.0, 16.0),
                             image::AffineTransform::similarity(s, angle(rng), -s * cx, -s * cy));
          const image::Image got = warp_affine_antialiased(input, t, 32, 32, options);
          const image::Image want = whole_image_halvings(input, t, 32, 32, options);
          ASSERT_TRUE(image::testing::same_pixels(got, want))
              << width << "x" << height << "x" << channels << " case " << i << " scale " << s;
          ++cases;
        }
      }
    }
  }
  EXPECT_EQ(cases, 96);
}

}  // namespace
}  // namespace fu::face
