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

}  // namespace fu::nn
