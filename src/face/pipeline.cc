#include "face/pipeline.h"

#include <chrono>
#include <utility>

namespace fu::face {

FacePipeline::FacePipeline(std::shared_ptr<const nn::Model> detector,
                           std::shared_ptr<const nn::Model> embedder,
                           const PipelineOptions& options)
    : detector_(std::move(detector), options.network),
      embedder_(std::move(embedder), options.network, detector_.keypoint_names()),
      options_(options) {
  options_.quality.keypoint_names = detector_.keypoint_names();
  embedder_.set_mirror_average(options_.mirror_average);
  if (options_.landmarks) {
    landmarker_ = std::make_unique<FaceLandmarker>(options_.landmarks, options_.network);
    landmarker_->set_box_scale(options_.landmark_box_scale);
  }
}

FaceAnalysis FacePipeline::analyze(const image::ImageView& image) {
  return analyze(image, true, options_.require_quality);
}

FaceAnalysis FacePipeline::analyze(const image::ImageView& image, bool embed,
                                   bool require_quality) {
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };
  FaceAnalysis analysis;
  Clock::time_point start = Clock::now();
  analysis.faces = detector_.detect(image, options_.detect);
  analysis.chosen = options_.choice == FaceChoice::kNearestCentre
                        ? nearest_centre_index(analysis.faces, image.width(), image.height())
                        : most_prominent_index(analysis.faces);
  analysis.timings.detect = ms_since(start);
  if (analysis.chosen < 0) return analysis;

  start = Clock::now();
  Face& chosen = analysis.faces[analysis.chosen];
  if (options_.refine_keypoints) chosen = detector_.refine(image, chosen, options_.detect);
  if (landmarker_) {
    chosen = with_landmark_keypoints(chosen, landmarker_->locate(image, chosen),
                                     detector_.keypoint_names());
  }
  analysis.timings.refine = ms_since(start);

  start = Clock::now();
  analysis.quality = assess_quality(image, chosen, options_.quality);
  analysis.timings.quality = ms_since(start);
  if (!embed || (require_quality && !analysis.quality.ok())) return analysis;

  start = Clock::now();
  const image::Image aligned = embedder_.align(image, chosen);
  analysis.timings.align = ms_since(start);
  start = Clock::now();
  analysis.embedding = embedder_.embed_after_alignment(aligned);
  analysis.timings.embed = ms_since(start);
  return analysis;
}

}  // namespace fu::face
