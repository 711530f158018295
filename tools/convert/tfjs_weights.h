// Reads the binary weights of a TensorFlow.js model: the shard files a weights manifest lists.
// Shared by the converters of TF.js layers-style weight files (dlib's ResNet in face-api) and of
// TF.js graph models (model.json's "weightsManifest"), which store their weights the same way.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nn/graph.h"

namespace fu::tools {

struct TfjsWeight {
  std::string name;
  std::vector<int> shape;  // as the manifest gives it (TF order, e.g. HWIO for conv filters)
  std::vector<float> values;
  // Set for weights stored uint8-quantised: every value is then exactly min + q * scale in
  // float32, so nn::Weight can carry it and the model file keeps it in one byte per value.
  std::optional<nn::Uint8Quantization> quantization;
};

// Reads the weights a TF.js manifest lists (a JSON array of {paths, weights}, as in
// *-weights_manifest.json or model.json's "weightsManifest") from the shard files in
// `directory`, in order, dequantising uint8/uint16 (affine: q*scale+min) and float16; float32
// and int32 as stored. Throws fu::Error naming the file and the weight for missing shards, sizes
// that do not add up, unknown dtypes.
std::map<std::string, TfjsWeight> read_tfjs_weights(const nlohmann::json& manifest,
                                                    const std::string& directory);

}  // namespace fu::tools
