#include "gallery_cli.h"

#include <filesystem>

#include "base/error.h"
#include "evaluation_report.h"
#include "face/pipeline.h"
#include "face_cli.h"
#include "image/decode.h"
#include "unlock/embedder_identity.h"
#include "unlock/liveness_bounds.h"
#include "unlock/security_level.h"

namespace fu::tools {

FlagSpec gallery_flag() { return {"--gallery", "FILE", "the gallery file (required)"}; }

std::vector<FlagSpec> threshold_flags() {
  return {{"--threshold", "T", "accept when the cosine similarity is at least T (-1..1)"},
          {"--far", "RATE",
           "use the model's threshold calibrated for this false-accept rate "
           "(1e-3, 1e-4 or 2e-5; see 'faceunlock calibrate')"}};
}

unlock::Gallery open_gallery(const ParsedArgs& parsed, bool may_be_new) {
  const std::string path = parsed.require("--gallery");
  std::error_code ec;
  if (may_be_new && !std::filesystem::exists(path, ec)) return unlock::Gallery();
  return unlock::Gallery::load(path);
}

face::PipelineOptions gallery_pipeline_options(const ParsedArgs& parsed,
                                               const unlock::Gallery& gallery) {
  face::PipelineOptions options;
  options.network.backend = selected_backend(parsed);
  const LandmarkStage landmarks = load_landmark_stage(parsed);
  options.landmarks = landmarks.model;
  options.landmark_box_scale = landmarks.box_scale;
  const std::string enrolled_on =
      gallery.user_count() > 0 ? unlock::templates_keypoints(gallery.embedder()) : "";
  if (!options.landmarks &&
      enrolled_on == unlock::keypoint_source_name(unlock::KeypointSource::kLandmarks68)) {
    options.landmarks =
        std::make_shared<const nn::Model>(nn::load_model(default_model_path(kDefaultLandmarks)));
  }
  return options;
}

std::string gallery_templates_identity(const nn::Model& embedder,
                                       const face::PipelineOptions& pipeline) {
  return unlock::templates_identity(
      unlock::embedder_identity(embedder),
      unlock::keypoint_source_name(unlock::keypoint_source_of(pipeline)));
}

void require_gallery_embedder(const ParsedArgs& parsed, const unlock::Gallery& gallery,
                              const nn::Model& embedder, const face::PipelineOptions& pipeline) {
  if (gallery.user_count() == 0) return;
  unlock::require_embedder(gallery.embedder(), gallery.dimension(),
                           gallery_templates_identity(embedder, pipeline),
                           "use gallery file (" + parsed.get("--gallery", "") + ")");
}

float decision_threshold(const ParsedArgs& parsed, const nn::Model& embedder, std::string* source) {
  if (parsed.has("--threshold")) {
    *source = "--threshold";
    return static_cast<float>(parsed.get_double("--threshold", 0.0, -1.0, 1.0));
  }
  const unlock::CalibratedLevels levels(embedder.metadata);
  if (parsed.has("--far")) {
    const unlock::SecurityLevel& level = levels.level(parsed.get("--far", ""));
    *source = "embedder.threshold.far_" + level.name;
    return level.threshold;
  }
  if (!levels.model_threshold()) {
    throw Error("cannot choose a threshold (model " + embedder.metadata.name +
                "): it carries no embedder.threshold; pass --threshold or --far");
  }
  *source = "embedder.threshold";
  return *levels.model_threshold();
}

std::unique_ptr<face::FacePipeline> make_photo_pipeline(const ParsedArgs& parsed,
                                                        std::shared_ptr<const nn::Model> embedder,
                                                        const face::PipelineOptions& options) {
  return std::make_unique<face::FacePipeline>(load_detector(parsed), std::move(embedder), options);
}

PhotoEmbedding embed_photo(face::FacePipeline& pipeline, const std::string& path,
                           face::EmbedPurpose purpose) {
  const face::FaceAnalysis analysis =
      pipeline.analyze(image::read_image(path), true, pipeline.options().require_quality, purpose);
  if (!analysis.has_face()) {
    throw Error("cannot find a face in image (" + path +
                "): use a photo where the face is visible, frontal and well lit");
  }
  return {analysis.embedding, static_cast<int>(analysis.faces.size())};
}

}  // namespace fu::tools
