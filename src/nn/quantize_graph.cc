#include "nn/quantize_graph.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/error.h"
#include "nn/float16.h"

namespace fu::nn {

namespace {

// The smallest scale used for a range that is (nearly) a single point; any positive value works.
constexpr float kMinScale = 1e-8f;

bool has_int8_form(OpType op) {
  switch (op) {
    case OpType::kConv2d:
    case OpType::kDepthwiseConv2d:
    case OpType::kFullyConnected:
    case OpType::kAdd:
    case OpType::kMaxPool2d:
    case OpType::kAvgPool2d:
    case OpType::kGlobalAvgPool:
    case OpType::kPRelu:
      return true;
    default:
      return false;
  }
}

// Symmetric per-channel int8 along `axis`; scale max|w| / 127 (1 for an all-zero channel).
Weight quantize_filter(const Node& node, const Weight& w, int axis) {
  if (w.type != WeightType::kF32 || w.data.size() != w.element_count() ||
      axis >= static_cast<int>(w.dims.size())) {
    throw Error("cannot quantize node '" + node.name + "' (filter " + weight_type_name(w.type) +
                "): expected a float32 filter");
  }
  const int channels = w.dims[axis];
  std::size_t inner = 1;  // elements between consecutive channels along the axis
  for (std::size_t d = axis + 1; d < w.dims.size(); ++d) inner *= w.dims[d];
  auto channel_of = [&](std::size_t i) { return static_cast<int>((i / inner) % channels); };
  std::vector<float> max_abs(channels, 0.0f);
  for (std::size_t i = 0; i < w.data.size(); ++i) {
    float& m = max_abs[channel_of(i)];
    m = std::max(m, std::fabs(w.data[i]));
  }
  Weight q;
  q.dims = w.dims;
  q.type = WeightType::kQs8;
  q.channel_axis = axis;
  q.channel_scales.resize(channels);
  for (int c = 0; c < channels; ++c) {
    q.channel_scales[c] = max_abs[c] > 0.0f ? max_abs[c] / 127.0f : 1.0f;
  }
  q.qs8.resize(w.data.size());
  for (std::size_t i = 0; i < w.data.size(); ++i) {
    const float level = std::nearbyint(w.data[i] / q.channel_scales[channel_of(i)]);
    q.qs8[i] = static_cast<std::int8_t>(std::min(127.0f, std::max(-127.0f, level)));
  }
  return q;
}

// int32 bias in units of input_scale * channel_scale[c].
Weight quantize_bias(const Node& node, const Weight& b, const Weight& filter, float input_scale) {
  if (b.type != WeightType::kF32 || b.data.size() != filter.channel_scales.size()) {
    throw Error("cannot quantize node '" + node.name + "' (bias " + weight_type_name(b.type) +
                "): expected one float32 value per output channel");
  }
  Weight q;
  q.dims = b.dims;
  q.type = WeightType::kI32;
  q.i32.resize(b.data.size());
  for (std::size_t c = 0; c < b.data.size(); ++c) {
    const double unit = static_cast<double>(input_scale) * filter.channel_scales[c];
    const double level = std::nearbyint(b.data[c] / unit);
    q.i32[c] = static_cast<std::int32_t>(std::min(2147483647.0, std::max(-2147483647.0, level)));
  }
  return q;
}

}  // namespace

QuantParams quant_params_for_range(const ValueRange& range, int bits) {
  if (bits != 7 && bits != 8) {
    throw Error("cannot quantize a value to " + std::to_string(bits) +
                " bits: activations take 7 or 8");
  }
  const float lowest = bits == 8 ? -128.0f : 0.0f;
  const float levels = bits == 8 ? 255.0f : 127.0f;
  const float lo = range.observed() ? std::min(range.min, 0.0f) : 0.0f;
  const float hi = range.observed() ? std::max(range.max, 0.0f) : 0.0f;
  const float scale = std::max((hi - lo) / levels, kMinScale);
  const float zero_point = std::nearbyint(lowest - lo / scale);
  return QuantParams{scale,
                     static_cast<std::int32_t>(std::min(127.0f, std::max(lowest, zero_point)))};
}

ValueRangeRecorder::ValueRangeRecorder(const Graph& graph, const Shape& input_shape,
                                       Backend backend)
    : tap_((graph.quantized_values.empty()
                ? graph
                : throw Error("cannot record value ranges (an int8 graph): calibrate the float "
                              "graph")),
           input_shape, backend) {
  min_max_.assign(graph.values.size(), ValueRange{});
  sum_of_min_.assign(graph.values.size(), 0.0);
  sum_of_max_.assign(graph.values.size(), 0.0);
}

void ValueRangeRecorder::add(int value, const float* data, std::size_t count) {
  ValueRange sample;
  for (std::size_t i = 0; i < count; ++i) {
    sample.min = std::min(sample.min, data[i]);
    sample.max = std::max(sample.max, data[i]);
  }
  ValueRange& r = min_max_[value];
  r.min = std::min(r.min, sample.min);
  r.max = std::max(r.max, sample.max);
  sum_of_min_[value] += sample.min;
  sum_of_max_[value] += sample.max;
}

std::vector<ValueRange> ValueRangeRecorder::ranges(RangeRule rule) const {
  if (rule == RangeRule::kMinMax || samples_ == 0) return min_max_;
  std::vector<ValueRange> mean(min_max_.size());
  for (std::size_t v = 0; v < mean.size(); ++v) {
    if (!min_max_[v].observed()) continue;
    mean[v].min = static_cast<float>(sum_of_min_[v] / samples_);
    mean[v].max = static_cast<float>(sum_of_max_[v] / samples_);
  }
  return mean;
}

void ValueRangeRecorder::observe(const Tensor& input) {
  tap_.run(input);
  for (const Node& n : tap_.graph().nodes) {
    const Tensor& y = tap_.value(n.output);
    add(n.output, y.data(), y.size());
  }
  add(tap_.graph().input, input.data(), input.size());
  ++samples_;
}

Graph quantize_graph(const Graph& graph, const std::vector<ValueRange>& ranges,
                     const QuantizeGraphOptions& options) {
  if (!graph.quantized_values.empty()) {
    throw Error("cannot quantize graph (int8 values present): it is quantised already");
  }
  if (ranges.size() != graph.values.size()) {
    throw Error("cannot quantize graph (" + std::to_string(ranges.size()) +
                " ranges): the graph has " + std::to_string(graph.values.size()) + " values");
  }
  const int value_count = static_cast<int>(graph.values.size());
  auto check_id = [&](int id) {
    if (id < 0 || id >= value_count) {
      throw Error("cannot quantize graph (value " + std::to_string(id) + "): no such value");
    }
  };
  // The last weighted layer before each graph output (through weightless float ops such as
  // l2_normalize and reshape), kept float on request: its output is the embedding itself.
  std::vector<bool> keep_float(graph.nodes.size(), false);
  if (options.float_last_layer) {
    std::vector<int> producer(value_count, -1);
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      const int out = graph.nodes[i].output;
      if (out >= 0 && out < value_count) producer[out] = static_cast<int>(i);
    }
    for (int id : graph.outputs) {
      check_id(id);
      int at = producer[id];
      while (at >= 0 && graph.nodes[at].weights.empty() && graph.nodes[at].inputs.size() == 1) {
        at = producer[graph.nodes[at].inputs[0]];
      }
      if (at >= 0) keep_float[at] = true;
    }
  }
  // Pass 1: which nodes run in int8. Reshape and a zero pad only continue an int8 chain (a zero
  // pad on the int8 grid is exact, since 0 is on every grid; starting a chain would only move
  // the quantize node before it).
  std::vector<bool> int8_value(value_count, false);
  std::vector<bool> int8_node(graph.nodes.size(), false);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& n = graph.nodes[i];
    check_id(n.output);
    for (int id : n.inputs) check_id(id);
    const bool moves_values =
        n.op == OpType::kReshape ||
        (n.op == OpType::kPad && n.attributes.get_float("value", 0.0f) == 0.0f);
    bool int8 =
        has_int8_form(n.op) || (moves_values && !n.inputs.empty() && int8_value[n.inputs[0]]);
    for (int id : n.inputs) int8 = int8 && ranges[id].observed();
    int8 = int8 && ranges[n.output].observed() && !keep_float[i];
    int8_node[i] = int8;
    int8_value[n.output] = int8;
  }
  // Which int8-computed values are also read as float (by float nodes or as graph outputs).
  std::vector<bool> read_as_float(value_count, false);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (int8_node[i]) continue;
    for (int id : graph.nodes[i].inputs) read_as_float[id] = true;
  }
  for (int id : graph.outputs) {
    check_id(id);
    read_as_float[id] = true;
  }

  Graph out;
  out.values = graph.values;
  out.input = graph.input;
  out.outputs = graph.outputs;
  std::vector<int> twin(value_count, -1);
  auto new_twin = [&](int id, QuantParams q) {
    const int t = static_cast<int>(out.values.size());
    out.values.push_back(graph.values[id] + "/qs8");
    out.quantized_values[t] = q;
    twin[id] = t;
    return t;
  };
  // The int8 form of a float value: a quantize node the first time an int8 node reads it.
  auto int8_input = [&](int id) {
    if (twin[id] >= 0) return twin[id];
    const int t = new_twin(id, quant_params_for_range(ranges[id], options.activation_bits));
    Node q;
    q.op = OpType::kQuantize;
    q.name = graph.values[id] + "/quantize";
    q.inputs = {id};
    q.output = t;
    out.nodes.push_back(std::move(q));
    return t;
  };

  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& n = graph.nodes[i];
    if (!int8_node[i]) {
      Node copy = n;
      if (options.float16_storage) {
        for (auto& [role, w] : copy.weights) {
          if (w.type != WeightType::kF32 || w.quantization) continue;
          for (float& v : w.data) v = half_to_float(float_to_half(v));
        }
      }
      out.nodes.push_back(std::move(copy));
      continue;
    }
    Node q = n;
    q.inputs.clear();
    for (int id : n.inputs) q.inputs.push_back(int8_input(id));
    const QuantParams in_q = out.quantized_values.at(q.inputs[0]);
    // Max pooling, reshape and pad move int8 values unchanged: the output shares the input's
    // grid.
    const QuantParams out_q =
        n.op == OpType::kMaxPool2d || n.op == OpType::kReshape || n.op == OpType::kPad
            ? in_q
            : quant_params_for_range(ranges[n.output], options.activation_bits);
    q.output = new_twin(n.output, out_q);
    if (n.op == OpType::kPRelu && options.float16_storage) {
      for (float& v : q.weights["slope"].data) v = half_to_float(float_to_half(v));
    }
    if (const Weight* f = n.weight("filter")) {
      const int axis = n.op == OpType::kDepthwiseConv2d ? 3 : 0;
      q.weights["filter"] = quantize_filter(n, *f, axis);
      if (const Weight* b = n.weight("bias")) {
        q.weights["bias"] = quantize_bias(n, *b, q.weights["filter"], in_q.scale);
      }
    }
    out.nodes.push_back(std::move(q));
    if (read_as_float[n.output]) {
      Node d;
      d.op = OpType::kDequantize;
      d.name = graph.values[n.output] + "/dequantize";
      d.inputs = {twin[n.output]};
      d.output = n.output;
      out.nodes.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace fu::nn
