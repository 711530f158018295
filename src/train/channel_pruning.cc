#include "train/channel_pruning.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/error.h"
#include "nn/executor.h"
#include "nn/graph_builder.h"
#include "nn/plan.h"
#include "nn/sample_networks.h"
#include "nn/value_tap.h"
#include "train/ridge.h"

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

// Output pixels of one weighted node sampled for reconstruction on one input: all of them when
// few, else an evenly strided subset with a per-node offset.
std::vector<int> sampled_pixels(int pixels, int limit, std::size_t node, std::size_t sample) {
  std::vector<int> out;
  if (pixels <= limit) return first_n(pixels);
  const double step = static_cast<double>(pixels) / limit;
  const double offset = std::fmod(0.618034 * (node * 7 + sample * 13), 1.0) * step;
  for (int i = 0; i < limit; ++i) out.push_back(static_cast<int>(offset + i * step));
  return out;
}

// The receptive-field row of output pixel `p` of a convolution (or the input vector of a fully
// connected layer) in OHWI order, zero where the window hangs over the padding.
void patch_row(const nn::Tensor& in, const nn::PlannedNode& node, int out_w, int p,
               std::vector<double>& row) {
  const nn::Shape& s = in.shape();
  row.clear();
  if (node.op == OpType::kFullyConnected) {
    row.assign(in.data(), in.data() + s.h * s.w * s.c);
    return;
  }
  const nn::Window2d& w = node.conv.window;
  const int oy = p / out_w, ox = p % out_w;
  for (int ky = 0; ky < w.kernel_h; ++ky) {
    const int y = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
    for (int kx = 0; kx < w.kernel_w; ++kx) {
      const int x = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
      const bool inside = y >= 0 && y < s.h && x >= 0 && x < s.w;
      const float* src = in.data() + (static_cast<std::size_t>(y) * s.w + x) * s.c;
      for (int c = 0; c < s.c; ++c) row.push_back(inside ? src[c] : 0.0);
    }
  }
}

// Refits each pruned convolution and fully connected layer, in graph order, so that on the sample
// inputs its output (kept channels) reproduces the original layer's output as closely as a least
// squares fit allows, given the pruned network's own (already refitted) input to it: each layer
// then also absorbs what the layers before it lost. Ridge regularised towards the sliced weights.
void reconstruct(const nn::Graph& original, nn::Graph& pruned,
                 const std::vector<std::vector<int>>& out_keep, const nn::Shape& input_shape,
                 const std::vector<nn::Tensor>& inputs, nn::Backend backend) {
  // About this many rows per layer: every pixel of a small late layer, a strided subset of a
  // large early one (its rows are many and alike).
  constexpr std::size_t kRowsPerLayer = 16384;
  const int kPixelsPerInput = static_cast<int>(
      std::max<std::size_t>(1, (kRowsPerLayer + inputs.size() - 1) / inputs.size()));
  nn::ValueTap teacher(original, input_shape, backend);
  // targets[node][sample]: the original's output rows at the sampled pixels, kept channels.
  std::vector<std::vector<std::vector<float>>> targets(original.nodes.size());
  for (std::size_t s = 0; s < inputs.size(); ++s) {
    teacher.run(inputs[s]);
    for (std::size_t k = 0; k < original.nodes.size(); ++k) {
      const Node& n = original.nodes[k];
      if ((n.op != OpType::kConv2d && n.op != OpType::kFullyConnected)) continue;
      const nn::Tensor& y = teacher.value(n.output);
      const int c = y.shape().c;
      std::vector<float> rows;
      for (int p : sampled_pixels(y.shape().h * y.shape().w, kPixelsPerInput, k, s)) {
        const float* px = y.data() + static_cast<std::size_t>(p) * c;
        if (out_keep[k].empty()) {
          rows.insert(rows.end(), px, px + c);
        } else {
          for (int ch : out_keep[k]) rows.push_back(px[ch]);
        }
      }
      targets[k].push_back(std::move(rows));
    }
  }
  for (std::size_t k = 0; k < pruned.nodes.size(); ++k) {
    if (targets[k].empty()) continue;
    Node& n = pruned.nodes[k];
    nn::Weight& filter = n.weights["filter"];
    nn::Weight* bias = n.weights.count("bias") ? &n.weights["bias"] : nullptr;
    const int outs = filter.dims[0];
    const int k_in = static_cast<int>(filter.element_count() / outs);
    const int dim = k_in + (bias ? 1 : 0);
    std::vector<double> gram(static_cast<std::size_t>(dim) * dim, 0.0);
    std::vector<double> cross(static_cast<std::size_t>(dim) * outs, 0.0);
    nn::ValueTap student(pruned, input_shape, backend);
    std::vector<double> row;
    for (std::size_t s = 0; s < inputs.size(); ++s) {
      student.run(inputs[s]);
      const nn::Tensor& x = student.value(n.inputs[0]);
      const nn::Shape& ys = student.shape(n.output);
      const std::vector<int> pixels = sampled_pixels(ys.h * ys.w, kPixelsPerInput, k, s);
      for (std::size_t r = 0; r < pixels.size(); ++r) {
        patch_row(x, student.planned(k), ys.w, pixels[r], row);
        if (bias) row.push_back(1.0);
        const float* t = targets[k][s].data() + r * outs;
        for (int i = 0; i < dim; ++i) {
          if (row[i] == 0.0) continue;
          for (int j = 0; j <= i; ++j) gram[i * dim + j] += row[i] * row[j];
          for (int o = 0; o < outs; ++o) cross[i * outs + o] += row[i] * t[o];
        }
      }
    }
    double trace = 0;
    for (int i = 0; i < dim; ++i) {
      for (int j = 0; j < i; ++j) gram[j * dim + i] = gram[i * dim + j];
      trace += gram[i * dim + i];
    }
    const double lambda = 1e-3 * trace / dim + 1e-12;
    // Ridge towards the sliced weights: (G + lambda I) W = X^T T + lambda W0.
    for (int o = 0; o < outs; ++o) {
      for (int i = 0; i < k_in; ++i) cross[i * outs + o] += lambda * filter.data[o * k_in + i];
      if (bias) cross[k_in * outs + o] += lambda * bias->data[o];
    }
    solve_ridge(gram, cross, dim, outs, lambda);
    for (int o = 0; o < outs; ++o) {
      for (int i = 0; i < k_in; ++i) {
        filter.data[o * k_in + i] = static_cast<float>(cross[i * outs + o]);
      }
      if (bias) bias->data[o] = static_cast<float>(cross[k_in * outs + o]);
    }
  }
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
  nn::ValueTap tap(g, input_shape, options.backend);
  std::vector<std::vector<double>> sum_squares(values);
  std::vector<double> pixels(values, 0.0);
  for (const nn::Tensor& x : inputs) {
    tap.run(x);
    for (const Node& n : g.nodes) {
      const nn::Tensor& y = tap.value(n.output);
      const int c = channels_of(n.output);
      std::vector<double>& sq = sum_squares[n.output];
      sq.resize(c, 0.0);
      for (std::size_t i = 0; i < y.size(); ++i) sq[i % c] += static_cast<double>(y[i]) * y[i];
      pixels[n.output] += static_cast<double>(y.size() / c);
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
  if (options.reconstruct_inputs > 0) {
    std::vector<std::vector<int>> out_keep(g.nodes.size());
    for (std::size_t k = 0; k < g.nodes.size(); ++k) out_keep[k] = kept_of(g.nodes[k].output);
    const std::size_t used = std::min<std::size_t>(inputs.size(), options.reconstruct_inputs);
    std::vector<nn::Tensor> chosen;
    for (std::size_t i = 0; i < used; ++i) chosen.push_back(inputs[i * inputs.size() / used]);
    reconstruct(g, pruned, out_keep, input_shape, chosen, options.backend);
  }
  out.model.metadata = model.metadata;
  out.model.graph = std::move(pruned);
  nn::make_plan(out.model.graph, input_shape);  // every slice fits: fails loudly if not
  out.multiply_adds_before = nn::count_multiply_adds(model);
  out.multiply_adds_after = nn::count_multiply_adds(out.model);
  return out;
}

}  // namespace fu::train
