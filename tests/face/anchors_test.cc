#include "face/anchors.h"

#include <gtest/gtest.h>

#include <cmath>

#include "base/error.h"
#include "face/test_support.h"

namespace fu::face {
namespace {

TEST(AnchorsTest, BlazeFaceShortRangeHas896InTwoGrids) {
  const std::vector<Anchor> anchors = generate_anchors(AnchorOptions{});
  ASSERT_EQ(anchors.size(), 896u);
  // 16x16 cells with 2 anchors each: cell (x, y) holds anchors 2 (16 y + x) and the next.
  EXPECT_FLOAT_EQ(anchors[0].cx, 0.5f / 16);
  EXPECT_FLOAT_EQ(anchors[0].cy, 0.5f / 16);
  EXPECT_FLOAT_EQ(anchors[1].cx, 0.5f / 16);
  EXPECT_FLOAT_EQ(anchors[2].cx, 1.5f / 16);
  EXPECT_FLOAT_EQ(anchors[2 * (16 * 7 + 5)].cx, 5.5f / 16);
  EXPECT_FLOAT_EQ(anchors[2 * (16 * 7 + 5)].cy, 7.5f / 16);
  EXPECT_FLOAT_EQ(anchors[511].cx, 15.5f / 16);
  EXPECT_FLOAT_EQ(anchors[511].cy, 15.5f / 16);
  // Then 8x8 cells with 6 anchors each (three stride-16 layers, two anchors per layer).
  for (int k = 512; k < 518; ++k) {
    EXPECT_FLOAT_EQ(anchors[k].cx, 0.5f / 8);
    EXPECT_FLOAT_EQ(anchors[k].cy, 0.5f / 8);
  }
  EXPECT_FLOAT_EQ(anchors[518].cx, 1.5f / 8);
  EXPECT_FLOAT_EQ(anchors[512 + 6 * (8 * 3 + 2)].cx, 2.5f / 8);
  EXPECT_FLOAT_EQ(anchors[512 + 6 * (8 * 3 + 2)].cy, 3.5f / 8);
  EXPECT_FLOAT_EQ(anchors[895].cx, 7.5f / 8);
  EXPECT_FLOAT_EQ(anchors[895].cy, 7.5f / 8);
  for (const Anchor& a : anchors) {
    EXPECT_EQ(a.w, 1.0f);
    EXPECT_EQ(a.h, 1.0f);
  }
}

TEST(AnchorsTest, ScalesInterpolateBetweenLayers) {
  AnchorOptions o;
  o.fixed_size = false;
  const std::vector<Anchor> anchors = generate_anchors(o);
  const float s0 = 0.1484375f;
  const float s1 = 0.1484375f + (0.75f - 0.1484375f) / 3;
  const float s2 = 0.1484375f + 2 * (0.75f - 0.1484375f) / 3;
  EXPECT_FLOAT_EQ(anchors[0].w, s0);
  EXPECT_FLOAT_EQ(anchors[1].w, std::sqrt(s0 * s1));
  // Stride-16 cell: layer 1 (s1, interpolated), layer 2 (s2, interpolated), layer 3 (0.75, with
  // 1 as the next scale after the last layer).
  EXPECT_FLOAT_EQ(anchors[512].w, s1);
  EXPECT_FLOAT_EQ(anchors[513].w, std::sqrt(s1 * s2));
  EXPECT_FLOAT_EQ(anchors[514].w, s2);
  EXPECT_FLOAT_EQ(anchors[516].w, 0.75f);
  EXPECT_FLOAT_EQ(anchors[517].w, std::sqrt(0.75f));
}

TEST(AnchorsTest, AspectRatiosShapeBoxes) {
  AnchorOptions o;
  o.strides = {32};
  o.fixed_size = false;
  o.aspect_ratios = {1.0f, 4.0f};
  o.interpolated_scale_aspect_ratio = 0.0f;
  const std::vector<Anchor> anchors = generate_anchors(o);
  ASSERT_EQ(anchors.size(), 4u * 4u * 2u);
  const float scale = 0.5f * (0.1484375f + 0.75f);  // a single layer takes the mean
  EXPECT_FLOAT_EQ(anchors[1].w, scale * 2);
  EXPECT_FLOAT_EQ(anchors[1].h, scale / 2);
}

TEST(AnchorsTest, ReadsOptionsFromMetadata) {
  const nn::ModelMetadata m = testing::blazeface_metadata();
  const AnchorOptions o = anchor_options_from_metadata(m);
  EXPECT_EQ(o.strides, (std::vector<int>{8, 16, 16, 16}));
  EXPECT_FLOAT_EQ(o.min_scale, 0.1484375f);
  EXPECT_TRUE(o.fixed_size);
  EXPECT_EQ(generate_anchors(o).size(), 896u);
}

TEST(AnchorsTest, BadMetadataNamesTheKey) {
  nn::ModelMetadata m = testing::blazeface_metadata("det");
  m.properties.erase("detector.anchors.strides");
  EXPECT_EQ(testing::error_of([&] { anchor_options_from_metadata(m); }),
            "cannot use model as a face detector (det): metadata 'detector.anchors.strides' is "
            "missing");
  m = testing::blazeface_metadata("det");
  m.properties["detector.anchors.strides"] = "8,x";
  EXPECT_NE(testing::error_of([&] {
              anchor_options_from_metadata(m);
            }).find("'detector.anchors.strides' has 'x'"),
            std::string::npos);
  m = testing::blazeface_metadata("det");
  m.properties["detector.anchors.min_scale"] = "2";
  EXPECT_NE(testing::error_of([&] {
              anchor_options_from_metadata(m);
            }).find("need 0 < min_scale <= max_scale"),
            std::string::npos);
}

TEST(AnchorsTest, RejectsInvalidOptions) {
  AnchorOptions o;
  o.strides = {};
  EXPECT_THROW(generate_anchors(o), Error);
  o.strides = {0};
  EXPECT_THROW(generate_anchors(o), Error);
}

}  // namespace
}  // namespace fu::face
