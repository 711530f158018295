#include "nn/graph_passes.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "nn/float16.h"

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
  out.quantized_values = graph.quantized_values;
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

namespace {

// How many nodes (and graph outputs) read each value.
std::vector<int> use_counts(const Graph& graph) {
  std::vector<int> uses(graph.values.size(), 0);
  for (const Node& n : graph.nodes) {
    for (int id : n.inputs) {
      if (id >= 0 && id < static_cast<int>(uses.size())) ++uses[id];
    }
  }
  for (int id : graph.outputs) {
    if (id >= 0 && id < static_cast<int>(uses.size())) ++uses[id];
  }
  return uses;
}

bool has_clamp(const Node& n) {
  return n.attributes.has("output_min") || n.attributes.has("output_max");
}

// Multiplies output channel c of a convolution by scale[c] and adds shift[c] to its bias.
bool fold_scale_bias(Node& conv, const Node& sb) {
  const Weight* scale = sb.weight("scale");
  const Weight* shift = sb.weight("bias");
  Weight* filter = conv.weights.count("filter") ? &conv.weights["filter"] : nullptr;
  if (scale == nullptr || filter == nullptr || filter->dims.size() != 4 ||
      filter->type != WeightType::kF32 || scale->type != WeightType::kF32 ||
      (shift != nullptr && shift->type != WeightType::kF32)) {
    return false;
  }
  const bool depthwise = conv.op == OpType::kDepthwiseConv2d;
  const int channels = depthwise ? filter->dims[3] : filter->dims[0];
  if (scale->data.size() != static_cast<std::size_t>(channels) ||
      (shift != nullptr && shift->data.size() != static_cast<std::size_t>(channels)) ||
      filter->data.size() != filter->element_count()) {
    return false;
  }
  Weight* bias = conv.weights.count("bias") ? &conv.weights["bias"] : nullptr;
  if (bias != nullptr &&
      (bias->type != WeightType::kF32 || bias->data.size() != static_cast<std::size_t>(channels))) {
    return false;
  }
  const std::size_t per_channel = filter->data.size() / channels;
  for (std::size_t i = 0; i < filter->data.size(); ++i) {
    const std::size_t c = depthwise ? i % channels : i / per_channel;
    filter->data[i] *= scale->data[c];
  }
  if (bias == nullptr) {
    conv.weights["bias"] = Weight({channels}, std::vector<float>(channels, 0.0f));
    bias = &conv.weights["bias"];
  }
  bias->quantization.reset();
  filter->quantization.reset();
  for (int c = 0; c < channels; ++c) {
    bias->data[c] = bias->data[c] * scale->data[c] + (shift != nullptr ? shift->data[c] : 0.0f);
  }
  for (const auto& [key, value] : sb.attributes.numbers()) {
    if (key == "output_min" || key == "output_max") conv.attributes.set(key, value);
  }
  return true;
}

void fuse_clamp(Node& producer, const Node& clamp) {
  const Attributes& a = producer.attributes;
  double lo = a.numbers().count("output_min") ? a.numbers().at("output_min") : -INFINITY;
  double hi = a.numbers().count("output_max") ? a.numbers().at("output_max") : INFINITY;
  lo = std::max(lo, 0.0);
  if (clamp.op == OpType::kRelu6) hi = std::min(hi, 6.0);
  producer.attributes.set("output_min", lo);
  if (std::isfinite(hi)) producer.attributes.set("output_max", hi);
}

}  // namespace

Graph fold_scale_bias_and_clamps(const Graph& graph) {
  const std::vector<int> uses = use_counts(graph);
  Graph out = graph;
  out.nodes.clear();
  // value id -> index in out.nodes of the node computing it
  std::vector<int> producer(graph.values.size(), -1);
  for (const Node& node : graph.nodes) {
    const int in = node.inputs.empty() ? -1 : node.inputs[0];
    const int prev = in >= 0 && in < static_cast<int>(producer.size()) ? producer[in] : -1;
    if (prev >= 0 && uses[in] == 1 && node.inputs.size() == 1) {
      Node& p = out.nodes[prev];
      bool folded = false;
      if (node.op == OpType::kScaleBias && !has_clamp(p) &&
          (p.op == OpType::kConv2d || p.op == OpType::kDepthwiseConv2d)) {
        folded = fold_scale_bias(p, node);
      } else if ((node.op == OpType::kRelu || node.op == OpType::kRelu6) &&
                 (p.op == OpType::kConv2d || p.op == OpType::kDepthwiseConv2d ||
                  p.op == OpType::kFullyConnected || p.op == OpType::kAdd ||
                  p.op == OpType::kScaleBias)) {
        fuse_clamp(p, node);
        folded = true;
      }
      if (folded) {
        p.output = node.output;
        producer[node.output] = prev;
        continue;
      }
    }
    out.nodes.push_back(node);
    if (node.output >= 0 && node.output < static_cast<int>(producer.size())) {
      producer[node.output] = static_cast<int>(out.nodes.size()) - 1;
    }
  }
  return out;
}

namespace {

// A weight held as float32 values: what float16 storage can take (uint8-affine weights already
// take one byte per value, integer ones are not floats).
bool is_plain_float(const Weight& w) { return w.type == WeightType::kF32 && !w.quantization; }

}  // namespace

HalfRounding round_weights_to_half(Graph& graph) {
  for (const Node& node : graph.nodes) {
    for (const auto& [role, weight] : node.weights) {
      if (!is_plain_float(weight)) continue;
      for (float v : weight.data) {
        if (std::abs(v) > 65504.0f) {
          throw Error("cannot store the weights of node '" + node.name + "' as float16: its " +
                      role + " holds " + std::to_string(v) +
                      ", beyond float16's largest value 65504");
        }
      }
    }
  }
  HalfRounding report;
  for (Node& node : graph.nodes) {
    for (auto& [role, weight] : node.weights) {
      if (!is_plain_float(weight)) continue;
      for (float& v : weight.data) {
        const float h = half_to_float(float_to_half(v));
        const double change = std::abs(double{v} - h);
        report.largest_change = std::max(report.largest_change, change);
        if (std::abs(v) >= 0x1p-14f) {
          report.largest_relative_change =
              std::max(report.largest_relative_change, change / std::abs(double{v}));
        }
        v = h;
      }
      weight.half_storage = true;
      ++report.weights;
      report.values += weight.data.size();
    }
  }
  return report;
}

bool store_as_half_if_lossless(Graph& graph) {
  std::size_t found = 0;
  for (const Node& node : graph.nodes) {
    for (const auto& [role, weight] : node.weights) {
      if (!is_plain_float(weight)) continue;
      for (float v : weight.data) {
        if (!is_exact_half(v)) return false;
      }
      ++found;
    }
  }
  if (found == 0) return false;
  for (Node& node : graph.nodes) {
    for (auto& [role, weight] : node.weights) {
      if (is_plain_float(weight)) weight.half_storage = true;
    }
  }
  return true;
}

}  // namespace fu::nn
