#include "chip_dataset_cli.h"

#include <utility>

#include "face/alignment.h"
#include "face/detector.h"
#include "face_cli.h"

namespace fu::tools {

train::FaceDatasetOptions chip_dataset_options(const ParsedArgs& parsed,
                                               const nn::ModelMetadata& chip_model,
                                               std::shared_ptr<const nn::Model> detector) {
  train::FaceDatasetOptions options;
  options.mode =
      parsed.has("--aligned") ? train::DatasetMode::kAligned : train::DatasetMode::kPhotos;
  options.alignment =
      face::make_alignment_template(chip_model, face::FaceDetector(detector).keypoint_names());
  options.detector = std::move(detector);
  options.backend = selected_backend(parsed);
  options.jobs = parse_jobs(parsed);
  options.cache_path = parsed.get("--cache", "");
  return options;
}

}  // namespace fu::tools
