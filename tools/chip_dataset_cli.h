// The face chips a command trains, prunes or calibrates on, from its flags: --aligned (crops
// resized as they are) or photos through the detector and aligner, --cache, --backend, --jobs.
#pragma once

#include <memory>

#include "cli.h"
#include "nn/model.h"
#include "train/face_dataset.h"

namespace fu::tools {

// Chips aligned for `chip_model` (its alignment template, on the detector's keypoints). The
// caller adds its own progress report.
train::FaceDatasetOptions chip_dataset_options(const ParsedArgs& parsed,
                                               const nn::ModelMetadata& chip_model,
                                               std::shared_ptr<const nn::Model> detector);

}  // namespace fu::tools
