#include "nn/graph_passes.h"

#include <cmath>

#include "base/error.h"

namespace fu::nn {

bool has_training_ops(const Graph& graph) {
  for (const Node& n : graph.nodes) {
    if (n.op == OpType::kBatchNorm || n.op == OpType::kDropout) return true;
  }
  return false;
}

namespace {

const Weight& channel_weight(const Node& node, const char* role) {
  const Weight* w = node.weight(role);
  const Weight* scale = node.weight("scale");
  if (w == nullptr || scale == nullptr || w->dims.size() != 1 || w->dims != scale->dims ||
      w->data.size() != w->element_count()) {
    throw Error("cannot fold node '" + node.name + "' (batch_norm): weight '" + role +
                "' is missing or not one value per channel");
  }
  return *w;
}

Node folded_batch_norm(const Node& bn) {
  const Weight& gamma = channel_weight(bn, "scale");
  const Weight& beta = channel_weight(bn, "bias");
  const Weight& mean = channel_weight(bn, "mean");
  const Weight& var = channel_weight(bn, "variance");
  const double eps = bn.attributes.get_float("epsilon", 1e-5f);
  Node n;
  n.op = OpType::kScaleBias;
  n.name = bn.name;
  n.inputs = bn.inputs;
  n.output = bn.output;
  for (const char* key : {"output_min", "output_max"}) {
    auto it = bn.attributes.numbers().find(key);
    if (it != bn.attributes.numbers().end()) n.attributes.set(key, it->second);
  }
  Weight scale{gamma.dims, std::vector<float>(gamma.data.size()), std::nullopt};
  Weight bias{gamma.dims, std::vector<float>(gamma.data.size()), std::nullopt};
  for (std::size_t c = 0; c < gamma.data.size(); ++c) {
    const double s = gamma.data[c] / std::sqrt(static_cast<double>(var.data[c]) + eps);
    scale.data[c] = static_cast<float>(s);
    bias.data[c] = static_cast<float>(beta.data[c] - mean.data[c] * s);
  }
  n.weights["scale"] = std::move(scale);
  n.weights["bias"] = std::move(bias);
  return n;
}

}  // namespace

Graph fold_training_ops(const Graph& graph) {
  Graph out;
  out.values = graph.values;
  out.input = graph.input;
  out.outputs = graph.outputs;
  // value id -> the id that now carries it (itself, or a removed dropout's input, transitively).
  std::vector<int> alias(graph.values.size());
  for (std::size_t i = 0; i < alias.size(); ++i) alias[i] = static_cast<int>(i);
  auto resolve = [&](int id) {
    return id >= 0 && id < static_cast<int>(alias.size()) ? alias[id] : id;
  };
  for (const Node& node : graph.nodes) {
    if (node.op == OpType::kDropout) {
      if (node.inputs.size() == 1 && node.output >= 0 &&
          node.output < static_cast<int>(alias.size())) {
        alias[node.output] = resolve(node.inputs[0]);
        continue;
      }
      throw Error("cannot fold node '" + node.name +
                  "' (dropout): it needs one input and one output");
    }
    Node copy = node.op == OpType::kBatchNorm ? folded_batch_norm(node) : node;
    for (int& id : copy.inputs) id = resolve(id);
    out.nodes.push_back(std::move(copy));
  }
  for (int& id : out.outputs) id = resolve(id);
  return out;
}

}  // namespace fu::nn
