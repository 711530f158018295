#include "nn/plan.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "base/error.h"
#include "nn/ops/op.h"
#include "nn/ops/op_support.h"

namespace fu::nn {

namespace {

// 256 Mi floats (1 GiB): far above any face network, low enough that a hostile file cannot
// make the runtime allocate without bound.
constexpr std::size_t kMaxTensorElements = std::size_t{1} << 28;

bool runs_in_qs8(OpType op) {
  switch (op) {
    case OpType::kConv2d:
    case OpType::kDepthwiseConv2d:
    case OpType::kFullyConnected:
    case OpType::kAdd:
    case OpType::kMaxPool2d:
    case OpType::kAvgPool2d:
    case OpType::kGlobalAvgPool:
    case OpType::kReshape:
    case OpType::kPad:
    case OpType::kPRelu:
      return true;
    default:
      return false;
  }
}

void check_weight_type(const Node& node, const char* role, WeightType type, int channel_axis) {
  const Weight* w = node.weight(role);
  if (w == nullptr) return;
  if (w->type != type) {
    ops::fail(node, std::string("weight '") + role + "' is " + weight_type_name(w->type) + ", an " +
                        (type == WeightType::kF32 ? "float" : "int8") + " node needs " +
                        weight_type_name(type));
  }
  if (type == WeightType::kQs8 && w->channel_axis != channel_axis) {
    ops::fail(node, std::string("weight '") + role + "' is quantised along axis " +
                        std::to_string(w->channel_axis) + ", expected axis " +
                        std::to_string(channel_axis) + " (its output channels)");
  }
  if (type == WeightType::kQs8) {
    const std::size_t channels = static_cast<std::size_t>(w->dims.at(channel_axis));
    if (w->channel_scales.size() != channels) {
      ops::fail(node, std::string("weight '") + role + "' has " +
                          std::to_string(w->channel_scales.size()) + " scales for " +
                          std::to_string(channels) + " channels");
    }
    for (float scale : w->channel_scales) {
      if (!(scale > 0.0f) || !std::isfinite(scale)) {
        ops::fail(node, std::string("weight '") + role + "' has channel scale " +
                            std::to_string(scale) + ", expected a finite number > 0");
      }
    }
  }
}

// The dtype rules: int8 enters through quantize and leaves through dequantize; an int8 node reads
// and writes int8 only, with int8 filters quantised per output channel and int32 biases; max
// pooling, reshape and pad keep their input's quantisation. Fills the node's quantisation fields.
void plan_dtypes(const Node& node, const Plan& plan, PlannedNode& p) {
  std::vector<bool> in_qs8;
  for (int id : node.inputs) in_qs8.push_back(plan.is_qs8(id));
  const bool out_qs8 = plan.is_qs8(node.output);
  auto quant_of = [&](int id) { return *plan.quantization[id]; };
  if (node.op == OpType::kQuantize || node.op == OpType::kDequantize) {
    const bool to_qs8 = node.op == OpType::kQuantize;
    if (in_qs8[0] == to_qs8 || out_qs8 != to_qs8) {
      ops::fail(node, to_qs8 ? "must read a float32 value and write an int8 one"
                             : "must read an int8 value and write a float32 one");
    }
    p.quantized = true;
    if (!to_qs8) p.input_quant = {quant_of(node.inputs[0])};
    if (to_qs8) p.output_quant = quant_of(node.output);
    return;
  }
  const bool any_qs8 = out_qs8 || std::find(in_qs8.begin(), in_qs8.end(), true) != in_qs8.end();
  const bool all_qs8 = out_qs8 && std::find(in_qs8.begin(), in_qs8.end(), false) == in_qs8.end();
  if (!any_qs8) {
    for (const auto& [role, weight] : node.weights)
      check_weight_type(node, role.c_str(), WeightType::kF32, 0);
    return;
  }
  if (!runs_in_qs8(node.op)) {
    ops::fail(node, "has no int8 form: put it between dequantize and quantize nodes");
  }
  if (!all_qs8)
    ops::fail(node, "mixes float32 and int8 values: its inputs and output must all be int8");
  p.quantized = true;
  for (int id : node.inputs) p.input_quant.push_back(quant_of(id));
  p.output_quant = quant_of(node.output);
  if (node.op == OpType::kConv2d || node.op == OpType::kFullyConnected ||
      node.op == OpType::kDepthwiseConv2d) {
    if (node.weight("filter") == nullptr) ops::fail(node, "missing weight 'filter'");
    const int axis = node.op == OpType::kDepthwiseConv2d ? 3 : 0;
    check_weight_type(node, "filter", WeightType::kQs8, axis);
    check_weight_type(node, "bias", WeightType::kI32, 0);
  }
  if (node.op == OpType::kPRelu) check_weight_type(node, "slope", WeightType::kF32, 0);
  if (node.op == OpType::kMaxPool2d || node.op == OpType::kReshape || node.op == OpType::kPad) {
    const QuantParams& a = p.input_quant[0];
    if (a.scale != p.output_quant.scale || a.zero_point != p.output_quant.zero_point) {
      ops::fail(node, "int8 max pooling, reshape and pad keep their input's scale and zero point");
    }
  }
}

// The fused float clamp on the output's int8 grid: the levels nearest to min and max (as
// XNNPACK rounds them), within -128..127.
void plan_qs8_clamp(PlannedNode& p) {
  const QuantParams& q = p.output_quant;
  auto level = [&](float v, float fallback) {
    if (!std::isfinite(v)) return fallback;
    const float l = std::nearbyint(v / q.scale) + static_cast<float>(q.zero_point);
    return std::min(127.0f, std::max(-128.0f, l));
  };
  p.output_qmin = static_cast<std::int8_t>(level(p.activation.min, -128.0f));
  p.output_qmax = static_cast<std::int8_t>(level(p.activation.max, 127.0f));
}

}  // namespace

const float* PlannedNode::weight_data(const char* role) const {
  const Weight* w = node->weight(role);
  return w == nullptr ? nullptr : w->data.data();
}

const std::int8_t* PlannedNode::weight_qs8(const char* role) const {
  const Weight* w = node->weight(role);
  return w == nullptr ? nullptr : w->qs8.data();
}

const float* PlannedNode::weight_channel_scales(const char* role) const {
  const Weight* w = node->weight(role);
  return w == nullptr ? nullptr : w->channel_scales.data();
}

const std::int32_t* PlannedNode::weight_i32(const char* role) const {
  const Weight* w = node->weight(role);
  return w == nullptr ? nullptr : w->i32.data();
}

PlannedNode plan_node(const Node& node, const std::vector<Shape>& ins, Shape* output_shape) {
  if (ins.empty()) ops::fail(node, "has no input");
  Shape out;
  PlannedNode p = op_def(node.op).plan(node, ins, &out);
  if (out.n <= 0 || out.h <= 0 || out.w <= 0 || out.c <= 0 || out.h > ops::kMaxDim ||
      out.w > ops::kMaxDim || out.c > ops::kMaxDim || out.size() > kMaxTensorElements) {
    ops::fail(node, "output shape " + out.str() + " is out of range");
  }
  *output_shape = out;
  return p;
}

Plan make_plan(const Graph& graph, const Shape& input_shape, const PlanOptions& options) {
  const int value_count = static_cast<int>(graph.values.size());
  auto check_value = [&](int id, const std::string& what) {
    if (id < 0 || id >= value_count) {
      throw Error("cannot plan graph (" + what + " " + std::to_string(id) +
                  "): no such value; the graph has " + std::to_string(value_count));
    }
  };
  check_value(graph.input, "input");
  if (graph.outputs.empty()) throw Error("cannot plan graph (no outputs): nothing to compute");
  if (input_shape.size() == 0 || input_shape.n <= 0 || input_shape.h <= 0 || input_shape.w <= 0 ||
      input_shape.c <= 0) {
    throw Error("cannot plan graph (input " + input_shape.str() + "): empty input shape");
  }

  Plan plan;
  plan.input = graph.input;
  plan.outputs = graph.outputs;
  plan.shapes.assign(value_count, Shape{0, 0, 0, 0});
  std::vector<bool> defined(value_count, false);
  defined[graph.input] = true;
  plan.shapes[graph.input] = input_shape;
  plan.quantization.assign(value_count, std::nullopt);
  for (const auto& [id, q] : graph.quantized_values) {
    check_value(id, "quantised value");
    if (!(q.scale > 0.0f) || !std::isfinite(q.scale) || q.zero_point < -128 || q.zero_point > 127) {
      throw Error("cannot plan graph (value '" + graph.values[id] + "' scale " +
                  std::to_string(q.scale) + ", zero point " + std::to_string(q.zero_point) +
                  "): an int8 value needs a finite scale > 0 and a zero point in -128..127");
    }
    plan.quantization[id] = q;
  }
  if (plan.is_qs8(graph.input)) {
    throw Error("cannot plan graph (input '" + graph.values[graph.input] +
                "'): the graph input must be float32; quantize it with a quantize node");
  }

  for (const Node& node : graph.nodes) {
    std::vector<Shape> ins;
    for (int id : node.inputs) {
      check_value(id, "input of node '" + node.name + "'");
      if (!defined[id]) {
        throw Error("cannot plan node '" + node.name + "' (input '" + graph.values[id] +
                    "'): it is used before any node computes it");
      }
      ins.push_back(plan.shapes[id]);
    }
    check_value(node.output, "output of node '" + node.name + "'");
    if (defined[node.output]) {
      throw Error("cannot plan node '" + node.name + "' (output '" + graph.values[node.output] +
                  "'): the value is already computed by another node");
    }
    Shape out;
    plan.nodes.push_back(plan_node(node, ins, &out));
    plan_dtypes(node, plan, plan.nodes.back());
    plan.shapes[node.output] = out;
    defined[node.output] = true;
  }
  for (int id : graph.outputs) {
    check_value(id, "output");
    if (!defined[id]) {
      throw Error("cannot plan graph (output '" + graph.values[id] + "'): no node computes it");
    }
    if (plan.is_qs8(id)) {
      throw Error("cannot plan graph (output '" + graph.values[id] +
                  "'): graph outputs must be float32; end the int8 part with a dequantize node");
    }
  }

  if (options.fuse_activations) {
    std::vector<int> uses(value_count, 0);
    for (const PlannedNode& n : plan.nodes) {
      for (int id : n.inputs) ++uses[id];
    }
    for (int id : plan.outputs) ++uses[id];
    std::vector<PlannedNode> fused;
    for (PlannedNode& n : plan.nodes) {
      const bool is_clamp = n.op == OpType::kRelu || n.op == OpType::kRelu6;
      if (is_clamp && !fused.empty()) {
        PlannedNode& prev = fused.back();
        const bool can_clamp = prev.op == OpType::kConv2d || prev.op == OpType::kDepthwiseConv2d ||
                               prev.op == OpType::kFullyConnected || prev.op == OpType::kAdd ||
                               prev.op == OpType::kScaleBias;
        if (can_clamp && prev.output == n.inputs[0] && uses[prev.output] == 1) {
          prev.activation.min = std::max(prev.activation.min, n.activation.min);
          prev.activation.max = std::min(prev.activation.max, n.activation.max);
          prev.output = n.output;
          continue;
        }
      }
      fused.push_back(std::move(n));
    }
    plan.nodes = std::move(fused);
  }
  for (PlannedNode& n : plan.nodes) {
    if (n.quantized && plan.is_qs8(n.output)) plan_qs8_clamp(n);
  }
  return plan;
}

}  // namespace fu::nn
