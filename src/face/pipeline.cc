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
}

FaceAnalysis FacePipeline::analyze(const image::ImageView& image) {
  FaceAnalysis analysis;
  analysis.faces = detector_.detect(image, options_.detect);
  analysis.chosen = most_prominent_index(analysis.faces);
  if (analysis.chosen < 0) return analysis;
  const Face& face = analysis.faces[analysis.chosen];
  analysis.quality = assess_quality(image, face, options_.quality);
  if (!options_.require_quality || analysis.quality.ok()) {
    analysis.embedding = embedder_.embed(image, face);
  }
  return analysis;
}

}  // namespace fu::face
