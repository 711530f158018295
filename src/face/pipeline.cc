#include "face/pipeline.h"

#include <chrono>
#include <optional>
#include <utility>

#include "base/error.h"

namespace fu::face {

const char* mirror_policy_name(MirrorPolicy policy) {
  switch (policy) {
    case MirrorPolicy::kBoth:
      return "both";
    case MirrorPolicy::kTemplatesOnly:
      return "templates";
    case MirrorPolicy::kNeither:
      return "none";
  }
  return "unknown";
}

MirrorPolicy parse_mirror_policy(const std::string& text) {
  for (MirrorPolicy p :
       {MirrorPolicy::kBoth, MirrorPolicy::kTemplatesOnly, MirrorPolicy::kNeither}) {
    if (text == mirror_policy_name(p)) return p;
  }
  throw Error("cannot read mirror policy (" + text + "): expected both, templates or none");
}

bool mirrors(MirrorPolicy policy, EmbedPurpose purpose) {
  return policy == MirrorPolicy::kBoth ||
         (policy == MirrorPolicy::kTemplatesOnly && purpose == EmbedPurpose::kTemplate);
}

FacePipeline::FacePipeline(std::shared_ptr<const nn::Model> detector,
                           std::shared_ptr<const nn::Model> embedder,
                           const PipelineOptions& options)
    : detector_(std::move(detector), options.network),
      embedder_(std::move(embedder), options.network, detector_.keypoint_names()),
      options_(options),
      tracker_(options.tracker) {
  options_.quality.keypoint_names = detector_.keypoint_names();
  // analyze() passes the policy per call; this is for callers of embedder().embed().
  embedder_.set_mirror_average(mirrors(options_.mirror, EmbedPurpose::kTemplate));
  if (options_.landmarks) {
    landmarker_ = std::make_unique<FaceLandmarker>(options_.landmarks, options_.network);
    landmarker_->set_box_scale(options_.landmark_box_scale);
  }
}

FaceAnalysis FacePipeline::analyze(const image::ImageView& image) {
  return analyze(image, true, options_.require_quality);
}

FaceAnalysis FacePipeline::analyze(const image::ImageView& image, bool embed, bool require_quality,
                                   EmbedPurpose purpose) {
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };
  FaceAnalysis analysis;
  Clock::time_point start = Clock::now();
  const bool refines = options_.refine_keypoints || landmarker_;
  const bool tracks = refines && options_.track;
  std::optional<Face> held;
  if (tracks) held = tracker_.hold(image);
  if (held) {
    analysis.faces.push_back(*std::move(held));
    analysis.chosen = 0;
    analysis.detection_reused = true;
    analysis.refine_reused = true;
    analysis.timings.detect = ms_since(start);
  } else {
    analysis.faces = detector_.detect(image, options_.detect);
    analysis.chosen = options_.choice == FaceChoice::kNearestCentre
                          ? nearest_centre_index(analysis.faces, image.width(), image.height())
                          : most_prominent_index(analysis.faces);
    analysis.timings.detect = ms_since(start);
    if (analysis.chosen < 0) {
      tracker_.reset();
      return analysis;
    }

    start = Clock::now();
    Face& chosen = analysis.faces[analysis.chosen];
    std::optional<Face> tracked;
    if (tracks) tracked = tracker_.reuse(image, chosen);
    if (tracked) {
      chosen = *tracked;
      analysis.refine_reused = true;
    } else if (refines) {
      const Face coarse = chosen;
      if (options_.refine_keypoints) chosen = detector_.refine(image, chosen, options_.detect);
      if (landmarker_) {
        chosen = with_landmark_keypoints(chosen, landmarker_->locate(image, chosen),
                                         detector_.keypoint_names());
      }
      if (tracks) tracker_.remember(image, coarse, chosen);
    }
    analysis.timings.refine = ms_since(start);
  }
  const Face& chosen = analysis.faces[analysis.chosen];

  start = Clock::now();
  analysis.quality = assess_quality(image, chosen, options_.quality);
  analysis.timings.quality = ms_since(start);
  if (!embed || (require_quality && !analysis.quality.ok())) return analysis;

  start = Clock::now();
  const image::Image aligned = embedder_.align(image, chosen);
  analysis.timings.align = ms_since(start);
  start = Clock::now();
  analysis.embedding = embedder_.embed_after_alignment(aligned, mirrors(options_.mirror, purpose));
  analysis.timings.embed = ms_since(start);
  return analysis;
}

}  // namespace fu::face
