#include "train/quantize_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "base/error.h"
#include "face/alignment.h"
#include "face/detector.h"
#include "face/metadata.h"
#include "image/convert.h"
#include "nn/graph_passes.h"
#include "nn/network.h"

namespace fu::train {

namespace {

nn::Graph inference_graph(const nn::Graph& graph) {
  const nn::Graph folded = nn::has_training_ops(graph) ? nn::fold_training_ops(graph) : graph;
  return nn::fold_scale_bias_and_clamps(folded);
}

// The chip as the embedder feeds it (FaceEmbedder::fill_input), optionally mirrored.
nn::Tensor chip_input(const image::Image& chip, const image::ChannelNormalization& norm,
                      const nn::Shape& shape, bool mirror) {
  nn::Tensor t(shape);
  image::normalize_to_float(chip, norm, t.data(), t.size());
  if (mirror) {
    for (int y = 0; y < shape.h; ++y) {
      float* row = t.data() + static_cast<std::size_t>(y) * shape.w * shape.c;
      for (int x = 0; x < shape.w / 2; ++x) {
        for (int c = 0; c < shape.c; ++c) {
          std::swap(row[x * shape.c + c], row[(shape.w - 1 - x) * shape.c + c]);
        }
      }
    }
  }
  return t;
}

}  // namespace

nn::Graph quantize_with_inputs(const nn::Graph& graph, const nn::Shape& input_shape,
                               const std::vector<nn::Tensor>& inputs, nn::Backend backend,
                               const nn::QuantizeGraphOptions& options) {
  const nn::Graph folded = inference_graph(graph);
  nn::ValueRangeRecorder recorder(folded, input_shape, backend);
  for (const nn::Tensor& x : inputs) recorder.observe(x);
  return nn::quantize_graph(folded, recorder.ranges(), options);
}

QuantizedModel quantize_model(const nn::Model& model, const QuantizeModelOptions& options) {
  const std::string what = "cannot quantize model (" + model.metadata.name + "): ";
  if (!model.graph.quantized_values.empty()) throw Error(what + "it is int8 already");
  if (model.metadata.input_channels != 3) {
    throw Error(what + "expected an RGB image model, input has " +
                std::to_string(model.metadata.input_channels) + " channels");
  }
  if (options.samples < 1) throw Error(what + "needs at least one calibration sample");
  FaceDatasetOptions data_options = options.dataset;
  std::vector<std::string> keypoints = face::canonical_keypoint_names();
  if (data_options.detector) keypoints = face::FaceDetector(data_options.detector).keypoint_names();
  data_options.alignment = face::make_alignment_template(model.metadata, keypoints);
  const FaceDataset data = load_face_dataset(options.calibration_roots, data_options);
  if (data.samples.empty()) throw Error(what + "the calibration data gave no face chips");

  const nn::Graph folded = inference_graph(model.graph);
  const nn::Shape shape = model.metadata.input_shape();
  nn::ValueRangeRecorder recorder(folded, shape, data_options.backend);
  const image::ChannelNormalization norm = face::pixel_normalization(model.metadata);
  const std::size_t total = data.samples.size();
  const std::size_t used = std::min<std::size_t>(total, static_cast<std::size_t>(options.samples));
  for (std::size_t k = 0; k < used; ++k) {
    // Evenly spaced over the set, so a few hundred chips span many identities.
    const FaceSample& s = data.samples[k * total / used];
    recorder.observe(chip_input(s.chip, norm, shape, false));
    if (options.mirror) recorder.observe(chip_input(s.chip, norm, shape, true));
  }

  QuantizedModel out;
  out.chips = static_cast<int>(used);
  out.dataset_summary = data.summary;
  out.model.metadata = model.metadata;
  out.model.metadata.name = model.metadata.name + "-int8";
  std::string roots;
  for (const std::string& r : options.calibration_roots) roots += (roots.empty() ? "" : ", ") + r;
  out.model.metadata.provenance =
      model.metadata.provenance + " | quantised to int8 by `faceunlock quantize` from " +
      (options.source_name.empty() ? model.metadata.name : options.source_name) +
      ": per-channel int8 weights, activation ranges (" +
      (options.range_rule == nn::RangeRule::kMinMax ? "min/max" : "mean of per-chip min/max") +
      ")" + (options.graph.activation_bits == 7 ? " on the 7-bit levels 0..127" : "") + " from " +
      std::to_string(used) + " face chips" + (options.mirror ? " and their mirror images" : "") +
      " of " + roots + " (" + dataset_mode_name(data_options.mode) + " mode)";
  out.model.metadata.properties["quantization.source"] =
      options.source_name.empty() ? model.metadata.name : options.source_name;
  out.model.metadata.properties["quantization.calibration"] =
      roots + " (" + std::to_string(used) + " chips, " + dataset_mode_name(data_options.mode) +
      " mode)";
  out.model.graph = nn::quantize_graph(folded, recorder.ranges(options.range_rule), options.graph);
  if (options.agreement_samples > 0) {
    // Halfway between the calibration's evenly spaced chips, which it observed.
    const std::size_t total = data.samples.size();
    const std::size_t count =
        std::clamp<std::size_t>(static_cast<std::size_t>(options.agreement_samples), 1, total);
    out.agreement =
        embedding_agreement(model, out.model, data, spread_chips(total, count, total / (2 * count)),
                            data_options.backend);
  }
  return out;
}

}  // namespace fu::train
