// Benchmark rows for the face pipeline's stages with the shipped models: decode, detect, refine
// (the second detector run on the face's crop), quality, align, embed (a template: the face and
// its mirror image), embed-probe (a camera frame's, as the default mirror policy embeds it), and
// the whole analysis. Registered into `faceunlock bench` next to the network rows.
#pragma once

#include <memory>
#include <string>

#include "nn/executor.h"
#include "nn/model.h"

namespace fu::tools {

// `photo` must show a face. Rows are named "<stage>/<backend>".
void register_stage_benchmarks(const std::string& photo, std::shared_ptr<const nn::Model> detector,
                               std::shared_ptr<const nn::Model> embedder, nn::Backend backend);

}  // namespace fu::tools
