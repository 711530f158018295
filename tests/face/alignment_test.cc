#include "face/alignment.h"

#include <gtest/gtest.h>

#include <cmath>

#include "base/error.h"
#include "face/test_support.h"
#include "image/draw.h"

namespace fu::face {
namespace {

nn::ModelMetadata embedder_metadata() {
  nn::ModelMetadata m;
  m.name = "emb";
  m.input_width = 64;
  m.input_height = 80;
  m.input_channels = 3;
  m.output_kind = "embedding";
  m.properties = {{"embedder.keypoints", "right_eye, left_eye, nose_tip, mouth_center"},
                  {"embedder.template", "20,30,44,30,32,45,32,58"}};
  return m;
}

TEST(AlignmentTest, TemplateResolvesNamesAgainstTheDetector) {
  const AlignmentTemplate t =
      make_alignment_template(embedder_metadata(), canonical_keypoint_names());
  EXPECT_EQ(t.width, 64);
  EXPECT_EQ(t.height, 80);
  EXPECT_EQ(t.keypoint_indices, (std::vector<int>{0, 1, 2, 3}));
  ASSERT_EQ(t.points.size(), 4u);
  EXPECT_DOUBLE_EQ(t.points[2].x, 32.0);
  EXPECT_DOUBLE_EQ(t.points[2].y, 45.0);
  // Another detector order.
  const AlignmentTemplate u = make_alignment_template(
      embedder_metadata(), {"nose_tip", "mouth_center", "left_eye", "right_eye"});
  EXPECT_EQ(u.keypoint_indices, (std::vector<int>{3, 2, 0, 1}));
}

TEST(AlignmentTest, TemplateErrors) {
  nn::ModelMetadata m = embedder_metadata();
  EXPECT_EQ(testing::error_of([&] {
              make_alignment_template(m, {"right_eye", "left_eye", "nose_tip"});
            }),
            "cannot use model as a face embedder (emb): embedder.keypoints names 'mouth_center', "
            "which the detector does not give");
  m.properties["embedder.template"] = "1,2,3";
  EXPECT_NE(testing::error_of([&] {
              make_alignment_template(m, canonical_keypoint_names());
            }).find("has 3 numbers, expected x,y for each of the 4 names"),
            std::string::npos);
  m.properties.erase("embedder.template");
  EXPECT_NE(testing::error_of([&] {
              make_alignment_template(m, canonical_keypoint_names());
            }).find("'embedder.template' is missing"),
            std::string::npos);
}

// Keypoints placed where `image_from_template` puts the template points: a face whose keypoints
// are an exact similarity of the template.
Face face_from(const AlignmentTemplate& t, const image::AffineTransform& image_from_template) {
  Face f;
  f.box = FaceBox{0, 0, 100, 100};
  f.score = 1.0f;
  f.keypoints.resize(6, image::Point{-1000, -1000});  // unused ones far away
  for (std::size_t i = 0; i < t.points.size(); ++i) {
    f.keypoints[t.keypoint_indices[i]] = image_from_template.apply(t.points[i]);
  }
  return f;
}

TEST(AlignmentTest, TransformMapsSimilarKeypointsOntoTheTemplateExactly) {
  const AlignmentTemplate t =
      make_alignment_template(embedder_metadata(), canonical_keypoint_names());
  const auto image_from_template = image::AffineTransform::similarity(2.7, 0.35, 140.0, 60.0);
  const Face f = face_from(t, image_from_template);
  const image::AffineTransform a = alignment_transform(f, t);
  for (std::size_t i = 0; i < t.points.size(); ++i) {
    const image::Point p = a.apply(f.keypoints[t.keypoint_indices[i]]);
    EXPECT_NEAR(p.x, t.points[i].x, 1e-9);
    EXPECT_NEAR(p.y, t.points[i].y, 1e-9);
  }
}

TEST(AlignmentTest, AlignedImageHasTheKeypointsAtTheTemplate) {
  const AlignmentTemplate t =
      make_alignment_template(embedder_metadata(), canonical_keypoint_names());
  // A 300x260 photo of a face 2.5x the template's size, turned 20 degrees.
  const Face f = face_from(t, image::AffineTransform::similarity(2.5, 0.35, 120.0, 20.0));
  for (std::size_t i = 0; i < t.points.size(); ++i) {
    // One white dot at a time, so that blended edges of one cannot pull another's centroid.
    image::Image photo(300, 260, 3, 0);
    image::fill_circle(photo, f.keypoints[t.keypoint_indices[i]], 6.0, {255, 255, 255, 0});
    const image::Image aligned = align_face(photo, f, t);
    ASSERT_EQ(aligned.width(), 64);
    ASSERT_EQ(aligned.height(), 80);
    ASSERT_EQ(aligned.channels(), 3);
    double sum = 0, sx = 0, sy = 0;
    for (int y = 0; y < aligned.height(); ++y) {
      for (int x = 0; x < aligned.width(); ++x) {
        const double weight = aligned.at(x, y, 1);
        sum += weight;
        sx += weight * x;
        sy += weight * y;
      }
    }
    ASSERT_GT(sum, 0.0) << "dot " << i;
    EXPECT_NEAR(sx / sum, t.points[i].x, 0.25) << "dot " << i;
    EXPECT_NEAR(sy / sum, t.points[i].y, 0.25) << "dot " << i;
  }
}

TEST(AlignmentTest, MissingKeypointIsAnError) {
  const AlignmentTemplate t =
      make_alignment_template(embedder_metadata(), canonical_keypoint_names());
  Face f;
  f.keypoints = {{1, 1}, {5, 1}};
  EXPECT_THROW(alignment_transform(f, t), Error);
}

}  // namespace
}  // namespace fu::face
