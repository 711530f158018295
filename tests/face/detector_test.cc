#include "face/detector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "base/error.h"
#include "face/test_support.h"
#include "image/convert.h"
#include "image/decode.h"
#include "image/resize.h"

namespace fu::face {
namespace {

using testing::error_of;
using testing::fake_detector;

nn::NetworkOptions reference() { return nn::NetworkOptions{nn::Backend::kReference, 1, 1}; }

// Anchor 234 is the first anchor of cell (x 5, y 7) of the 16x16 grid: centre (5.5/16, 7.5/16),
// i.e. (44, 60) in 128-pixel input units measured from the input's top-left edge.
constexpr int kAnchor = 2 * (16 * 7 + 5);
const std::vector<float> kRegressors = {4,   8,  32, 40,  // box centre offset and size
                                        -10, -6, 10, -6,  // eyes
                                        0,   4,  0,  14,  // nose, mouth
                                        -20, 0,  20, 0};  // ears

TEST(DetectorTest, DecodesTheFiringAnchorThroughTheLetterbox) {
  FaceDetector detector(fake_detector(kAnchor, kRegressors), reference());
  EXPECT_EQ(detector.anchors().size(), 896u);
  EXPECT_EQ(detector.keypoint_names().size(), 6u);
  // 200x100 into 128x128: scale 0.64, 32 rows of padding above.
  const image::Image photo(200, 100, 3, 90);
  const std::vector<Face> faces = detector.detect(photo);
  ASSERT_EQ(faces.size(), 1u);
  const Face& f = faces[0];
  EXPECT_NEAR(f.score, 1.0 / (1.0 + std::exp(-10.0)), 1e-6);
  // Box centre (48, 68) and size 32x40 in input units -> image edges: centre x 48 / 0.64 = 75,
  // y (68 - 32) / 0.64 = 56.25, size 50 x 62.5; left edge 75 - 25 in pixel-centre coordinates
  // is 49.5, top 56.25 - 31.25 - 0.5 = 24.5.
  EXPECT_NEAR(f.box.x, 49.5, 1e-3);
  EXPECT_NEAR(f.box.y, 24.5, 1e-3);
  EXPECT_NEAR(f.box.width, 50.0, 1e-3);
  EXPECT_NEAR(f.box.height, 62.5, 1e-3);
  ASSERT_EQ(f.keypoints.size(), 6u);
  // Right eye at input (34, 54) -> image edges (53.125, 34.375) -> centres minus 0.5.
  EXPECT_NEAR(f.keypoints[0].x, 52.625, 1e-3);
  EXPECT_NEAR(f.keypoints[0].y, 33.875, 1e-3);
  // Left eye (54, 54) -> (84.375, 34.375).
  EXPECT_NEAR(f.keypoints[1].x, 83.875, 1e-3);
  EXPECT_NEAR(f.keypoints[1].y, 33.875, 1e-3);
  // Mouth (44, 74) -> (68.75, 65.625).
  EXPECT_NEAR(f.keypoints[3].x, 68.25, 1e-3);
  EXPECT_NEAR(f.keypoints[3].y, 65.125, 1e-3);
}

TEST(DetectorTest, DecodesTheCoarseGridAndSquareImages) {
  // Anchor 3 of cell (2, 3) in the 8x8 grid: centre (2.5/8, 3.5/8) = (40, 56) input units.
  const int anchor = 512 + 6 * (8 * 3 + 2) + 3;
  std::vector<float> regressors(16, 0.0f);
  regressors[2] = regressors[3] = 16;
  FaceDetector detector(fake_detector(anchor, regressors), reference());
  const std::vector<Face> faces = detector.detect(image::Image(256, 256, 3));
  ASSERT_EQ(faces.size(), 1u);
  // Input box edges 32..48 x 48..64, doubled.
  EXPECT_NEAR(faces[0].box.x, 63.5, 1e-3);
  EXPECT_NEAR(faces[0].box.y, 95.5, 1e-3);
  EXPECT_NEAR(faces[0].box.width, 32.0, 1e-3);
  EXPECT_NEAR(faces[0].keypoints[5].x, 79.5, 1e-3);
  EXPECT_NEAR(faces[0].keypoints[5].y, 111.5, 1e-3);
}

TEST(DetectorTest, AcceptsGreyRgbAndRgba) {
  FaceDetector detector(fake_detector(kAnchor, kRegressors), reference());
  const image::Image rgb(200, 100, 3, 90);
  const Face from_rgb = detector.detect(rgb).at(0);
  for (int channels : {1, 4}) {
    const std::vector<Face> faces = detector.detect(image::convert_channels(rgb, channels));
    ASSERT_EQ(faces.size(), 1u) << channels << " channels";
    EXPECT_FLOAT_EQ(faces[0].box.x, from_rgb.box.x);
    EXPECT_FLOAT_EQ(faces[0].keypoints[2].y, from_rgb.keypoints[2].y);
  }
  EXPECT_THROW(detector.detect(image::ImageView()), Error);
}

TEST(DetectorTest, MinScoreIsAfterTheSigmoid) {
  // Logit 0 is score 0.5.
  FaceDetector detector(fake_detector(kAnchor, kRegressors, 0.0f), reference());
  const image::Image photo(64, 64, 3);
  EXPECT_EQ(detector.detect(photo).size(), 1u);
  DetectOptions strict;
  strict.min_score = 0.6f;
  EXPECT_TRUE(detector.detect(photo, strict).empty());
}

std::shared_ptr<nn::Model> with_outputs(const std::vector<std::pair<int, int>>& shapes) {
  auto model = std::make_shared<nn::Model>();
  model->metadata = testing::blazeface_metadata("bad");
  std::vector<std::vector<float>> biases;
  for (const auto& s : shapes) biases.emplace_back(s.first * s.second, 0.0f);
  model->graph = testing::constant_graph(nn::Shape{1, 128, 128, 3}, biases, shapes);
  return model;
}

TEST(DetectorTest, RejectsModelsItCannotDecode) {
  auto model = with_outputs({{896, 16}, {1, 896}});
  EXPECT_NO_THROW(FaceDetector(model, reference()));

  model->metadata.output_kind = "embedding";
  EXPECT_EQ(error_of([&] { FaceDetector d(model, reference()); }),
            "cannot use model as a face detector (bad): output_kind is 'embedding', expected "
            "'detector'");
  model->metadata.output_kind = "detector";
  model->metadata.properties["detector.architecture"] = "retinaface";
  EXPECT_EQ(error_of([&] { FaceDetector d(model, reference()); }),
            "cannot use model as a face detector (bad): detector.architecture is 'retinaface', "
            "expected 'blazeface'");
  model->metadata.properties["detector.architecture"] = "blazeface";
  model->metadata.properties["detector.keypoints"] = "right_eye,left_eye,chin,mouth_center,a,b";
  EXPECT_NE(error_of([&] { FaceDetector d(model, reference()); }).find("'chin'"),
            std::string::npos);

  EXPECT_EQ(error_of([] {
              FaceDetector d(with_outputs({{896, 14}, {1, 896}}), reference());
            }),
            "cannot use model as a face detector (bad): output 0 (regressors) has shape "
            "1x1x896x14, expected 896 anchors x 16 values (4 box + 2 x 6 keypoints)");
  EXPECT_EQ(error_of([] {
              FaceDetector d(with_outputs({{896, 16}, {1, 895}}), reference());
            }),
            "cannot use model as a face detector (bad): output 1 (score logits) has shape "
            "1x1x1x895, expected one value per anchor (896)");
  EXPECT_NE(error_of([] {
              FaceDetector d(with_outputs({{896, 16}}), reference());
            }).find("1 outputs, expected 2"),
            std::string::npos);

  auto no_scale = with_outputs({{896, 16}, {1, 896}});
  no_scale->metadata.properties.erase("detector.box_scale");
  EXPECT_NE(error_of([&] {
              FaceDetector d(no_scale, reference());
            }).find("metadata 'detector.box_scale' is missing"),
            std::string::npos);
}

// The converted MediaPipe BlazeFace, when another part of the project has produced it.
class RealDetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = testing::models_dir() + "/blazeface-short.fum";
    if (!testing::file_exists(path)) GTEST_SKIP() << path << " is absent (convert it first)";
    if (!testing::file_exists(testing::shared_data_dir() +
                              "/lfw/George_W_Bush/George_W_Bush_0001.jpg")) {
      GTEST_SKIP() << "LFW is absent from " << testing::shared_data_dir();
    }
    model_ = std::make_shared<const nn::Model>(nn::load_model(path));
  }
  std::shared_ptr<const nn::Model> model_;
};

TEST_F(RealDetectorTest, FindsOneFaceWithPlausibleKeypointsInLfw) {
  FaceDetector detector(model_);
  const std::vector<std::string>& names = detector.keypoint_names();
  const int right_eye = find_keypoint(names, kRightEye);
  const int left_eye = find_keypoint(names, kLeftEye);
  const int nose = find_keypoint(names, kNoseTip);
  const int mouth = find_keypoint(names, kMouthCenter);
  ASSERT_GE(std::min({right_eye, left_eye, nose, mouth}), 0);
  for (const char* name : {"George_W_Bush", "Colin_Powell", "Serena_Williams", "Tony_Blair",
                           "Gloria_Macapagal_Arroyo"}) {
    SCOPED_TRACE(name);
    const image::Image photo =
        image::read_image(testing::shared_data_dir() + "/lfw/" + name + "/" + name + "_0001.jpg",
                          {image::Channels::kRgb});
    const std::vector<Face> faces = detector.detect(photo);
    ASSERT_EQ(faces.size(), 1u);
    const Face& f = faces[0];
    EXPECT_GT(f.score, 0.7f);
    // LFW centres the face in 250x250.
    const image::Point c = f.box.centre();
    EXPECT_NEAR(c.x, 125, 30);
    EXPECT_NEAR(c.y, 125, 40);
    EXPECT_GT(f.box.width, 60);
    EXPECT_LT(f.box.width, 180);
    const auto& k = f.keypoints;
    EXPECT_LT(k[right_eye].x, k[left_eye].x);
    EXPECT_LT(std::max(k[right_eye].y, k[left_eye].y), k[nose].y);
    EXPECT_LT(k[nose].y, k[mouth].y);
    EXPECT_GT(k[nose].x, k[right_eye].x);
    EXPECT_LT(k[nose].x, k[left_eye].x);
  }
}

TEST_F(RealDetectorTest, FindsTheSameFaceInsideALargerFrame) {
  // The photo scaled to 400x400 inside a grey 640x480 frame at (100, 50): the detector sees it
  // through heavier shrinking and different padding, and must map it back to the same place.
  FaceDetector detector(model_);
  const image::Image photo =
      image::read_image(testing::shared_data_dir() + "/lfw/George_W_Bush/George_W_Bush_0001.jpg",
                        {image::Channels::kRgb});
  const std::vector<Face> direct = detector.detect(photo);
  ASSERT_EQ(direct.size(), 1u);
  const image::Image scaled = image::resize_bilinear(photo, 400, 400);
  image::Image frame(640, 480, 4, 128);
  for (int y = 0; y < 400; ++y) {
    for (int x = 0; x < 400; ++x) {
      for (int c = 0; c < 3; ++c) frame.at(100 + x, 50 + y, c) = scaled.at(x, y, c);
    }
  }
  const std::vector<Face> framed = detector.detect(frame);
  ASSERT_EQ(framed.size(), 1u);
  // Scale 1.6 about pixel edges: p -> (p + 0.5) * 1.6 - 0.5 + offset.
  const double tolerance = 0.05 * direct[0].box.width * 1.6;
  auto expected = [](double p, double offset) { return (p + 0.5) * 1.6 - 0.5 + offset; };
  // The box's size depends on how large the face is in the detector's input (52 px direct,
  // 32 px here), so it only has to agree within 15%; its centre and the keypoints within 5%.
  EXPECT_NEAR(framed[0].box.width, direct[0].box.width * 1.6, 3 * tolerance);
  EXPECT_NEAR(framed[0].box.centre().x, expected(direct[0].box.centre().x, 100), tolerance);
  EXPECT_NEAR(framed[0].box.centre().y, expected(direct[0].box.centre().y, 50), tolerance);
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_NEAR(framed[0].keypoints[k].x, expected(direct[0].keypoints[k].x, 100), tolerance);
    EXPECT_NEAR(framed[0].keypoints[k].y, expected(direct[0].keypoints[k].y, 50), tolerance);
  }
}

}  // namespace
}  // namespace fu::face
