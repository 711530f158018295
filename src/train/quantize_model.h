// Post-training int8 quantisation of a float model (`faceunlock quantize`): the graph is folded
// for inference (batch norm, scale_bias into convolutions, ReLUs into the ops before them), each
// value's range is calibrated by running the float network on sample face chips, and
// nn::quantize_graph rewrites it with per-channel int8 weights and per-tensor int8 activations.
//
// Calibration data must not be the data accuracy is reported on (never LFW): the CLI documents
// CelebA (../shared/data/celeba-align-10k).
#pragma once

#include <string>
#include <vector>

#include "nn/model.h"
#include "nn/quantize_graph.h"
#include "train/embedding_agreement.h"
#include "train/face_dataset.h"

namespace fu::train {

struct QuantizeModelOptions {
  // The float model's file name, for the provenance line.
  std::string source_name;
  // Face chips for calibration, made as training makes them (face_dataset.h): roots, mode,
  // detector (photos mode), backend and threads. The alignment template is the model's own.
  std::vector<std::string> calibration_roots;
  FaceDatasetOptions dataset;
  // Chips used: evenly spaced over the loaded ones (all when there are fewer).
  int samples = 300;
  // Each chip and its mirror image are observed, as the embedder averages the two.
  bool mirror = true;
  nn::RangeRule range_rule = nn::RangeRule::kMinMax;
  nn::QuantizeGraphOptions graph;
  // Chips the calibration did not observe, embedded by both networks to measure how far the
  // int8 embeddings move (0: not measured).
  int agreement_samples = 100;
};

struct QuantizedModel {
  nn::Model model;
  int chips = 0;                 // calibration chips observed (mirrors not counted)
  EmbeddingAgreement agreement;  // float against int8 on held-out chips
  DatasetSummary dataset_summary;
};

// Throws fu::Error "cannot quantize model (<name>): <reason>" for a model that is int8 already,
// not an image model, or calibration data without usable faces.
QuantizedModel quantize_model(const nn::Model& model, const QuantizeModelOptions& options);

// The int8 rewrite alone, with ranges from `inputs` (network inputs, already normalised):
// what quantize_model does after making chips; tests use it with generated inputs.
nn::Graph quantize_with_inputs(const nn::Graph& graph, const nn::Shape& input_shape,
                               const std::vector<nn::Tensor>& inputs, nn::Backend backend,
                               const nn::QuantizeGraphOptions& options = {});

}  // namespace fu::train
