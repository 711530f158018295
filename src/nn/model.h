// A model: the graph with its weights plus the metadata the pipeline needs to feed it.
// The on-disk format is documented in docs/model-format.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nn/graph.h"
#include "nn/tensor.h"

namespace fu::nn {

struct ModelMetadata {
  std::string name;
  int input_height = 0;
  int input_width = 0;
  int input_channels = 0;
  // Network input = (pixel - pixel_mean[c]) * pixel_scale[c], pixels in 0..255, RGB order.
  std::vector<float> pixel_mean;
  std::vector<float> pixel_scale;
  std::string output_kind;  // e.g. "embedding", "detector", "test"
  std::string provenance;   // where the weights came from
  std::string license;
  std::map<std::string, std::string> properties;  // free-form keys for later stages

  Shape input_shape(int batch = 1) const {
    return Shape{batch, input_height, input_width, input_channels};
  }
};

struct Model {
  ModelMetadata metadata;
  Graph graph;
};

// The version written. Version 2 added float16, int8 and int32 weights and int8 values; the
// reader still loads version 1.
constexpr std::uint32_t kModelFormatVersion = 2;

std::vector<std::uint8_t> serialize_model(const Model& model);
// `label` names the source in error messages (a path, or "model bytes").
Model parse_model(const std::uint8_t* data, std::size_t size, const std::string& label);

void save_model(const Model& model, const std::string& path);
Model load_model(const std::string& path);

}  // namespace fu::nn
