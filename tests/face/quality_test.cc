#include "face/quality.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <utility>

#include "base/error.h"
#include "face/resample.h"
#include "image/convert.h"
#include "image/warp.h"

namespace fu::face {
namespace {

// A 640x480 frame, mid-grey, with a 200x200 "face" of 4-pixel checks in the middle: plenty of
// edges, mean brightness about 128.
image::Image frame(std::uint8_t dark = 40, std::uint8_t light = 216) {
  image::Image img(640, 480, 3, 128);
  for (int y = 140; y < 340; ++y) {
    for (int x = 220; x < 420; ++x) {
      const std::uint8_t v = ((x / 4 + y / 4) % 2) ? light : dark;
      for (int c = 0; c < 3; ++c) img.at(x, y, c) = v;
    }
  }
  return img;
}

// Repeated 5x5 box blur (about a Gaussian of sigma 3.5 after three passes).
image::Image blurred(const image::Image& src, int passes) {
  image::Image a = src;
  for (int p = 0; p < passes; ++p) {
    image::Image b = a;
    for (int y = 2; y < a.height() - 2; ++y) {
      for (int x = 2; x < a.width() - 2; ++x) {
        for (int c = 0; c < a.channels(); ++c) {
          int sum = 0;
          for (int dy = -2; dy <= 2; ++dy) {
            for (int dx = -2; dx <= 2; ++dx) sum += a.at(x + dx, y + dy, c);
          }
          b.at(x, y, c) = static_cast<std::uint8_t>((sum + 12) / 25);
        }
      }
    }
    a = b;
  }
  return a;
}

// A frontal face in the 200x200 box at (220, 140): eyes level, nose centred below them.
Face frontal() {
  Face f;
  f.box = FaceBox{219.5f, 139.5f, 200.0f, 200.0f};
  f.score = 0.9f;
  f.keypoints = {{280, 200}, {360, 200}, {320, 250}, {320, 290}, {230, 220}, {410, 220}};
  return f;
}

TEST(QualityTest, SharpFrontalWellLitFaceIsOk) {
  const Quality q = assess_quality(frame(), frontal());
  EXPECT_EQ(q.issue, QualityIssue::kOk) << q.reason;
  EXPECT_EQ(q.reason, "");
  EXPECT_FLOAT_EQ(q.face_size_px, 200.0f);
  EXPECT_NEAR(q.roll_degrees, 0.0, 1e-6);
  EXPECT_NEAR(q.yaw, 0.0, 1e-6);
  EXPECT_NEAR(q.brightness, 128, 3);
  EXPECT_GT(q.sharpness, 1000);
}

// What assess_quality measured before it cropped the frame first: the box resampled from the
// whole frame. The crop only saves time, so both must agree.
std::pair<double, double> whole_frame_light_and_sharpness(const image::Image& img,
                                                          const FaceBox& box) {
  const double sx = 96.0 / box.width;
  const double sy = 96.0 / box.height;
  const image::AffineTransform to_region(sx, 0.0, -box.x * sx - 0.5, 0.0, sy, -box.y * sy - 0.5);
  image::WarpOptions options;
  options.border = image::BorderMode::kReplicate;
  const image::Image grey =
      image::convert_channels(warp_affine_antialiased(img, to_region, 96, 96, options), 1);
  double sum = 0.0;
  for (std::size_t i = 0; i < grey.size_bytes(); ++i) sum += grey.data()[i];
  double lap_sum = 0.0;
  double lap_squares = 0.0;
  int count = 0;
  for (int y = 1; y < 95; ++y) {
    for (int x = 1; x < 95; ++x) {
      const double v = grey.at(x - 1, y, 0) + grey.at(x + 1, y, 0) + grey.at(x, y - 1, 0) +
                       grey.at(x, y + 1, 0) - 4.0 * grey.at(x, y, 0);
      lap_sum += v;
      lap_squares += v * v;
      ++count;
    }
  }
  const double mean = lap_sum / count;
  return {sum / grey.size_bytes(), lap_squares / count - mean * mean};
}

TEST(QualityTest, CroppingTheFrameChangesNoMeasurement) {
  // Noise everywhere, so that any shift of the sampling grid would show in the sharpness.
  image::Image noisy(640, 480, 3);
  std::uint32_t state = 12345;
  for (std::size_t i = 0; i < noisy.size_bytes(); ++i) {
    state = state * 1664525u + 1013904223u;
    noisy.data()[i] = static_cast<std::uint8_t>(state >> 24);
  }
  const FaceBox boxes[] = {
      {219.5f, 139.5f, 200.0f, 200.0f},  // the usual face
      {221.3f, 141.7f, 187.2f, 203.9f},  // off the pixel grid
      {-10.0f, 300.0f, 200.0f, 200.0f},  // out of the frame on the left and bottom
      {100.0f, 40.0f, 420.0f, 420.0f},   // close: two halvings
      {500.0f, 10.0f, 60.0f, 70.0f},     // small: no halving
  };
  for (const FaceBox& box : boxes) {
    Face f = frontal();
    f.box = box;
    const Quality q = assess_quality(noisy, f);
    const auto [brightness, sharpness] = whole_frame_light_and_sharpness(noisy, box);
    EXPECT_NEAR(q.brightness, brightness, 1e-3 * brightness) << box.x << "," << box.y;
    EXPECT_NEAR(q.sharpness, sharpness, 1e-3 * sharpness) << box.x << "," << box.y;
  }
}

TEST(QualityTest, BlurIsDetected) {
  const image::Image sharp = frame();
  const Quality q = assess_quality(blurred(sharp, 3), frontal());
  EXPECT_LT(q.sharpness, assess_quality(sharp, frontal()).sharpness / 20);
  EXPECT_EQ(q.issue, QualityIssue::kBlurry);
  EXPECT_EQ(q.reason, "hold still");
}

TEST(QualityTest, SharpnessDoesNotDependOnFaceSize) {
  // The same pattern at half the size in a half-size image measures about the same.
  image::Image small(320, 240, 3, 128);
  for (int y = 70; y < 170; ++y) {
    for (int x = 110; x < 210; ++x) {
      const std::uint8_t v = ((x / 2 + y / 2) % 2) ? 216 : 40;
      for (int c = 0; c < 3; ++c) small.at(x, y, c) = v;
    }
  }
  Face f = frontal();
  f.box = FaceBox{109.5f, 69.5f, 100.0f, 100.0f};
  for (image::Point& p : f.keypoints) p = image::Point{p.x / 2, p.y / 2};
  const float big = assess_quality(frame(), frontal()).sharpness;
  EXPECT_NEAR(assess_quality(small, f).sharpness / big, 1.0, 0.25);
}

TEST(QualityTest, LightIsChecked) {
  const Quality dark = assess_quality(frame(5, 40), frontal());
  EXPECT_EQ(dark.issue, QualityIssue::kTooDark);
  EXPECT_EQ(dark.reason, "more light");
  EXPECT_NEAR(dark.brightness, 22.5, 2);
  const Quality bright = assess_quality(frame(215, 250), frontal());
  EXPECT_EQ(bright.issue, QualityIssue::kTooBright);
  EXPECT_EQ(bright.reason, "less light");
}

TEST(QualityTest, RollComesFromTheEyeLine) {
  Face f = frontal();
  // Left eye 40 px lower over 80 px: atan(0.5) = 26.6 degrees, clockwise on screen.
  f.keypoints[1].y += 40;
  Quality q = assess_quality(frame(), f);
  EXPECT_NEAR(q.roll_degrees, 26.565, 1e-3);
  EXPECT_EQ(q.issue, QualityIssue::kRolled);
  EXPECT_EQ(q.reason, "hold your head straight");
  f.keypoints[1].y -= 60;  // -14 degrees: allowed
  q = assess_quality(frame(), f);
  EXPECT_NEAR(q.roll_degrees, -14.036, 1e-3);
  EXPECT_EQ(q.issue, QualityIssue::kOk);
}

TEST(QualityTest, YawComesFromTheNoseBetweenTheEyes) {
  Face f = frontal();
  f.keypoints[2].x = 350;  // three quarters of the way to the left eye
  Quality q = assess_quality(frame(), f);
  EXPECT_NEAR(q.yaw, 0.75, 1e-6);
  EXPECT_EQ(q.issue, QualityIssue::kTurned);
  EXPECT_EQ(q.reason, "face the camera");
  f.keypoints[2].x = 300;
  q = assess_quality(frame(), f);
  EXPECT_NEAR(q.yaw, -0.5, 1e-6);
  f.keypoints[2].x = 200;  // beyond the right eye: clamped
  EXPECT_FLOAT_EQ(assess_quality(frame(), f).yaw, -1.0f);
}

TEST(QualityTest, SmallAndOutOfFrameFaces) {
  Face tiny = frontal();
  tiny.box = FaceBox{300, 220, 40, 40};
  const Quality q = assess_quality(frame(), tiny);
  EXPECT_EQ(q.issue, QualityIssue::kTooSmall);
  EXPECT_EQ(q.reason, "come closer");
  EXPECT_FLOAT_EQ(q.face_size_px, 40.0f);

  Face edge = frontal();
  edge.box.x = -60;  // 30% of the box outside
  EXPECT_EQ(assess_quality(frame(), edge).issue, QualityIssue::kOutOfFrame);
  edge.box.x = -10;  // 5%: tolerated
  EXPECT_NE(assess_quality(frame(), edge).issue, QualityIssue::kOutOfFrame);
  Face keypoint_out = frontal();
  keypoint_out.keypoints[4].x = -3;
  EXPECT_EQ(assess_quality(frame(), keypoint_out).issue, QualityIssue::kOutOfFrame);
}

TEST(QualityTest, WorksOnGreyAndRgba) {
  const Quality rgb = assess_quality(frame(), frontal());
  for (int channels : {1, 4}) {
    const Quality q = assess_quality(image::convert_channels(frame(), channels), frontal());
    EXPECT_EQ(q.issue, QualityIssue::kOk);
    EXPECT_NEAR(q.brightness, rgb.brightness, 0.5);
  }
}

TEST(QualityTest, NeedsEyesAndNose) {
  Face f = frontal();
  f.keypoints.pop_back();
  EXPECT_THROW(assess_quality(frame(), f), Error);
  QualityOptions o;
  o.keypoint_names = {"right_eye", "left_eye", "mouth_center"};
  f.keypoints.resize(3);
  EXPECT_THROW(assess_quality(frame(), f, o), Error);
}

TEST(QualityTest, IssueNamesAndHints) {
  EXPECT_STREQ(quality_issue_name(QualityIssue::kTooSmall), "too_small");
  EXPECT_STREQ(quality_issue_hint(QualityIssue::kTooSmall), "come closer");
  EXPECT_STREQ(quality_issue_hint(QualityIssue::kOk), "");
}

}  // namespace
}  // namespace fu::face
