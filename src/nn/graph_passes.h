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

}  // namespace fu::nn
