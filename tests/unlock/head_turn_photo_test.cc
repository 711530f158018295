// The head-turn measures on real photos through the shipped detector: one LFW photo moved,
// rotated and zoomed (a flat picture held in front of the camera) never counts as a turn, while
// two photos of one person, frontal and turned, do. Skips without the models or LFW.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <string>

#include "face/pipeline.h"
#include "image/decode.h"
#include "image/warp.h"
#include "nn/model.h"
#include "unlock/head_turn.h"
#include "unlock/liveness_challenge.h"

namespace fu::unlock {
namespace {

std::string repo_path(const std::string& relative) {
  std::string path = __FILE__;
  for (int i = 0; i < 3; ++i) path = path.substr(0, path.find_last_of('/'));
  return path + "/" + relative;
}

std::string lfw_photo(const std::string& name, int number) {
  char file[64];
  std::snprintf(file, sizeof file, "%s_%04d.jpg", name.c_str(), number);
  return std::string(FACEUNLOCK_SHARED_DATA) + "/lfw/" + name + "/" + file;
}

bool exists(const std::string& path) { return std::ifstream(path).good(); }

class HeadTurnPhotoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string detector = repo_path("models/blazeface-short.fum");
    const std::string embedder = repo_path("models/dlib-resnet.fum");
    if (!exists(detector) || !exists(embedder)) GTEST_SKIP() << "models/ not found";
    if (!exists(lfw_photo("Tony_Blair", 18))) GTEST_SKIP() << "LFW not found under shared data";
    pipeline_ = std::make_unique<face::FacePipeline>(
        std::make_shared<const nn::Model>(nn::load_model(detector)),
        std::make_shared<const nn::Model>(nn::load_model(embedder)));
  }

  // The photo placed on a 640x480 frame as the camera would see it held up, moved by `place`.
  HeadPoints points(const image::Image& photo, const image::AffineTransform& place) {
    const image::Image frame = image::warp_affine(photo.view(), place, 640, 480);
    const face::FaceAnalysis a = pipeline_->analyze(frame.view(), false, false);
    EXPECT_TRUE(a.has_face());
    if (!a.has_face()) return {};
    return HeadPointIndex(pipeline_->detector().keypoint_names()).of(a.faces[a.chosen]);
  }

  std::unique_ptr<face::FacePipeline> pipeline_;
  const LivenessOptions defaults_;
};

// 250x250 LFW photo scaled to 480 px and centred, then turned by `degrees` and zoomed by `zoom`
// about the frame's centre and shifted by (dx, dy).
image::AffineTransform held(double degrees, double zoom, double dx, double dy) {
  const double scale = 480.0 / 250.0 * zoom;
  const double angle = degrees * M_PI / 180.0;
  // Photo centre (124.5, 124.5) to the frame's centre (319.5, 239.5) plus the shift.
  const double c = std::cos(angle) * scale, s = std::sin(angle) * scale;
  const double tx = 319.5 + dx - (c * 124.5 - s * 124.5);
  const double ty = 239.5 + dy - (s * 124.5 + c * 124.5);
  return image::AffineTransform::similarity(scale, angle, tx, ty);
}

TEST_F(HeadTurnPhotoTest, APhotoMovedRotatedOrZoomedIsNoTurn) {
  const image::Image photo = image::read_image(lfw_photo("Tony_Blair", 18));
  const HeadPoints reference = points(photo, held(0, 1, 0, 0));
  const struct {
    double degrees, zoom, dx, dy;
  } holds[] = {{0, 1, 60, -20}, {0, 1, -70, 30}, {15, 1, 0, 0},      {-20, 1, 10, 0},
               {0, 0.8, 0, 0},  {0, 1.25, 0, 0}, {10, 1.15, -40, 10}};
  for (const auto& h : holds) {
    const TurnMeasure m =
        measure_turn(reference, points(photo, held(h.degrees, h.zoom, h.dx, h.dy)));
    SCOPED_TRACE("roll " + std::to_string(h.degrees) + " zoom " + std::to_string(h.zoom));
    EXPECT_TRUE(m.valid);
    // Detector noise only: well under what a turn must show.
    EXPECT_LT(std::fabs(m.lateral), defaults_.bounds.min_lateral / 2) << m.lateral;
  }
}

TEST_F(HeadTurnPhotoTest, AFrontalAndATurnedPhotoOfOnePersonShowTheTurn) {
  const HeadPoints frontal =
      points(image::read_image(lfw_photo("Tony_Blair", 18)), held(0, 1, 0, 0));
  // Tony_Blair_0037 turns to his left, _0040 to his right (about 20 degrees by eye).
  const TurnMeasure left = measure_turn(
      frontal, points(image::read_image(lfw_photo("Tony_Blair", 37)), held(0, 1, 0, 0)));
  const TurnMeasure right = measure_turn(
      frontal, points(image::read_image(lfw_photo("Tony_Blair", 40)), held(0, 1, 0, 0)));
  EXPECT_GE(left.lateral, defaults_.bounds.min_lateral);
  EXPECT_GE(left.parallax, defaults_.bounds.min_parallax);
  EXPECT_LE(right.lateral, -defaults_.bounds.min_lateral);
  EXPECT_LE(right.parallax, -defaults_.bounds.min_parallax);
}

}  // namespace
}  // namespace fu::unlock
