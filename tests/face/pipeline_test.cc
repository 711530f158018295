#include "face/pipeline.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "face/test_support.h"
#include "image/decode.h"

namespace fu::face {
namespace {

TEST(PipelineTest, NoFaceIsAResult) {
  PipelineOptions options;
  options.network.backend = nn::Backend::kReference;
  // The fake detector's only anchor has score 0.5, below the threshold set here.
  options.detect.min_score = 0.9f;
  FacePipeline pipeline(testing::fake_detector(0, std::vector<float>(16, 0.0f), 0.0f),
                        testing::fake_embedder(), options);
  const FaceAnalysis a = pipeline.analyze(image::Image(64, 48, 3));
  EXPECT_TRUE(a.faces.empty());
  EXPECT_FALSE(a.has_face());
  EXPECT_EQ(a.chosen, -1);
  EXPECT_TRUE(a.embedding.empty());
}

TEST(PipelineTest, ChoosesAssessesAndEmbeds) {
  PipelineOptions options;
  options.network.backend = nn::Backend::kReference;
  // The fake detector reports the same face for any input, so re-detecting on a crop would move
  // it; refinement is covered by the real-model tests.
  options.refine_keypoints = false;
  // A 64x64 face with its eyes 24 apart in a 256x256 image (input scale 0.5).
  const std::vector<float> regressors = {0, 0, 32, 32, -6, -4, 6, -4, 0, 2, 0, 8, -14, 0, 14, 0};
  FacePipeline pipeline(testing::fake_detector(2 * (16 * 8 + 8), regressors),
                        testing::fake_embedder(), options);
  const FaceAnalysis a = pipeline.analyze(image::Image(256, 256, 3, 150));
  ASSERT_EQ(a.faces.size(), 1u);
  EXPECT_EQ(a.chosen, 0);
  EXPECT_FLOAT_EQ(a.quality.face_size_px, 64.0f);
  EXPECT_EQ(a.quality.issue, QualityIssue::kTooSmall);
  ASSERT_EQ(a.embedding.size(), 4u);
  EXPECT_NEAR(testing::dot(a.embedding, a.embedding), 1.0, 1e-6);

  options.require_quality = true;
  FacePipeline strict(testing::fake_detector(2 * (16 * 8 + 8), regressors),
                      testing::fake_embedder(), options);
  EXPECT_TRUE(strict.analyze(image::Image(256, 256, 3, 150)).embedding.empty());
}

// Both converted models, when another part of the project has produced them.
TEST(RealPipelineTest, SamePersonScoresAboveDifferentPeople) {
  const std::string detector_path = testing::models_dir() + "/blazeface-short.fum";
  const std::string embedder_path = testing::models_dir() + "/dlib-resnet.fum";
  for (const std::string& path : {detector_path, embedder_path}) {
    if (!testing::file_exists(path)) GTEST_SKIP() << path << " is absent (convert it first)";
  }
  const std::string lfw = testing::shared_data_dir() + "/lfw/";
  if (!testing::file_exists(lfw + "George_W_Bush/George_W_Bush_0001.jpg")) {
    GTEST_SKIP() << "LFW is absent from " << testing::shared_data_dir();
  }
  FacePipeline pipeline(std::make_shared<const nn::Model>(nn::load_model(detector_path)),
                        std::make_shared<const nn::Model>(nn::load_model(embedder_path)));
  auto embed = [&](const std::string& name, int number) {
    char file[256];
    std::snprintf(file, sizeof file, "%s/%s_%04d.jpg", name.c_str(), name.c_str(), number);
    const FaceAnalysis a = pipeline.analyze(image::read_image(lfw + file));
    EXPECT_TRUE(a.has_face()) << file;
    return a.embedding;
  };
  const std::vector<float> bush1 = embed("George_W_Bush", 1);
  const std::vector<float> bush2 = embed("George_W_Bush", 2);
  const std::vector<float> bush3 = embed("George_W_Bush", 3);
  const std::vector<float> powell = embed("Colin_Powell", 1);
  const std::vector<float> williams = embed("Serena_Williams", 1);
  ASSERT_FALSE(bush1.empty());
  const float same = std::min(testing::dot(bush1, bush2), testing::dot(bush1, bush3));
  const float different = std::max(testing::dot(bush1, powell), testing::dot(bush2, williams));
  std::printf("same-person cosine (worst) %.3f, different-person cosine (best) %.3f\n", same,
              different);
  EXPECT_GT(same, different + 0.1f);
}

}  // namespace
}  // namespace fu::face
