#include "face/pipeline.h"

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
  FaceAnalysis analysis;
  analysis.faces = detector_.detect(image, options_.detect);
  analysis.chosen = options_.choice == FaceChoice::kNearestCentre
                        ? nearest_centre_index(analysis.faces, image.width(), image.height())
                        : most_prominent_index(analysis.faces);
  if (analysis.chosen < 0) return analysis;
  if (options_.refine_keypoints) {
    analysis.faces[analysis.chosen] =
        detector_.refine(image, analysis.faces[analysis.chosen], options_.detect);
  }
  if (landmarker_) {
    Face& chosen = analysis.faces[analysis.chosen];
    chosen = with_landmark_keypoints(chosen, landmarker_->locate(image, chosen),
                                     detector_.keypoint_names());
  }
  const Face& face = analysis.faces[analysis.chosen];
  analysis.quality = assess_quality(image, face, options_.quality);
  if (!options_.require_quality || analysis.quality.ok()) {
    analysis.embedding = embedder_.embed(image, face);
  }
  return analysis;
}

}  // namespace fu::face
