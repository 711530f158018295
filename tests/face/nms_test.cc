#include "face/nms.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace fu::face {
namespace {

Face make_face(float x, float y, float size, float score, image::Point keypoint) {
  Face f;
  f.box = FaceBox{x, y, size, size};
  f.score = score;
  f.keypoints = {keypoint};
  return f;
}

TEST(NmsTest, IntersectionOverUnion) {
  const FaceBox a{0, 0, 10, 10};
  EXPECT_FLOAT_EQ(intersection_over_union(a, a), 1.0f);
  EXPECT_FLOAT_EQ(intersection_over_union(a, FaceBox{20, 0, 10, 10}), 0.0f);
  EXPECT_FLOAT_EQ(intersection_over_union(a, FaceBox{10, 0, 10, 10}), 0.0f);  // touching
  // Half overlap: 50 / (100 + 100 - 50).
  EXPECT_FLOAT_EQ(intersection_over_union(a, FaceBox{5, 0, 10, 10}), 1.0f / 3.0f);
  EXPECT_FLOAT_EQ(intersection_over_union(a, FaceBox{0, 0, 0, 10}), 0.0f);
}

TEST(NmsTest, MergesClustersWeightedByScore) {
  // Two overlapping candidates (IoU 0.68) and a separate one.
  const std::vector<Face> candidates = {
      make_face(2, 0, 10, 0.6f, {12, 20}),    // joins the best
      make_face(100, 100, 10, 0.8f, {0, 0}),  // alone
      make_face(0, 0, 10, 0.9f, {2, 10}),     // the best
  };
  const std::vector<Face> faces = weighted_non_max_suppression(candidates);
  ASSERT_EQ(faces.size(), 2u);
  // Score of the best; box and keypoints weighted 0.9 : 0.6.
  EXPECT_FLOAT_EQ(faces[0].score, 0.9f);
  EXPECT_FLOAT_EQ(faces[0].box.x, (0.9f * 0 + 0.6f * 2) / 1.5f);
  EXPECT_FLOAT_EQ(faces[0].box.y, 0.0f);
  EXPECT_FLOAT_EQ(faces[0].box.width, 10.0f);
  EXPECT_NEAR(faces[0].keypoints[0].x, (0.9 * 2 + 0.6 * 12) / 1.5, 1e-5);
  EXPECT_NEAR(faces[0].keypoints[0].y, (0.9 * 10 + 0.6 * 20) / 1.5, 1e-5);
  EXPECT_FLOAT_EQ(faces[1].score, 0.8f);
  EXPECT_FLOAT_EQ(faces[1].box.x, 100.0f);
}

TEST(NmsTest, MergesOnlyAboveTheThreshold) {
  // IoU exactly 1/3: merged at threshold 0.3, kept apart at 0.4.
  const std::vector<Face> candidates = {make_face(0, 0, 10, 0.9f, {0, 0}),
                                        make_face(5, 0, 10, 0.7f, {0, 0})};
  EXPECT_EQ(weighted_non_max_suppression(candidates, {0.3f, 0}).size(), 1u);
  EXPECT_EQ(weighted_non_max_suppression(candidates, {0.4f, 0}).size(), 2u);
}

TEST(NmsTest, ClustersFormAroundTheBestNotTransitively) {
  // b overlaps a and c, but a and c do not overlap: a's cluster takes b, c stays alone.
  const std::vector<Face> candidates = {make_face(0, 0, 10, 0.9f, {0, 0}),
                                        make_face(3, 0, 10, 0.8f, {0, 0}),
                                        make_face(6, 0, 10, 0.7f, {0, 0})};
  const std::vector<Face> faces = weighted_non_max_suppression(candidates, {0.3f, 0});
  ASSERT_EQ(faces.size(), 2u);
  EXPECT_FLOAT_EQ(faces[1].score, 0.7f);
  EXPECT_FLOAT_EQ(faces[1].box.x, 6.0f);
}

TEST(NmsTest, CapsTheNumberOfFacesKeepingTheBest) {
  std::vector<Face> candidates;
  for (int i = 0; i < 5; ++i)
    candidates.push_back(make_face(50.0f * i, 0, 10, 0.5f + 0.1f * i, {}));
  for (Face& f : candidates) f.keypoints.clear();
  const std::vector<Face> faces = weighted_non_max_suppression(candidates, {0.3f, 2});
  ASSERT_EQ(faces.size(), 2u);
  EXPECT_FLOAT_EQ(faces[0].score, 0.9f);
  EXPECT_FLOAT_EQ(faces[1].score, 0.8f);
}

TEST(NmsTest, RejectsMixedKeypointCounts) {
  std::vector<Face> candidates = {make_face(0, 0, 10, 0.9f, {0, 0}),
                                  make_face(0, 0, 10, 0.9f, {0, 0})};
  candidates[1].keypoints.push_back({1, 1});
  EXPECT_THROW(weighted_non_max_suppression(candidates), Error);
  EXPECT_TRUE(weighted_non_max_suppression({}).empty());
}

}  // namespace
}  // namespace fu::face
