#include "face/embedder.h"

#include <gtest/gtest.h>

#include <cmath>

#include "base/error.h"
#include "face/test_support.h"
#include "image/convert.h"

namespace fu::face {
namespace {

using testing::error_of;
using testing::fake_embedder;

nn::NetworkOptions reference(int batch = 1) {
  return nn::NetworkOptions{nn::Backend::kReference, batch, 1};
}

image::Image uniform(std::uint8_t r, std::uint8_t g, std::uint8_t b, int size = 32) {
  image::Image img(size, size, 3);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      img.at(x, y, 0) = r;
      img.at(x, y, 1) = g;
      img.at(x, y, 2) = b;
    }
  }
  return img;
}

TEST(EmbedderTest, NormalisesPixelsAndTheOutput) {
  FaceEmbedder embedder(fake_embedder(), reference());
  EXPECT_EQ(embedder.dimension(), 4);
  EXPECT_EQ(embedder.alignment_template().width, 32);
  EXPECT_EQ(embedder.alignment_template().keypoint_indices, (std::vector<int>{0, 1, 2}));
  ASSERT_TRUE(embedder.default_threshold().has_value());
  EXPECT_FLOAT_EQ(*embedder.default_threshold(), 0.6f);
  // (120, 140, 160) -> (10, 20, 30) after (pixel - 100) * 0.5 -> divided by sqrt(1400).
  const std::vector<float> e = embedder.embed_aligned(uniform(120, 140, 160));
  ASSERT_EQ(e.size(), 4u);
  const double norm = std::sqrt(1400.0);
  EXPECT_NEAR(e[0], 10 / norm, 1e-6);
  EXPECT_NEAR(e[1], 20 / norm, 1e-6);
  EXPECT_NEAR(e[2], 30 / norm, 1e-6);
  EXPECT_NEAR(e[3], 0.0, 1e-6);
  EXPECT_NEAR(testing::dot(e, e), 1.0, 1e-6);
  // RGBA gives the same.
  const std::vector<float> from_rgba =
      embedder.embed_aligned(image::convert_channels(uniform(120, 140, 160), 4));
  EXPECT_NEAR(from_rgba[2], e[2], 1e-6);
}

TEST(EmbedderTest, EmbedAlignsFirst) {
  FaceEmbedder embedder(fake_embedder(), reference());
  // A face at 3x the template's scale in a uniform photo: the aligned crop is uniform too.
  Face f;
  f.box = FaceBox{0, 0, 96, 96};
  f.keypoints = {{30, 36}, {66, 36}, {48, 60}, {48, 80}, {5, 40}, {90, 40}};
  const std::vector<float> e = embedder.embed(uniform(60, 100, 140, 120), f);
  // (-20, 0, 20, 0) normalised.
  EXPECT_NEAR(e[0], -std::sqrt(0.5), 1e-5);
  EXPECT_NEAR(e[2], std::sqrt(0.5), 1e-5);
}

TEST(EmbedderTest, ZeroOutputStaysZero) {
  FaceEmbedder embedder(fake_embedder(), reference());
  const std::vector<float> e = embedder.embed_aligned(uniform(100, 100, 100));
  for (float v : e) EXPECT_EQ(v, 0.0f);
}

TEST(EmbedderTest, BatchesMatchSingleFaces) {
  FaceEmbedder single(fake_embedder(), reference());
  FaceEmbedder batched(fake_embedder(), reference(3));
  std::vector<image::Image> faces;
  for (int i = 0; i < 5; ++i) faces.push_back(uniform(90 + 10 * i, 150 - 7 * i, 60 + 30 * i));
  const std::vector<image::ImageView> views(faces.begin(), faces.end());
  const std::vector<std::vector<float>> all = batched.embed_batch(views);
  ASSERT_EQ(all.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    const std::vector<float> one = single.embed_aligned(faces[i]);
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(all[i][k], one[k], 1e-6) << i << "," << k;
  }
  EXPECT_EQ(single.embed_batch(views).size(), 5u);
  EXPECT_TRUE(batched.embed_batch({}).empty());
}

TEST(EmbedderTest, RejectsWrongSizes) {
  FaceEmbedder embedder(fake_embedder(), reference());
  EXPECT_EQ(error_of([&] { embedder.embed_aligned(uniform(1, 2, 3, 31)); }),
            "cannot embed face (31x31x3): expected an aligned 32x32 image (align_face)");
}

TEST(EmbedderTest, ValidatesTheModel) {
  auto model = fake_embedder("emb");
  model->metadata.output_kind = "detector";
  EXPECT_EQ(error_of([&] { FaceEmbedder e(model, reference()); }),
            "cannot use model as a face embedder (emb): output_kind is 'detector', expected "
            "'embedding'");
  model = fake_embedder("emb");
  model->metadata.properties["embedder.dimension"] = "128";
  EXPECT_EQ(error_of([&] { FaceEmbedder e(model, reference()); }),
            "cannot use model as a face embedder (emb): its output has shape 1x1x1x4, but "
            "embedder.dimension is 128");
  model = fake_embedder("emb");
  model->metadata.properties.erase("embedder.template");
  EXPECT_EQ(error_of([&] { FaceEmbedder e(model, reference()); }),
            "cannot use model as a face embedder (emb): metadata 'embedder.template' is missing");
  model = fake_embedder("emb");
  EXPECT_NE(error_of([&] {
              FaceEmbedder e(model, reference(), {"left_eye", "right_eye"});
            }).find("names 'nose_tip', which the detector does not give"),
            std::string::npos);
}

}  // namespace
}  // namespace fu::face
