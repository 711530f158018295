#include "face/landmarks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "face/detector.h"
#include "image/decode.h"
#include "test_support.h"

namespace fu::face {
namespace {

double distance(image::Point a, image::Point b) { return std::hypot(a.x - b.x, a.y - b.y); }

std::vector<image::Point> ramp_points() {
  std::vector<image::Point> points(68);
  for (int i = 0; i < 68; ++i) points[i] = image::Point{1.0 * i, 100.0 + i};
  return points;
}

TEST(WithLandmarkKeypointsTest, UsesDlibDefinitionsAndKeepsTheEars) {
  Face face;
  face.keypoints.assign(6, image::Point{-1.0, -1.0});
  const Face f = with_landmark_keypoints(face, ramp_points());
  const std::vector<std::string>& names = canonical_keypoint_names();
  // Means of consecutive indices 36..41 and 42..47 are their midpoints.
  EXPECT_DOUBLE_EQ(f.keypoints[find_keypoint(names, kRightEye)].x, 38.5);
  EXPECT_DOUBLE_EQ(f.keypoints[find_keypoint(names, kLeftEye)].x, 44.5);
  EXPECT_DOUBLE_EQ(f.keypoints[find_keypoint(names, kNoseTip)].y, 130.0);
  EXPECT_DOUBLE_EQ(f.keypoints[find_keypoint(names, kMouthCenter)].x, 64.0);
  EXPECT_DOUBLE_EQ(f.keypoints[find_keypoint(names, kRightEar)].x, -1.0);
  EXPECT_DOUBLE_EQ(f.keypoints[find_keypoint(names, kLeftEar)].x, -1.0);
}

TEST(WithLandmarkKeypointsTest, RejectsAWrongPointCount) {
  const std::string error =
      testing::error_of([] { with_landmark_keypoints(Face{}, std::vector<image::Point>(5)); });
  EXPECT_NE(error.find("cannot use landmarks as keypoints (5 points)"), std::string::npos) << error;
}

TEST(FaceLandmarkerTest, RejectsADetectorModel) {
  auto model = std::make_shared<nn::Model>();
  model->metadata = testing::blazeface_metadata();
  model->graph = testing::constant_graph(nn::Shape{1, 128, 128, 3}, {{0.0f}}, {{1, 1}});
  const std::string error = testing::error_of([&] { FaceLandmarker landmarker(model); });
  EXPECT_NE(error.find("cannot use model as a face landmarker (fake-blazeface)"), std::string::npos)
      << error;
}

class RealLandmarkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string landmarks = testing::models_dir() + "/face-landmarks-68.fum";
    const std::string detector = testing::models_dir() + "/blazeface-short.fum";
    for (const std::string& path : {landmarks, detector}) {
      if (!testing::file_exists(path)) GTEST_SKIP() << path << " is absent (convert it first)";
    }
    if (!testing::file_exists(testing::shared_data_dir() +
                              "/lfw/George_W_Bush/George_W_Bush_0001.jpg")) {
      GTEST_SKIP() << "LFW is absent from " << testing::shared_data_dir();
    }
    landmarks_ = std::make_shared<const nn::Model>(nn::load_model(landmarks));
    detector_ = std::make_shared<const nn::Model>(nn::load_model(detector));
  }
  std::shared_ptr<const nn::Model> landmarks_;
  std::shared_ptr<const nn::Model> detector_;
};

TEST_F(RealLandmarkerTest, AgreesWithTheDetectorsKeypointsOnLfw) {
  FaceDetector detector(detector_);
  FaceLandmarker landmarker(landmarks_);
  const std::vector<std::string>& names = detector.keypoint_names();
  const int right_eye = find_keypoint(names, kRightEye);
  const int left_eye = find_keypoint(names, kLeftEye);
  const int nose = find_keypoint(names, kNoseTip);
  const int mouth = find_keypoint(names, kMouthCenter);
  for (const char* name : {"George_W_Bush", "Colin_Powell", "Serena_Williams", "Tony_Blair"}) {
    SCOPED_TRACE(name);
    const image::Image photo =
        image::read_image(testing::shared_data_dir() + "/lfw/" + name + "/" + name + "_0001.jpg",
                          {image::Channels::kRgb});
    const std::vector<Face> faces = detector.detect(photo);
    ASSERT_EQ(faces.size(), 1u);
    const Face blaze = detector.refine(photo, faces[0]);
    const std::vector<image::Point> points = landmarker.locate(photo, blaze);
    ASSERT_EQ(points.size(), 68u);
    const Face f = with_landmark_keypoints(blaze, points, names);
    const auto& b = blaze.keypoints;
    const auto& k = f.keypoints;
    const double eye_distance = distance(b[right_eye], b[left_eye]);
    EXPECT_LT(distance(k[right_eye], b[right_eye]), 0.15 * eye_distance);
    EXPECT_LT(distance(k[left_eye], b[left_eye]), 0.15 * eye_distance);
    EXPECT_LT(distance(k[nose], b[nose]), 0.25 * eye_distance);
    EXPECT_LT(distance(k[mouth], b[mouth]), 0.25 * eye_distance);
    // dlib's numbering: jaw 0-16 runs from the image's left to its right, the brows (17-26)
    // sit above the eyes, the nose (27-35) between eyes and mouth (48-67).
    EXPECT_LT(points[0].x, points[8].x);
    EXPECT_LT(points[8].x, points[16].x);
    EXPECT_GT(points[8].y, points[57].y);
    EXPECT_LT(points[19].y, k[right_eye].y);
    EXPECT_LT(points[24].y, k[left_eye].y);
    EXPECT_LT(k[right_eye].x, k[left_eye].x);
    EXPECT_LT(std::max(k[right_eye].y, k[left_eye].y), k[nose].y);
    EXPECT_LT(k[nose].y, k[mouth].y);
  }
}

}  // namespace
}  // namespace fu::face
