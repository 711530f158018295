// The plan is a graph checked against one input shape: every value gets a shape, every node's
// attributes and weights are validated and turned into the typed parameters that operators take.
// Backends only ever see plans, so they can trust sizes without re-checking them.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "nn/graph.h"
#include "nn/op_params.h"
#include "nn/quant_params.h"
#include "nn/tensor.h"

namespace fu::nn {

struct PlannedNode {
  const Node* node = nullptr;  // points into the graph the plan was made from
  OpType op = OpType::kRelu;
  std::vector<int> inputs;
  int output = -1;

  Conv2dParams conv;                // kConv2d
  DepthwiseConv2dParams depthwise;  // kDepthwiseConv2d
  FullyConnectedParams fully_connected;
  Pool2dParams pool;      // kMaxPool2d, kAvgPool2d
  PadParams pad;          // kPad
  Activation activation;  // fused output clamp (conv, depthwise, fc, add, scale_bias)
  float epsilon = 0.0f;   // kL2Normalize, kBatchNorm

  // A node that reads or writes int8 (every node of the int8 part of a graph, and its quantize
  // and dequantize boundaries) runs through its op's forward_qs8. The quantisation of each int8
  // input and of an int8 output, and the fused clamp on the output's int8 grid.
  bool quantized = false;
  std::vector<QuantParams> input_quant;
  QuantParams output_quant{1.0f, 0};
  std::int8_t output_qmin = -128;
  std::int8_t output_qmax = 127;

  const float* weight_data(const char* role) const;  // nullptr when the node has no such weight
  const std::int8_t* weight_qs8(const char* role) const;
  const float* weight_channel_scales(const char* role) const;
  const std::int32_t* weight_i32(const char* role) const;
};

struct Plan {
  std::vector<Shape> shapes;  // value id -> shape
  // Value id -> its int8 quantisation, nullopt for float32 values.
  std::vector<std::optional<QuantParams>> quantization;
  std::vector<PlannedNode> nodes;
  int input = -1;
  std::vector<int> outputs;

  bool is_qs8(int value) const { return quantization[value].has_value(); }
};

struct PlanOptions {
  // Folds a ReLU/ReLU6 into the node before it when that node's output feeds nothing else.
  bool fuse_activations = true;
};

// Throws fu::Error naming the node and the problem (unknown value, shape mismatch, bad attribute).
Plan make_plan(const Graph& graph, const Shape& input_shape, const PlanOptions& options = {});

// Shape inference and validation for one node, given its input shapes; used by make_plan and by
// the graph builder.
PlannedNode plan_node(const Node& node, const std::vector<Shape>& input_shapes,
                      Shape* output_shape);

}  // namespace fu::nn
