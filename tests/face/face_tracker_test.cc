#include "face/face_tracker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "image/image.h"

namespace fu::face {
namespace {

// A 200-pixel face in a 640x480 frame, moved by (dx, dy) and scaled by `scale` about its centre.
Face face_at(double dx = 0.0, double dy = 0.0, double scale = 1.0) {
  const double cx = 320 + dx;
  const double cy = 240 + dy;
  auto at = [&](double x, double y) { return image::Point{cx + scale * x, cy + scale * y}; };
  Face f;
  f.box = FaceBox{static_cast<float>(cx - 100 * scale), static_cast<float>(cy - 100 * scale),
                  static_cast<float>(200 * scale), static_cast<float>(200 * scale)};
  f.score = 0.9f;
  f.keypoints = {at(-40, -40), at(40, -40), at(0, 10), at(0, 50), at(-90, -20), at(90, -20)};
  return f;
}

// A 640x480 grey frame whose smooth pattern (a stand-in for a face's shading) is moved by
// (dx, dy); `person` picks another pattern.
image::Image frame_at(double dx = 0.0, double dy = 0.0, int person = 0) {
  image::Image img(640, 480, 1);
  const double fx = 1.0 / (13.0 + 5 * person);
  const double fy = 1.0 / (17.0 - 4 * person);
  for (int y = 0; y < 480; ++y) {
    for (int x = 0; x < 640; ++x) {
      img.at(x, y, 0) = static_cast<std::uint8_t>(128 + 60 * std::sin((x - dx) * fx + person) *
                                                            std::cos((y - dy) * fy));
    }
  }
  return img;
}

// What refinement returned on the anchor frame: the coarse face with slightly other keypoints.
Face refined_of(const Face& coarse) {
  Face f = coarse;
  for (image::Point& p : f.keypoints) p.y += 1.5;
  f.score = 0.95f;
  return f;
}

TEST(FaceTrackerTest, NothingToReuseBeforeAnAnchor) {
  FaceTracker tracker;
  EXPECT_FALSE(tracker.reuse(frame_at(), face_at()));
}

TEST(FaceTrackerTest, StillJitteringFaceReusesUntilTheTimeout) {
  TrackerOptions options;
  options.max_reuses = 3;
  FaceTracker tracker(options);
  const Face anchor = face_at();
  const image::Image still = frame_at();
  tracker.remember(still, anchor, refined_of(anchor));
  // Jitter of up to 1.5 px per point, as a detector gives on a still face (0.75% of its size).
  std::mt19937 random(7);
  std::uniform_real_distribution<double> jitter(-1.5, 1.5);
  for (int frame = 0; frame < 3; ++frame) {
    Face coarse = anchor;
    for (image::Point& p : coarse.keypoints) {
      p.x += jitter(random);
      p.y += jitter(random);
    }
    coarse.score = 0.8f;
    const std::optional<Face> reused = tracker.reuse(still, coarse);
    ASSERT_TRUE(reused) << "frame " << frame;
    EXPECT_FLOAT_EQ(reused->score, 0.8f);
    EXPECT_NEAR(reused->keypoints[0].y, refined_of(anchor).keypoints[0].y, 1.5);
  }
  EXPECT_FALSE(tracker.reuse(still, anchor)) << "max_reuses reached: refine again";
  tracker.remember(still, anchor, refined_of(anchor));
  EXPECT_TRUE(tracker.reuse(still, anchor)) << "a new anchor restarts the count";
}

TEST(FaceTrackerTest, ThumbnailsIgnoreExposureButNotContent) {
  const image::Image a = frame_at();
  image::Image brighter = a;
  for (std::size_t i = 0; i < brighter.size_bytes(); ++i) brighter.data()[i] += 20;
  const FaceBox box = face_at().box;
  const std::vector<float> t = face_thumbnail(a, box, 16);
  ASSERT_EQ(t.size(), 256u);
  EXPECT_NEAR(thumbnail_difference(t, face_thumbnail(brighter, box, 16)), 0.0, 0.01);
  EXPECT_GT(thumbnail_difference(t, face_thumbnail(frame_at(0, 0, 1), box, 16)), 10.0);
  EXPECT_TRUE(std::isinf(thumbnail_difference(t, {})));
}

TEST(FaceTrackerTest, ReusedFaceFollowsASmallShift) {
  FaceTracker tracker;
  const Face anchor = face_at();
  const Face refined = refined_of(anchor);
  tracker.remember(frame_at(), anchor, refined);
  // 4 px right and 3 down: 2.5% of the face, under max_shift.
  const std::optional<Face> reused = tracker.reuse(frame_at(4, 3), face_at(4, 3));
  ASSERT_TRUE(reused);
  for (std::size_t i = 0; i < refined.keypoints.size(); ++i) {
    EXPECT_NEAR(reused->keypoints[i].x, refined.keypoints[i].x + 4, 1e-4);
    EXPECT_NEAR(reused->keypoints[i].y, refined.keypoints[i].y + 3, 1e-4);
  }
  EXPECT_NEAR(reused->box.x, refined.box.x + 4, 1e-4);
}

TEST(FaceTrackerTest, MovingTurningOrRescaledFacesAreRefinedAgain) {
  FaceTracker tracker;
  const Face anchor = face_at();
  const image::Image still = frame_at();
  tracker.remember(still, anchor, refined_of(anchor));
  EXPECT_FALSE(tracker.reuse(frame_at(15, 0), face_at(15, 0))) << "moved 7.5% of the face";
  EXPECT_FALSE(tracker.reuse(still, face_at(0, 0, 1.08))) << "came 8% closer";
  Face turned = anchor;
  turned.keypoints[2].x += 8;  // the nose moves across the face: a turn
  EXPECT_FALSE(tracker.reuse(still, turned));
  EXPECT_FALSE(tracker.reuse(image::Image(480, 640, 1), anchor)) << "another frame size";
  Face fewer = anchor;
  fewer.keypoints.pop_back();
  EXPECT_FALSE(tracker.reuse(still, fewer));
  EXPECT_FALSE(tracker.reuse(frame_at(0, 0, 1), anchor))
      << "another face where the first one was, its keypoints in the same places";
  // None of the refusals above spent a reuse or dropped the anchor.
  EXPECT_TRUE(tracker.reuse(still, anchor));
  tracker.reset();
  EXPECT_FALSE(tracker.reuse(still, anchor)) << "reset forgets the anchor";
}

// frame_at() with sensor noise of up to +-`amplitude` grey levels on every pixel.
image::Image noisy(image::Image frame, int amplitude, std::uint32_t seed) {
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> noise(-amplitude, amplitude);
  for (std::size_t i = 0; i < frame.size_bytes(); ++i) {
    frame.data()[i] =
        static_cast<std::uint8_t>(std::clamp(frame.data()[i] + noise(random), 0, 255));
  }
  return frame;
}

TEST(FaceTrackerTest, HoldNeedsAnAnchorOfTheSameFrameSize) {
  FaceTracker tracker;
  EXPECT_FALSE(tracker.hold(frame_at()));
  const Face anchor = face_at();
  tracker.remember(frame_at(), anchor, refined_of(anchor));
  EXPECT_FALSE(tracker.hold(image::Image(480, 640, 1)));
  tracker.reset();
  EXPECT_FALSE(tracker.hold(frame_at())) << "reset forgets the anchor";
}

TEST(FaceTrackerTest, HoldHandsOutTheLastFaceWhileNothingMoves) {
  TrackerOptions options;
  options.max_reuses = 3;
  FaceTracker tracker(options);
  const Face anchor = face_at();
  const Face refined = refined_of(anchor);
  tracker.remember(frame_at(), anchor, refined);
  for (int frame = 0; frame < 3; ++frame) {
    const std::optional<Face> held = tracker.hold(noisy(frame_at(), 4, 11 + frame));
    ASSERT_TRUE(held) << "frame " << frame << ": sensor noise is not movement";
    ASSERT_EQ(held->keypoints.size(), refined.keypoints.size());
    for (std::size_t i = 0; i < refined.keypoints.size(); ++i) {
      EXPECT_EQ(held->keypoints[i].x, refined.keypoints[i].x);
      EXPECT_EQ(held->keypoints[i].y, refined.keypoints[i].y);
    }
  }
  EXPECT_FALSE(tracker.hold(frame_at())) << "max_reuses reached: detect and refine again";
  EXPECT_FALSE(tracker.reuse(frame_at(), anchor)) << "held frames spend the same budget";
}

TEST(FaceTrackerTest, HoldRefusesAnyMoveOrAnotherFace) {
  FaceTracker tracker;
  const Face anchor = face_at();
  tracker.remember(frame_at(), anchor, refined_of(anchor));
  // 4 px is 2% of the face: reuse() follows such a shift with the detector's help, hold() must
  // not skip the detector for it.
  EXPECT_FALSE(tracker.hold(frame_at(4, 0)));
  EXPECT_FALSE(tracker.hold(frame_at(0, 4)));
  EXPECT_FALSE(tracker.hold(frame_at(0, 0, 1))) << "another face in the same place";
  EXPECT_TRUE(tracker.hold(frame_at())) << "the refusals spent nothing";
}

TEST(FaceTrackerTest, HoldComparesWithTheLastDetectedFrame) {
  FaceTracker tracker;
  const Face anchor = face_at();
  const Face refined = refined_of(anchor);
  tracker.remember(frame_at(), anchor, refined);
  // The face moved 4 px right, which the detector saw and reuse() followed...
  const std::optional<Face> reused = tracker.reuse(frame_at(4, 0), face_at(4, 0));
  ASSERT_TRUE(reused);
  // ...so holding still there holds the moved face, and the old place no longer matches.
  const std::optional<Face> held = tracker.hold(frame_at(4, 0));
  ASSERT_TRUE(held);
  EXPECT_NEAR(held->keypoints[0].x, refined.keypoints[0].x + 4, 1e-4);
  EXPECT_FALSE(tracker.hold(frame_at()));
}

}  // namespace
}  // namespace fu::face
