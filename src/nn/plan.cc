#include "nn/plan.h"

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

}  // namespace

const float* PlannedNode::weight_data(const char* role) const {
  const Weight* w = node->weight(role);
  return w == nullptr ? nullptr : w->data.data();
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
    plan.shapes[node.output] = out;
    defined[node.output] = true;
  }
  for (int id : graph.outputs) {
    check_value(id, "output");
    if (!defined[id]) {
      throw Error("cannot plan graph (output '" + graph.values[id] + "'): no node computes it");
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
  return plan;
}

}  // namespace fu::nn
