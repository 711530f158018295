#include "face/face_tracker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <random>

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

// What refinement returned on the anchor frame: the coarse face with slightly other keypoints.
Face refined_of(const Face& coarse) {
  Face f = coarse;
  for (image::Point& p : f.keypoints) p.y += 1.5;
  f.score = 0.95f;
  return f;
}

TEST(FaceTrackerTest, NothingToReuseBeforeAnAnchor) {
  FaceTracker tracker;
  EXPECT_FALSE(tracker.reuse(face_at(), 640, 480));
}

TEST(FaceTrackerTest, StillJitteringFaceReusesUntilTheTimeout) {
  TrackerOptions options;
  options.max_reuses = 3;
  FaceTracker tracker(options);
  const Face anchor = face_at();
  tracker.remember(anchor, refined_of(anchor), 640, 480);
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
    const std::optional<Face> reused = tracker.reuse(coarse, 640, 480);
    ASSERT_TRUE(reused) << "frame " << frame;
    EXPECT_FLOAT_EQ(reused->score, 0.8f);
    EXPECT_NEAR(reused->keypoints[0].y, refined_of(anchor).keypoints[0].y, 1.5);
  }
  EXPECT_FALSE(tracker.reuse(anchor, 640, 480)) << "max_reuses reached: refine again";
  tracker.remember(anchor, refined_of(anchor), 640, 480);
  EXPECT_TRUE(tracker.reuse(anchor, 640, 480)) << "a new anchor restarts the count";
}

TEST(FaceTrackerTest, ReusedFaceFollowsASmallShift) {
  FaceTracker tracker;
  const Face anchor = face_at();
  const Face refined = refined_of(anchor);
  tracker.remember(anchor, refined, 640, 480);
  // 4 px right and 3 down: 2.5% of the face, under max_shift.
  const std::optional<Face> reused = tracker.reuse(face_at(4, 3), 640, 480);
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
  tracker.remember(anchor, refined_of(anchor), 640, 480);
  EXPECT_FALSE(tracker.reuse(face_at(15, 0), 640, 480)) << "moved 7.5% of the face";
  EXPECT_FALSE(tracker.reuse(face_at(0, 0, 1.08), 640, 480)) << "came 8% closer";
  Face turned = anchor;
  turned.keypoints[2].x += 8;  // the nose moves across the face: a turn
  EXPECT_FALSE(tracker.reuse(turned, 640, 480));
  EXPECT_FALSE(tracker.reuse(anchor, 480, 640)) << "another frame size";
  Face fewer = anchor;
  fewer.keypoints.pop_back();
  EXPECT_FALSE(tracker.reuse(fewer, 640, 480));
  // None of the refusals above spent a reuse or dropped the anchor.
  EXPECT_TRUE(tracker.reuse(anchor, 640, 480));
  tracker.reset();
  EXPECT_FALSE(tracker.reuse(anchor, 640, 480)) << "reset forgets the anchor";
}

}  // namespace
}  // namespace fu::face
