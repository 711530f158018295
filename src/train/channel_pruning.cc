#include "train/channel_pruning.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/error.h"
#include "nn/executor.h"
#include "nn/graph_builder.h"
#include "nn/plan.h"
#include "nn/sample_networks.h"

namespace fu::train {
namespace {

using nn::Node;
using nn::OpType;
using nn::Weight;

// Union-find over value ids: values tied channel for channel share one root.
class ChannelGroups {
 public:
  explicit ChannelGroups(std::size_t values) : parent_(values) {
    std::iota(parent_.begin(), parent_.end(), 0);
  }
  int root(int v) {
    while (parent_[v] != v) v = parent_[v] = parent_[parent_[v]];
    return v;
  }
  void join(int a, int b) { parent_[root(a)] = root(b); }

 private:
  std::vector<int> parent_;
};

bool keeps_channels(OpType op) {
  switch (op) {
    case OpType::kScaleBias:
    case OpType::kRelu:
    case OpType::kRelu6:
    case OpType::kPRelu:
    case OpType::kAdd:
    case OpType::kMaxPool2d:
    case OpType::kAvgPool2d:
    case OpType::kGlobalAvgPool:
    case OpType::kDepthwiseConv2d:
    case OpType::kBatchNorm:
    case OpType::kDropout:
      return true;
    default:
      return false;
  }
}

bool pads_channels(const Node& n) {
  return n.op == OpType::kPad && (n.attributes.get_int("pad_channels_before", 0, 0, 1 << 20) > 0 ||
                                  n.attributes.get_int("pad_channels_after", 0, 0, 1 << 20) > 0);
}

// What one group keeps, by original channel index, ascending; empty = every channel.
struct Selection {
  std::vector<int> kept;
};

// Copies `w` keeping, along `axis`, only the indices in `keep` (empty: all).
Weight slice(const Weight& w, int axis, const std::vector<int>& keep) {
  if (keep.empty()) return w;
  std::vector<int> dims = w.dims;
  const int extent = dims[axis];
  std::size_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= dims[d];
  for (std::size_t d = axis + 1; d < dims.size(); ++d) inner *= dims[d];
  dims[axis] = static_cast<int>(keep.size());
  std::vector<float> out;
  out.reserve(outer * keep.size() * inner);
  for (std::size_t o = 0; o < outer; ++o) {
    for (int k : keep) {
      const float* src = w.data.data() + (o * extent + k) * inner;
      out.insert(out.end(), src, src + inner);
    }
  }
  return Weight(std::move(dims), std::move(out));
}

std::vector<int> first_n(int n) {
  std::vector<int> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

int kept_count(int channels, double width, int multiple) {
  const int m = std::max(1, multiple);
  int kept = static_cast<int>(std::lround(channels * width / m)) * m;
  return std::clamp(kept, std::min(m, channels), channels);
}

}  // namespace

PrunedModel prune_channels(const nn::Model& model, const std::vector<nn::Tensor>& inputs,
                           const ChannelPruningOptions& options) {
  const std::string what = "cannot prune model (" + model.metadata.name + "): ";
  const nn::Graph& g = model.graph;
  if (!g.quantized_values.empty()) throw Error(what + "it is int8; prune the float model");
  for (double w : {options.stream_width, options.inner_width}) {
    if (!(w > 0 && w <= 1)) throw Error(what + "width " + std::to_string(w) + " not in (0, 1]");
  }
  if (inputs.empty()) throw Error(what + "needs at least one sample input");
  const nn::Shape input_shape = model.metadata.input_shape();
  for (const nn::Tensor& x : inputs) {
    if (x.shape() != input_shape) {
      throw Error(what + "sample input " + x.shape().str() + ", expected " + input_shape.str());
    }
  }
  const nn::Plan plan = nn::make_plan(g, input_shape);
  const std::size_t values = g.values.size();
  auto channels_of = [&](int v) { return plan.shapes[v].c; };

  // 1. Groups, and which of them must keep every channel.
  ChannelGroups groups(values);
  std::vector<bool> fixed_value(values, false);
  std::vector<bool> in_add(values, false);
  fixed_value[g.input] = true;
  for (int v : g.outputs) fixed_value[v] = true;
  for (const Node& n : g.nodes) {
    if (keeps_channels(n.op)) {
      for (int in : n.inputs) groups.join(in, n.output);
      if (n.op == OpType::kAdd) in_add[n.output] = true;
    } else if (n.op == OpType::kPad && !pads_channels(n)) {
      groups.join(n.inputs[0], n.output);
    } else if (n.op == OpType::kFullyConnected) {
      const nn::Shape& s = plan.shapes[n.inputs[0]];
      if (s.h * s.w != 1) fixed_value[n.inputs[0]] = true;  // flattened: channels interleave
    } else if (n.op != OpType::kConv2d && !pads_channels(n)) {
      for (int in : n.inputs) fixed_value[in] = true;
      fixed_value[n.output] = true;
    }
  }
  std::vector<bool> fixed(values, false), stream(values, false);
  for (std::size_t v = 0; v < values; ++v) {
    const int r = groups.root(static_cast<int>(v));
    if (fixed_value[v]) fixed[r] = true;
    if (in_add[v]) stream[r] = true;
  }

  // 2. Importance of every channel of every prunable group, from the sample inputs.
  nn::Graph observed = g;
  observed.outputs.clear();
  for (const Node& n : g.nodes) observed.outputs.push_back(n.output);
  nn::PlanOptions no_fusion;
  no_fusion.fuse_activations = false;
  const nn::Plan observed_plan = nn::make_plan(observed, input_shape, no_fusion);
  const auto executor = nn::create_executor(options.backend, observed_plan);
  std::vector<std::vector<double>> sum_squares(values);
  std::vector<double> pixels(values, 0.0);
  for (const nn::Tensor& x : inputs) {
    executor->run(x);
    const std::vector<nn::Tensor>& outs = executor->outputs();
    for (std::size_t k = 0; k < outs.size(); ++k) {
      const int v = observed.outputs[k];
      const int c = channels_of(v);
      std::vector<double>& s = sum_squares[v];
      s.resize(c, 0.0);
      for (std::size_t i = 0; i < outs[k].size(); ++i) {
        s[i % c] += static_cast<double>(outs[k][i]) * outs[k][i];
      }
      pixels[v] += static_cast<double>(outs[k].size() / c);
    }
  }
  std::vector<std::vector<double>> importance(values);
  for (const Node& n : g.nodes) {
    if (n.op != OpType::kConv2d && n.op != OpType::kFullyConnected) continue;
    const int v = n.inputs[0];
    const int r = groups.root(v);
    if (fixed[r] || sum_squares[v].empty()) continue;
    const Weight& w = *n.weight("filter");
    const int c = channels_of(v);
    std::vector<double> norm2(c, 0.0);
    for (std::size_t i = 0; i < w.data.size(); ++i) {
      norm2[i % c] += static_cast<double>(w.data[i]) * w.data[i];
    }
    importance[r].resize(c, 0.0);
    for (int ch = 0; ch < c; ++ch) {
      importance[r][ch] += std::sqrt(sum_squares[v][ch] / pixels[v]) * std::sqrt(norm2[ch]);
    }
  }

  // 3. What each group keeps.
  PrunedModel out;
  std::vector<Selection> selection(values);
  std::vector<bool> reported(values, false);
  for (const Node& n : g.nodes) {
    const int r = groups.root(n.output);
    if (fixed[r] || reported[r]) continue;
    reported[r] = true;
    const int c = channels_of(n.output);
    const int kept =
        kept_count(c, stream[r] ? options.stream_width : options.inner_width, options.multiple);
    if (kept == c) continue;
    // A group no weighted node reads (nothing to rank by) is ranked by its own activations.
    std::vector<double> score = importance[r];
    if (score.empty()) score = sum_squares[n.output];
    std::vector<int> order = first_n(c);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return score[a] > score[b]; });
    order.resize(kept);
    std::sort(order.begin(), order.end());
    selection[r].kept = order;
    out.groups.push_back({g.values[n.output], static_cast<bool>(stream[r]), c, kept});
  }
  if (out.groups.empty()) throw Error(what + "no channel group can be narrowed at these widths");
  auto kept_of = [&](int v) -> const std::vector<int>& { return selection[groups.root(v)].kept; };

  // 4. The narrower graph: same values and nodes, weights sliced; channel pads become 1x1
  // routing convolutions.
  nn::Graph pruned = g;
  for (Node& n : pruned.nodes) {
    const std::vector<int>& in_keep = kept_of(n.inputs.empty() ? n.output : n.inputs[0]);
    const std::vector<int>& out_keep = kept_of(n.output);
    switch (n.op) {
      case OpType::kConv2d:
      case OpType::kFullyConnected: {
        const Weight& f = *n.weight("filter");
        const int in_axis = static_cast<int>(f.dims.size()) - 1;
        n.weights["filter"] = slice(slice(f, 0, out_keep), in_axis, in_keep);
        if (const Weight* b = n.weight("bias")) n.weights["bias"] = slice(*b, 0, out_keep);
        break;
      }
      case OpType::kDepthwiseConv2d:
        n.weights["filter"] = slice(*n.weight("filter"), 3, out_keep);
        if (const Weight* b = n.weight("bias")) n.weights["bias"] = slice(*b, 0, out_keep);
        break;
      case OpType::kScaleBias:
      case OpType::kPRelu:
      case OpType::kBatchNorm:
        for (auto& [role, w] : n.weights) w = slice(w, 0, out_keep);
        break;
      case OpType::kPad:
        if (pads_channels(n)) {
          const nn::Shape& s = plan.shapes[n.inputs[0]];
          const int before = n.attributes.get_int("pad_channels_before", 0, 0, 1 << 20);
          if (s.h != plan.shapes[n.output].h || s.w != plan.shapes[n.output].w) {
            throw Error(what + "node " + n.name + " pads space and channels at once");
          }
          const std::vector<int> ins = in_keep.empty() ? first_n(s.c) : in_keep;
          const std::vector<int> outs =
              out_keep.empty() ? first_n(channels_of(n.output)) : out_keep;
          std::vector<float> route(outs.size() * ins.size(), 0.0f);
          for (std::size_t o = 0; o < outs.size(); ++o) {
            for (std::size_t i = 0; i < ins.size(); ++i) {
              if (outs[o] == ins[i] + before) route[o * ins.size() + i] = 1.0f;
            }
          }
          n.op = OpType::kConv2d;
          n.attributes = nn::window_attributes(1, 1, "valid");
          n.weights.clear();
          n.weights["filter"] =
              Weight({static_cast<int>(outs.size()), 1, 1, static_cast<int>(ins.size())},
                     std::move(route));
        }
        break;
      default:
        break;
    }
  }
  out.model.metadata = model.metadata;
  out.model.graph = std::move(pruned);
  nn::make_plan(out.model.graph, input_shape);  // every slice fits: fails loudly if not
  out.multiply_adds_before = nn::count_multiply_adds(model);
  out.multiply_adds_after = nn::count_multiply_adds(out.model);
  return out;
}

}  // namespace fu::train
