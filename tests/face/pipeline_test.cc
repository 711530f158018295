#include "face/pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "face/test_support.h"
#include "image/decode.h"
#include "image/resize.h"

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

// A 64x64 face with its eyes 24 apart, centred in a 256x256 image (fake_detector's anchor).
const int kFaceAnchor = 2 * (16 * 8 + 8);
const std::vector<float> kFaceRegressors = {0, 0, 32, 32, -6, -4, 6, -4, 0, 2, 0, 8, -14, 0, 14, 0};

// Bright on the image's left, dark on its right: its embeddings differ from its mirror image's.
image::Image lopsided(int width = 256, int height = 256) {
  image::Image img(width, height, 3, 90);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width / 2; ++x) img.at(x, y, 0) = 220;
  }
  return img;
}

bool mirror_averaged(const std::vector<float>& e) {
  return e.size() == 4 && std::fabs(e[0] - e[1]) < 1e-5f;
}

TEST(PipelineTest, MirrorPolicyNamesRoundTrip) {
  for (MirrorPolicy p :
       {MirrorPolicy::kBoth, MirrorPolicy::kTemplatesOnly, MirrorPolicy::kNeither}) {
    EXPECT_EQ(parse_mirror_policy(mirror_policy_name(p)), p);
  }
  EXPECT_EQ(testing::error_of([] { parse_mirror_policy("probes"); }),
            "cannot read mirror policy (probes): expected both, templates or none");
}

TEST(PipelineTest, MirrorPolicyDecidesPerPurpose) {
  struct Case {
    MirrorPolicy policy;
    bool templates;
    bool probes;
  };
  for (const Case c :
       {Case{MirrorPolicy::kBoth, true, true}, Case{MirrorPolicy::kTemplatesOnly, true, false},
        Case{MirrorPolicy::kNeither, false, false}}) {
    SCOPED_TRACE(mirror_policy_name(c.policy));
    PipelineOptions options;
    options.network.backend = nn::Backend::kReference;
    options.refine_keypoints = false;
    options.mirror = c.policy;
    FacePipeline pipeline(testing::fake_detector(kFaceAnchor, kFaceRegressors),
                          testing::mirror_sensitive_embedder(), options);
    const image::Image frame = lopsided();
    const FaceAnalysis as_template = pipeline.analyze(frame, true, false, EmbedPurpose::kTemplate);
    const FaceAnalysis as_probe = pipeline.analyze(frame, true, false, EmbedPurpose::kProbe);
    ASSERT_EQ(as_template.embedding.size(), 4u);
    ASSERT_EQ(as_probe.embedding.size(), 4u);
    EXPECT_EQ(mirror_averaged(as_template.embedding), c.templates);
    EXPECT_EQ(mirror_averaged(as_probe.embedding), c.probes);
    EXPECT_EQ(mirror_averaged(pipeline.analyze(frame).embedding), c.templates)
        << "the one-argument analyze() embeds a template";
  }
}

TEST(PipelineTest, TrackingReusesTheRefinedFaceOfAStillFrame) {
  PipelineOptions options;
  options.network.backend = nn::Backend::kReference;
  options.track = true;
  options.tracker.max_reuses = 2;
  FacePipeline pipeline(testing::fake_detector(kFaceAnchor, kFaceRegressors),
                        testing::fake_embedder(), options);
  // The fake detector finds the same face in every frame of a size: a face holding still.
  const image::Image frame(256, 256, 3, 150);
  const FaceAnalysis first = pipeline.analyze(frame);
  ASSERT_TRUE(first.has_face());
  EXPECT_FALSE(first.refine_reused);
  const Face& refined = first.faces[first.chosen];
  for (int i = 0; i < 2; ++i) {
    const FaceAnalysis again = pipeline.analyze(frame);
    ASSERT_TRUE(again.has_face());
    EXPECT_TRUE(again.refine_reused) << "frame " << i + 2;
    EXPECT_TRUE(again.detection_reused) << "frame " << i + 2 << ": nothing moved";
    EXPECT_EQ(again.faces.size(), 1u);
    const Face& reused = again.faces[again.chosen];
    ASSERT_EQ(reused.keypoints.size(), refined.keypoints.size());
    for (std::size_t k = 0; k < reused.keypoints.size(); ++k) {
      EXPECT_NEAR(reused.keypoints[k].x, refined.keypoints[k].x, 1e-4);
      EXPECT_NEAR(reused.keypoints[k].y, refined.keypoints[k].y, 1e-4);
    }
    EXPECT_EQ(again.embedding, first.embedding);
  }
  const FaceAnalysis timed_out = pipeline.analyze(frame);
  EXPECT_FALSE(timed_out.refine_reused) << "after max_reuses frames";
  EXPECT_FALSE(timed_out.detection_reused);
  EXPECT_TRUE(pipeline.analyze(frame).refine_reused);
  // In a frame of another size the same detector output is another face.
  EXPECT_FALSE(pipeline.analyze(image::Image(320, 256, 3, 150)).refine_reused);
  EXPECT_TRUE(pipeline.analyze(image::Image(320, 256, 3, 150)).refine_reused);
  pipeline.reset_tracking();
  EXPECT_FALSE(pipeline.analyze(image::Image(320, 256, 3, 150)).refine_reused);
}

TEST(PipelineTest, PhotosAreNotTracked) {
  PipelineOptions options;
  options.network.backend = nn::Backend::kReference;
  EXPECT_FALSE(options.track);
  FacePipeline pipeline(testing::fake_detector(kFaceAnchor, kFaceRegressors),
                        testing::fake_embedder(), options);
  const image::Image frame(256, 256, 3, 150);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(pipeline.analyze(frame).refine_reused);
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

// A camera-like sequence from one LFW photo: the face drifts by a pixel or two per frame, as a
// user holding still does, then jumps. Reused keypoints must stay close to what refining each
// frame gives, and the jump must refine again.
TEST(RealPipelineTest, TrackedKeypointsStayCloseToRefinedOnes) {
  const std::string detector_path = testing::models_dir() + "/blazeface-short.fum";
  const std::string embedder_path = testing::models_dir() + "/dlib-resnet.fum";
  for (const std::string& path : {detector_path, embedder_path}) {
    if (!testing::file_exists(path)) GTEST_SKIP() << path << " is absent (convert it first)";
  }
  const std::string photo_path =
      testing::shared_data_dir() + "/lfw/Colin_Powell/Colin_Powell_0001.jpg";
  if (!testing::file_exists(photo_path)) {
    GTEST_SKIP() << "LFW is absent from " << testing::shared_data_dir();
  }
  // 250x250 scaled to 430x430: a face of about 180 pixels, as at arm's length from a webcam.
  const image::Image photo = image::resize_bilinear(image::read_image(photo_path), 430, 430);
  // Each frame with its own sensor noise of up to +-4 levels.
  std::uint32_t noise = 2024;
  auto frame_at = [&](int dx, int dy) {
    image::Image frame(640, 480, 3, 128);
    for (int y = 0; y < photo.height(); ++y) {
      for (int x = 0; x < photo.width(); ++x) {
        for (int c = 0; c < 3; ++c) frame.at(105 + dx + x, 25 + dy + y, c) = photo.at(x, y, c);
      }
    }
    for (std::size_t i = 0; i < frame.size_bytes(); ++i) {
      noise = noise * 1664525u + 1013904223u;
      const int v = frame.data()[i] + static_cast<int>(noise >> 29) - 4;
      frame.data()[i] = static_cast<std::uint8_t>(std::clamp(v, 0, 255));
    }
    return frame;
  };
  auto models = [&] {
    return std::make_pair(std::make_shared<const nn::Model>(nn::load_model(detector_path)),
                          std::make_shared<const nn::Model>(nn::load_model(embedder_path)));
  };
  PipelineOptions tracked_options;
  tracked_options.track = true;
  tracked_options.mirror = MirrorPolicy::kNeither;
  auto [detector, embedder] = models();
  FacePipeline tracked(detector, embedder, tracked_options);
  PipelineOptions fresh_options = tracked_options;
  fresh_options.track = false;
  FacePipeline fresh(detector, embedder, fresh_options);

  const int drift[][2] = {{0, 0}, {1, 0}, {2, 1}, {1, 2}, {0, 1}};
  int reused = 0;
  int held = 0;  // of those, without the detector
  double worst_error = 0.0;
  double worst_jitter = 0.0;  // refining every frame: its keypoints against the first frame's
  std::vector<image::Point> first_refined;
  float worst_cosine = 1.0f;
  for (const auto& d : drift) {
    const image::Image frame = frame_at(d[0], d[1]);
    const FaceAnalysis a = tracked.analyze(frame);
    const FaceAnalysis b = fresh.analyze(frame);
    ASSERT_TRUE(a.has_face() && b.has_face());
    reused += a.refine_reused ? 1 : 0;
    held += a.detection_reused ? 1 : 0;
    const Face& fa = a.faces[a.chosen];
    const Face& fb = b.faces[b.chosen];
    const double side = std::max(fb.box.width, fb.box.height);
    for (std::size_t k = 0; k < 4; ++k) {  // eyes, nose and mouth: what alignment uses
      worst_error = std::max(worst_error, std::hypot(fa.keypoints[k].x - fb.keypoints[k].x,
                                                     fa.keypoints[k].y - fb.keypoints[k].y) /
                                              side);
    }
    worst_cosine = std::min(worst_cosine, testing::dot(a.embedding, b.embedding));
    if (first_refined.empty()) first_refined = fb.keypoints;
    for (std::size_t k = 0; k < 4; ++k) {
      worst_jitter =
          std::max(worst_jitter, std::hypot(fb.keypoints[k].x - d[0] - first_refined[k].x,
                                            fb.keypoints[k].y - d[1] - first_refined[k].y) /
                                     side);
    }
  }
  std::printf(
      "reused %d of 4 drifting frames (%d without detecting); worst keypoint error %.4f of the "
      "face (refining "
      "every frame moves them by up to %.4f); worst cosine to the refined frame's "
      "embedding %.4f\n",
      reused, held, worst_error, worst_jitter, worst_cosine);
  EXPECT_EQ(reused, 4) << "a face drifting by 1-2 pixels holds still";
  // What the tracker's tolerances allow: max_residual plus the detector's own jitter (held frames
  // must not add to it: max_still_change).
  EXPECT_LT(worst_error, 0.025);
  EXPECT_GT(worst_cosine, 0.98f);
  EXPECT_FALSE(tracked.analyze(frame_at(40, -20)).refine_reused) << "a jump of 45 pixels";
  // Another person's photo in the same place: the same size of face, keypoints nearly where
  // Colin Powell's were, but not the same face.
  const std::string other_path =
      testing::shared_data_dir() + "/lfw/George_W_Bush/George_W_Bush_0001.jpg";
  tracked.analyze(frame_at(0, 0));
  const image::Image other = image::resize_bilinear(image::read_image(other_path), 430, 430);
  image::Image other_frame(640, 480, 3, 128);
  for (int y = 0; y < other.height(); ++y) {
    for (int x = 0; x < other.width(); ++x) {
      for (int c = 0; c < 3; ++c) other_frame.at(105 + x, 25 + y, c) = other.at(x, y, c);
    }
  }
  EXPECT_FALSE(tracked.analyze(other_frame).refine_reused) << "another person";
}

}  // namespace
}  // namespace fu::face
