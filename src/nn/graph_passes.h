// Rewrites of a whole graph. The trainer's graphs carry ops that only mean something while
// training (batch_norm with batch statistics, dropout); shipping folds them into what every
// backend runs, so the exported forward is the trained forward at inference.
#pragma once

#include "nn/graph.h"

namespace fu::nn {

bool has_training_ops(const Graph& graph);

// batch_norm becomes scale_bias with scale = gamma / sqrt(variance + epsilon) and
// bias = beta - mean * scale (computed in double); dropout is removed and its readers read its
// input. Values keep their ids; a removed node's output value stays in the list, unused.
// Throws fu::Error for a malformed batch_norm (the planner's checks).
Graph fold_training_ops(const Graph& graph);

// Inference rewrites that an int8 graph needs (it has no int8 scale_bias or ReLU), exact in
// float up to rounding:
// - a scale_bias whose input comes only from a conv2d or depthwise_conv2d without a clamp is
//   multiplied into that convolution's filter and bias;
// - a relu or relu6 whose input comes only from a conv2d, depthwise_conv2d, fully_connected, add
//   or scale_bias becomes that node's output_min / output_max attributes.
// The removed node's output value is then computed by the node before it.
Graph fold_scale_bias_and_clamps(const Graph& graph);

struct HalfRounding {
  std::size_t weights = 0;  // float weights rounded (uint8-affine and integer ones are left)
  std::size_t values = 0;
  double largest_change = 0.0;           // |w - half(w)|, largest over all values
  // The same over |w|, for |w| in float16's normal range (at least 2^-14), where it is at most
  // 2^-11; smaller values (float16's subnormals) move by at most 2^-25 absolute.
  double largest_relative_change = 0.0;
};

// Rounds every float32 weight to the nearest float16 (ties to even) and marks it half_storage,
// so the model file keeps it in two bytes per value: half the file of a float model, with the
// network still computing in float32. Lossy, unlike the file's own choices: check the model's
// outputs afterwards. Throws fu::Error naming the node and role of a value beyond float16's
// range (|w| > 65504), leaving the graph unchanged.
HalfRounding round_weights_to_half(Graph& graph);

// Marks every float32 weight half_storage when ALL of them are already exact float16 values (a
// network trained or published in float16 and handed on in float32): the file then halves and
// not one value changes. Returns whether it did; a graph with any weight that float16 would
// change is left as it is, so its file stays version 1, byte for byte.
bool store_as_half_if_lossless(Graph& graph);

}  // namespace fu::nn
