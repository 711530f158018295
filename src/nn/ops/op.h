// One home per op (in the spirit of dlib's layers): each op's file holds its shape rule, its
// reference forward and its backward, side by side, and registers them in one table. The
// planner, the reference backend and the trainer all go through this table; the SIMD and XNNPACK
// backends only choose kernels for ops that are already planned.
//
// Contracts every op keeps:
//   plan      validates the node against its input shapes and fills the typed parameters; throws
//             fu::Error "cannot plan node '<name>' (<op>): <reason>".
//   forward   computes the output from the inputs with the plain reference operators
//             (nn/reference/), in inference mode (batch norm uses its running statistics, dropout
//             passes its input through).
//   forward_qs8 computes an int8 node (quantize, dequantize and the ops with an int8 form) with the
//             int8 reference operators, requantising as nn/kernels/requantization.h defines.
//   forward_training (batch_norm and dropout only; nullptr elsewhere) computes the training-mode
//             output and keeps what backward needs in `saved`.
//   backward  given the gradient of the loss with respect to the output, ADDS into each input's
//             gradient (input_grads[i], skipped when nullptr) and ASSIGNS the gradient of each
//             weight listed in weight_grads (roles absent there are frozen or not trainable).
//             It may read the forward inputs, the forward output and `saved`.
//   pool      (forward, forward_training, backward) threads the op may split its loops over;
//             nullptr runs them on the calling thread. A split may change the order of sums,
//             never so that the result depends on timing.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nn/graph.h"
#include "nn/plan.h"
#include "nn/tensor.h"

namespace fu {
class ThreadPool;
}

namespace fu::nn {

struct OpForwardArgs {
  const PlannedNode& node;
  const std::vector<const float*>& inputs;
  const std::vector<Shape>& input_shapes;
  const Shape& output_shape;
  float* output;
  ThreadPool* pool = nullptr;
};

// An int8 node (PlannedNode::quantized): each pointer is int8_t or float by its value's dtype
// in the plan.
struct OpQs8ForwardArgs {
  const PlannedNode& node;
  const std::vector<const void*>& inputs;
  const std::vector<Shape>& input_shapes;
  const Shape& output_shape;
  void* output;
};

// Training-mode extras: the node's own weights, mutable (batch norm updates its running
// statistics), per-node storage kept for backward, and the randomness of dropout.
struct OpTrainingState {
  std::map<std::string, Weight>* weights = nullptr;
  std::vector<float>* saved = nullptr;
  std::uint64_t seed = 0;  // dropout: the mask is a pure function of (seed, element index)
};

// Gradients of one node's weights by role; each vector has the weight's element count.
using WeightGrads = std::map<std::string, std::vector<float>>;

struct OpBackwardArgs {
  const PlannedNode& node;
  const std::vector<const float*>& inputs;  // the forward inputs
  const std::vector<Shape>& input_shapes;
  const float* output;  // the forward output
  const Shape& output_shape;
  const float* output_grad;
  const std::vector<float*>& input_grads;  // added into; an entry may be nullptr
  WeightGrads& weight_grads;               // assigned, for the roles it holds
  const std::vector<float>& saved;         // what forward_training kept (empty otherwise)
  ThreadPool* pool = nullptr;
};

struct OpDef {
  OpType op;
  const char* name;
  PlannedNode (*plan)(const Node& node, const std::vector<Shape>& inputs, Shape* output);
  void (*forward)(const OpForwardArgs& args);
  void (*forward_training)(const OpForwardArgs& args, const OpTrainingState& state);
  void (*backward)(const OpBackwardArgs& args);
  // Weight roles that training may change by gradient (batch norm's running statistics are
  // weights too, but not trainable).
  std::vector<const char*> trainable;
  // The int8 reference forward (nn/reference/qs8.h), for ops with an int8 form; nullptr elsewhere.
  void (*forward_qs8)(const OpQs8ForwardArgs& args) = nullptr;
};

// Every op, in OpType order. Throws nothing: the table is complete by construction (a test
// checks that every OpType has its entry).
const std::vector<const OpDef*>& all_ops();
const OpDef& op_def(OpType op);

}  // namespace fu::nn
