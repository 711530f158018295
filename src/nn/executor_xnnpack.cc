// The XNNPACK backend: a plan becomes a few XNNPACK runtimes. Nodes XNNPACK 2022-02 lacks, or
// computes with other semantics, run as plain C++ between them. The plan is cut, in execution
// order, into maximal runs of supported nodes ("segments"); each segment gets its own runtime
// whose external values are exactly the values that cross its boundary. Those values get one
// executor-owned buffer each, so every pointer is known at creation and run() only invokes.
#include <xnnpack.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "nn/executor.h"
#include "nn/ops/op.h"
#include "nn/xnnpack_handles.h"

namespace fu::nn {

namespace {

// A planned node as this backend computes it. Folding a scale_bias into the convolution before
// it changes that node's output, clamp and weights, so those live here rather than in the plan.
struct LoweredNode {
  const PlannedNode* planned = nullptr;
  std::vector<int> inputs;
  int output = -1;
  Activation activation;
  const float* filter = nullptr;  // conv, depthwise, fc: filter; scale_bias: scale; prelu: slope
  const float* bias = nullptr;    // never null for nodes that take one (zeros when absent)

  OpType op() const { return planned->op; }
  const std::string& name() const { return planned->node->name; }
};

// "node 'conv_3'": with the op name as the value, error messages read
// "cannot define XNNPACK node 'conv_3' (conv2d): ...".
std::string node_label(const LoweredNode& node) { return "node '" + node.name() + "'"; }

bool is_unbounded(const Activation& a) { return std::isinf(a.min) && std::isinf(a.max); }

// XNNPACK rejects 1x1 pooling windows, and releases after 2022-02 also average pooling whose
// stride exceeds the window. Its average pooling with padding divides by the count of
// non-padded pixels, as ours does (tested).
bool runs_in_xnnpack(const LoweredNode& node) {
  if (node.planned->quantized) {
    // XNNPACK 2022-02 has int8 convolution with per-channel filters (qc8), add, max pooling,
    // global average pooling, constant pad and the float conversions; its int8 average pooling is
    // uint8 only, and a lone reshape is a memcpy either way.
    switch (node.op()) {
      case OpType::kQuantize:
      case OpType::kDequantize:
      case OpType::kConv2d:
      case OpType::kDepthwiseConv2d:
      case OpType::kFullyConnected:
      case OpType::kAdd:
      case OpType::kGlobalAvgPool:
      case OpType::kPRelu:  // as convert, float prelu, convert (XNNPACK has no int8 prelu)
      case OpType::kPad:    // constant pad of int8 values, filled with the quantised value
        return true;
      case OpType::kMaxPool2d:
        return node.planned->pool.window.kernel_h * node.planned->pool.window.kernel_w > 1;
      default:
        return false;
    }
  }
  switch (node.op()) {
    case OpType::kConcat:
    case OpType::kL2Normalize:
    case OpType::kBatchNorm:
    case OpType::kDropout:
      return false;
    case OpType::kMaxPool2d:
    case OpType::kAvgPool2d: {
      const Window2d& w = node.planned->pool.window;
      if (w.kernel_h * w.kernel_w == 1) return false;
      if (node.op() == OpType::kAvgPool2d) {
        return w.stride_h <= w.kernel_h && w.stride_w <= w.kernel_w;
      }
      return true;
    }
    default:
      return true;
  }
}

std::vector<std::size_t> dims_of(const Shape& s) {
  return {static_cast<std::size_t>(s.n), static_cast<std::size_t>(s.h),
          static_cast<std::size_t>(s.w), static_cast<std::size_t>(s.c)};
}

// An int8 conv2d, depthwise_conv2d or fully_connected node. XNNPACK 2022-02 has per-channel int8
// filters (qc8) only for convolutions, so a fully connected node over an [N, h, w, c] input is
// the VALID h x w convolution it equals (its [out, h * w * c] filter is the [out, h, w, c] one).
template <typename DefineWeights>
xnn_status define_qs8_convolution(xnn_subgraph_t subgraph, const LoweredNode& node,
                                  DefineWeights& define_weights, uint32_t x, uint32_t y,
                                  const Shape& in) {
  const PlannedNode& p = *node.planned;
  const float lo = node.activation.min;
  const float hi = node.activation.max;
  uint32_t filter = XNN_INVALID_VALUE_ID;
  uint32_t bias = XNN_INVALID_VALUE_ID;
  auto z = [](int v) { return static_cast<std::size_t>(v); };
  switch (node.op()) {
    case OpType::kConv2d: {
      const Window2d& w = p.conv.window;
      define_weights(node,
                     {z(p.conv.out_channels), z(w.kernel_h), z(w.kernel_w), z(p.conv.in_channels)},
                     0, &filter, &bias);
      return xnn_define_convolution_2d(
          subgraph, w.padding.top, w.padding.right, w.padding.bottom, w.padding.left, w.kernel_h,
          w.kernel_w, w.stride_h, w.stride_w, w.dilation_h, w.dilation_w, 1, p.conv.in_channels,
          p.conv.out_channels, lo, hi, x, filter, bias, y, 0);
    }
    case OpType::kDepthwiseConv2d: {
      const Window2d& w = p.depthwise.window;
      define_weights(node, {1, z(w.kernel_h), z(w.kernel_w), z(p.depthwise.channels)}, 3, &filter,
                     &bias);
      return xnn_define_depthwise_convolution_2d(
          subgraph, w.padding.top, w.padding.right, w.padding.bottom, w.padding.left, w.kernel_h,
          w.kernel_w, w.stride_h, w.stride_w, w.dilation_h, w.dilation_w, 1, p.depthwise.channels,
          lo, hi, x, filter, bias, y, 0);
    }
    case OpType::kFullyConnected: {
      define_weights(node, {z(p.fully_connected.out_features), z(in.h), z(in.w), z(in.c)}, 0,
                     &filter, &bias);
      return xnn_define_convolution_2d(subgraph, 0, 0, 0, 0, in.h, in.w, 1, 1, 1, 1, 1, in.c,
                                       p.fully_connected.out_features, lo, hi, x, filter, bias, y,
                                       0);
    }
    default:
      return xnn_status_unsupported_parameter;
  }
}

class XnnpackExecutor : public Executor {
 public:
  XnnpackExecutor(const Plan& plan, const ExecutorOptions& options);

  void run(const Tensor& input) override;
  const std::vector<Tensor>& outputs() const override { return outputs_; }

 private:
  struct Segment {
    std::vector<const LoweredNode*> nodes;
    std::vector<int> inputs;   // values read from outside the segment
    std::vector<int> outputs;  // values read after the segment or returned
    RuntimePtr runtime;
    std::vector<xnn_external_value> externals;
    int graph_input_slot = -1;  // index into externals of the plan input, if the segment reads it
  };
  struct Step {
    Segment* segment = nullptr;
    const LoweredNode* fallback = nullptr;
  };
  struct Copy {
    const float* const* from;
    float* to;
    std::size_t count;
  };

  void lower_nodes();
  void partition();
  void allocate_buffers();
  void build_runtime(Segment& segment);
  void setup_runtime(Segment& segment);
  void run_fallback(const LoweredNode& node);

  const Plan& plan_;
  // Folded weights and zero biases the runtimes were built from; a deque keeps them in place.
  std::deque<std::vector<float>> owned_weights_;
  std::deque<std::vector<int32_t>> owned_i32_;  // int8 nodes: zero biases
  std::vector<LoweredNode> lowered_;
  // Members are destroyed in reverse order: the pool outlives the runtimes (in segments_).
  ThreadpoolPtr threadpool_;
  std::deque<Segment> segments_;
  std::vector<Step> steps_;
  std::vector<Tensor> buffers_;  // crossing values that are not outputs
  std::vector<Tensor> outputs_;
  std::vector<float*> data_;         // value id -> buffer, or the caller's input for the plan input
  std::vector<Copy> output_copies_;  // outputs that repeat another output or are the input
  const float* bound_input_ = nullptr;
};

XnnpackExecutor::XnnpackExecutor(const Plan& plan, const ExecutorOptions& options) : plan_(plan) {
  if (options.threads < 1) {
    throw Error("cannot create XNNPACK executor (threads " + std::to_string(options.threads) +
                "): at least one thread is needed");
  }
  initialize_xnnpack();
  lower_nodes();
  partition();
  allocate_buffers();
  if (options.threads > 1) {
    threadpool_.reset(pthreadpool_create(static_cast<std::size_t>(options.threads)));
    if (threadpool_ == nullptr) {
      throw Error("cannot create thread pool (" + std::to_string(options.threads) +
                  " threads): pthreadpool_create failed");
    }
  }
  for (Segment& segment : segments_) {
    build_runtime(segment);
    // Segments fed by the caller's tensor are set up on the first run, when its address is known.
    if (segment.graph_input_slot < 0) setup_runtime(segment);
  }
}

// Folds each scale_bias into the convolution or fully connected node that alone feeds it: one
// pass over memory instead of two. The rest keep the plan's weights.
void XnnpackExecutor::lower_nodes() {
  std::vector<int> uses(plan_.shapes.size(), 0);
  for (const PlannedNode& n : plan_.nodes) {
    for (int id : n.inputs) ++uses[id];
  }
  for (int id : plan_.outputs) ++uses[id];

  std::vector<int> producer(plan_.shapes.size(), -1);  // value id -> index into lowered_
  for (const PlannedNode& n : plan_.nodes) {
    LoweredNode node;
    node.planned = &n;
    node.inputs = n.inputs;
    node.output = n.output;
    node.activation = n.activation;
    switch (n.op) {
      case OpType::kConv2d:
      case OpType::kDepthwiseConv2d:
      case OpType::kFullyConnected:
      case OpType::kScaleBias:
        node.filter = n.weight_data(n.op == OpType::kScaleBias ? "scale" : "filter");
        node.bias = n.weight_data("bias");
        if (node.bias == nullptr) {
          owned_weights_.emplace_back(plan_.shapes[n.output].c, 0.0f);
          node.bias = owned_weights_.back().data();
        }
        break;
      case OpType::kPRelu:
        node.filter = n.weight_data("slope");
        break;
      default:
        break;
    }

    if (n.op == OpType::kScaleBias && producer[n.inputs[0]] >= 0 && uses[n.inputs[0]] == 1) {
      LoweredNode& prev = lowered_[producer[n.inputs[0]]];
      const OpType p = prev.op();
      if ((p == OpType::kConv2d || p == OpType::kDepthwiseConv2d || p == OpType::kFullyConnected) &&
          is_unbounded(prev.activation)) {
        const int channels = plan_.shapes[n.output].c;
        const std::size_t filter_size = prev.planned->node->weight("filter")->data.size();
        std::vector<float> filter(prev.filter, prev.filter + filter_size);
        std::vector<float> bias(channels);
        // Conv and fc filters have the output channel first, depthwise filters have it last.
        const std::size_t per_channel = filter_size / channels;
        for (std::size_t i = 0; i < filter_size; ++i) {
          const std::size_t c = p == OpType::kDepthwiseConv2d ? i % channels : i / per_channel;
          filter[i] *= node.filter[c];
        }
        for (int c = 0; c < channels; ++c) bias[c] = prev.bias[c] * node.filter[c] + node.bias[c];
        owned_weights_.push_back(std::move(filter));
        prev.filter = owned_weights_.back().data();
        owned_weights_.push_back(std::move(bias));
        prev.bias = owned_weights_.back().data();
        prev.output = n.output;
        prev.activation = n.activation;
        producer[n.output] = producer[n.inputs[0]];
        continue;
      }
    }
    producer[n.output] = static_cast<int>(lowered_.size());
    lowered_.push_back(std::move(node));
  }
}

void XnnpackExecutor::partition() {
  std::vector<std::vector<const LoweredNode*>> runs;  // maximal runs of XNNPACK nodes
  for (const LoweredNode& node : lowered_) {
    if (!runs_in_xnnpack(node)) {
      steps_.push_back(Step{nullptr, &node});
      continue;
    }
    if (steps_.empty() || steps_.back().fallback != nullptr) {
      steps_.push_back(Step{});  // the segment is created once the run is complete
      runs.emplace_back();
    }
    runs.back().push_back(&node);
  }
  std::size_t run = 0;
  for (Step& step : steps_) {
    if (step.fallback != nullptr) continue;
    std::vector<const LoweredNode*>& nodes = runs[run++];
    if (nodes.size() == 1 && nodes[0]->op() == OpType::kReshape) {
      // A reshape alone is a memcpy: cheaper as a fallback than as a runtime.
      step.fallback = nodes[0];
    } else {
      segments_.emplace_back();
      segments_.back().nodes = std::move(nodes);
      step.segment = &segments_.back();
    }
  }

  // Which step reads each value, to find the values that cross a segment boundary.
  const std::size_t value_count = plan_.shapes.size();
  std::vector<std::vector<std::size_t>> readers(value_count);
  for (std::size_t s = 0; s < steps_.size(); ++s) {
    const Step& step = steps_[s];
    auto note = [&](const LoweredNode* node) {
      for (int id : node->inputs) readers[id].push_back(s);
    };
    if (step.segment != nullptr) {
      for (const LoweredNode* node : step.segment->nodes) note(node);
    } else {
      note(step.fallback);
    }
  }
  std::vector<bool> is_output(value_count, false);
  for (int id : plan_.outputs) is_output[id] = true;

  for (std::size_t s = 0; s < steps_.size(); ++s) {
    Segment* segment = steps_[s].segment;
    if (segment == nullptr) continue;
    std::vector<bool> produced(value_count, false);
    for (const LoweredNode* node : segment->nodes) {
      for (int id : node->inputs) {
        if (!produced[id] && std::find(segment->inputs.begin(), segment->inputs.end(), id) ==
                                 segment->inputs.end()) {
          segment->inputs.push_back(id);
        }
      }
      produced[node->output] = true;
      const std::vector<std::size_t>& r = readers[node->output];
      const bool read_outside =
          std::any_of(r.begin(), r.end(), [s](std::size_t reader) { return reader != s; });
      if (read_outside || is_output[node->output]) segment->outputs.push_back(node->output);
    }
  }
}

void XnnpackExecutor::allocate_buffers() {
  const std::size_t value_count = plan_.shapes.size();
  std::vector<bool> crossing(value_count, false);
  for (const Step& step : steps_) {
    if (step.segment != nullptr) {
      for (int id : step.segment->inputs) crossing[id] = true;
      for (int id : step.segment->outputs) crossing[id] = true;
    } else {
      for (int id : step.fallback->inputs) crossing[id] = true;
      crossing[step.fallback->output] = true;
    }
  }
  crossing[plan_.input] = false;  // the caller's tensor

  data_.assign(value_count, nullptr);
  outputs_.reserve(plan_.outputs.size());
  for (int id : plan_.outputs) outputs_.emplace_back(plan_.shapes[id]);
  std::vector<bool> owned_by_output(value_count, false);
  for (std::size_t i = 0; i < plan_.outputs.size(); ++i) {
    const int id = plan_.outputs[i];
    if (id != plan_.input && !owned_by_output[id]) {
      owned_by_output[id] = true;
      data_[id] = outputs_[i].data();
    } else {
      output_copies_.push_back(Copy{&data_[id], outputs_[i].data(), outputs_[i].size()});
    }
  }
  std::size_t buffer_count = 0;
  for (std::size_t id = 0; id < value_count; ++id) {
    if (crossing[id] && !owned_by_output[id]) ++buffer_count;
  }
  buffers_.reserve(buffer_count);  // no reallocation: data_ keeps pointers into buffers_
  for (std::size_t id = 0; id < value_count; ++id) {
    if (!crossing[id] || owned_by_output[id]) continue;
    buffers_.emplace_back(plan_.shapes[id]);
    data_[id] = buffers_.back().data();
  }
}

void XnnpackExecutor::build_runtime(Segment& segment) {
  const std::string first = segment.nodes.front()->name();
  const std::string last = segment.nodes.back()->name();
  const std::string where = "segment '" + first + "'..'" + last + "'";

  const uint32_t external_count =
      static_cast<uint32_t>(segment.inputs.size() + segment.outputs.size());
  xnn_subgraph_t raw = nullptr;
  xnnpack_check(xnn_create_subgraph(external_count, 0, &raw), "create XNNPACK subgraph", where);
  SubgraphPtr subgraph(raw);

  std::vector<uint32_t> ids(plan_.shapes.size(), XNN_INVALID_VALUE_ID);
  auto define_value = [&](int value, uint32_t external_id, uint32_t flags) {
    const std::vector<std::size_t> dims = dims_of(plan_.shapes[value]);
    const std::optional<QuantParams>& q = plan_.quantization[value];
    const xnn_status status =
        q ? xnn_define_quantized_tensor_value(subgraph.get(), xnn_datatype_qint8, q->zero_point,
                                              q->scale, dims.size(), dims.data(), nullptr,
                                              external_id, flags, &ids[value])
          : xnn_define_tensor_value(subgraph.get(), xnn_datatype_fp32, dims.size(), dims.data(),
                                    nullptr, external_id, flags, &ids[value]);
    xnnpack_check(status, "define XNNPACK value",
                  "value " + std::to_string(value) + " in " + where);
  };
  // int8 filter with per-channel scales along `axis`, and its int32 bias (scale input * filter).
  auto define_qs8_weights = [&](const LoweredNode& node, std::vector<std::size_t> dims,
                                std::size_t axis, uint32_t* filter, uint32_t* bias) {
    const PlannedNode& p = *node.planned;
    const float* scales = p.weight_channel_scales("filter");
    const std::size_t channels = dims[axis];
    xnnpack_check(xnn_define_channelwise_quantized_tensor_value(
                      subgraph.get(), xnn_datatype_qcint8, scales, dims.size(), axis, dims.data(),
                      p.weight_qs8("filter"), XNN_INVALID_VALUE_ID, 0, filter),
                  "define XNNPACK weights of " + node_label(node), op_type_name(node.op()));
    owned_weights_.emplace_back(channels);
    std::vector<float>& bias_scales = owned_weights_.back();
    for (std::size_t c = 0; c < channels; ++c) bias_scales[c] = p.input_quant[0].scale * scales[c];
    const int32_t* bias_data = p.weight_i32("bias");
    if (bias_data == nullptr) {
      owned_i32_.emplace_back(channels, 0);
      bias_data = owned_i32_.back().data();
    }
    const std::size_t bias_dims[1] = {channels};
    xnnpack_check(xnn_define_channelwise_quantized_tensor_value(
                      subgraph.get(), xnn_datatype_qcint32, bias_scales.data(), 1, 0, bias_dims,
                      bias_data, XNN_INVALID_VALUE_ID, 0, bias),
                  "define XNNPACK bias of " + node_label(node), op_type_name(node.op()));
  };
  auto define_static = [&](const LoweredNode& node, std::vector<std::size_t> dims,
                           const float* data) {
    uint32_t id = XNN_INVALID_VALUE_ID;
    xnnpack_check(xnn_define_tensor_value(subgraph.get(), xnn_datatype_fp32, dims.size(),
                                          dims.data(), data, XNN_INVALID_VALUE_ID, 0, &id),
                  "define XNNPACK weights of " + node_label(node), op_type_name(node.op()));
    return id;
  };

  uint32_t next_external = 0;
  for (int id : segment.inputs) {
    if (id == plan_.input) segment.graph_input_slot = static_cast<int>(segment.externals.size());
    segment.externals.push_back(xnn_external_value{next_external, data_[id]});
    define_value(id, next_external++, XNN_VALUE_FLAG_EXTERNAL_INPUT);
  }
  for (int id : segment.outputs) {
    segment.externals.push_back(xnn_external_value{next_external, data_[id]});
    define_value(id, next_external++, XNN_VALUE_FLAG_EXTERNAL_OUTPUT);
  }

  for (const LoweredNode* node : segment.nodes) {
    const PlannedNode& p = *node->planned;
    const Shape& out = plan_.shapes[node->output];
    if (ids[node->output] == XNN_INVALID_VALUE_ID) {
      define_value(node->output, XNN_INVALID_VALUE_ID, 0);
    }
    const uint32_t x = ids[node->inputs[0]];
    const uint32_t y = ids[node->output];
    const float lo = node->activation.min;
    const float hi = node->activation.max;
    const std::size_t channels = static_cast<std::size_t>(out.c);
    xnn_status status = xnn_status_success;
    if (p.quantized && (node->op() == OpType::kConv2d || node->op() == OpType::kDepthwiseConv2d ||
                        node->op() == OpType::kFullyConnected)) {
      status = define_qs8_convolution(subgraph.get(), *node, define_qs8_weights, x, y,
                                      plan_.shapes[node->inputs[0]]);
      xnnpack_check(status, "define XNNPACK " + node_label(*node), op_type_name(node->op()));
      continue;
    }
    if (p.quantized && node->op() == OpType::kPRelu) {
      // Within one step of the int8 reference (one rounding either way).
      const std::vector<std::size_t> dims = dims_of(out);
      uint32_t wide_in = XNN_INVALID_VALUE_ID;
      uint32_t wide_out = XNN_INVALID_VALUE_ID;
      for (uint32_t* id : {&wide_in, &wide_out}) {
        xnnpack_check(xnn_define_tensor_value(subgraph.get(), xnn_datatype_fp32, dims.size(),
                                              dims.data(), nullptr, XNN_INVALID_VALUE_ID, 0, id),
                      "define XNNPACK value", node_label(*node));
      }
      const uint32_t slope = define_static(*node, {channels}, p.weight_data("slope"));
      status = xnn_define_convert(subgraph.get(), x, wide_in, 0);
      if (status == xnn_status_success) {
        status = xnn_define_prelu(subgraph.get(), wide_in, slope, wide_out, 0);
      }
      if (status == xnn_status_success) status = xnn_define_convert(subgraph.get(), wide_out, y, 0);
      xnnpack_check(status, "define XNNPACK " + node_label(*node), op_type_name(node->op()));
      continue;
    }
    switch (node->op()) {
      case OpType::kConv2d: {
        const Window2d& w = p.conv.window;
        const uint32_t filter = define_static(
            *node,
            {channels, static_cast<std::size_t>(w.kernel_h), static_cast<std::size_t>(w.kernel_w),
             static_cast<std::size_t>(p.conv.in_channels)},
            node->filter);
        const uint32_t bias = define_static(*node, {channels}, node->bias);
        status = xnn_define_convolution_2d(
            subgraph.get(), w.padding.top, w.padding.right, w.padding.bottom, w.padding.left,
            w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, w.dilation_h, w.dilation_w, 1,
            p.conv.in_channels, p.conv.out_channels, lo, hi, x, filter, bias, y, 0);
        break;
      }
      case OpType::kDepthwiseConv2d:
      case OpType::kScaleBias: {
        // A scale_bias is a 1x1 depthwise convolution: XNNPACK runs it as one fused
        // multiply-add pass per channel.
        const bool scale = node->op() == OpType::kScaleBias;
        const Window2d w = scale ? Window2d{} : p.depthwise.window;
        const uint32_t filter = define_static(*node,
                                              {1, static_cast<std::size_t>(w.kernel_h),
                                               static_cast<std::size_t>(w.kernel_w), channels},
                                              node->filter);
        const uint32_t bias = define_static(*node, {channels}, node->bias);
        status = xnn_define_depthwise_convolution_2d(
            subgraph.get(), w.padding.top, w.padding.right, w.padding.bottom, w.padding.left,
            w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, w.dilation_h, w.dilation_w, 1, channels,
            lo, hi, x, filter, bias, y, 0);
        break;
      }
      case OpType::kFullyConnected: {
        const uint32_t filter = define_static(
            *node, {channels, static_cast<std::size_t>(p.fully_connected.in_features)},
            node->filter);
        const uint32_t bias = define_static(*node, {channels}, node->bias);
        // The flag flattens each batch item of the NHWC input, as our fully connected does.
        status = xnn_define_fully_connected(subgraph.get(), lo, hi, x, filter, bias, y,
                                            XNN_FLAG_TENSORFLOW_RESHAPE_2D);
        break;
      }
      case OpType::kRelu:
      case OpType::kRelu6:
        status = xnn_define_clamp(subgraph.get(), lo, hi, x, y, 0);
        break;
      case OpType::kPRelu: {
        const uint32_t slope = define_static(*node, {channels}, node->filter);
        status = xnn_define_prelu(subgraph.get(), x, slope, y, 0);
        break;
      }
      case OpType::kAdd:
        status = xnn_define_add2(subgraph.get(), lo, hi, x, ids[node->inputs[1]], y, 0);
        break;
      case OpType::kMaxPool2d:
      case OpType::kAvgPool2d: {
        const Window2d& w = p.pool.window;
        if (node->op() == OpType::kMaxPool2d) {
          status = xnn_define_max_pooling_2d(
              subgraph.get(), w.padding.top, w.padding.right, w.padding.bottom, w.padding.left,
              w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, 1, 1, -INFINITY, INFINITY, x, y, 0);
        } else {
          status = xnn_define_average_pooling_2d(
              subgraph.get(), w.padding.top, w.padding.right, w.padding.bottom, w.padding.left,
              w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, -INFINITY, INFINITY, x, y, 0);
        }
        break;
      }
      case OpType::kGlobalAvgPool:
        status = xnn_define_global_average_pooling_2d(subgraph.get(), -INFINITY, INFINITY, x, y, 0);
        break;
      case OpType::kPad: {
        const PadParams& pad = p.pad;
        const std::size_t before[4] = {0, static_cast<std::size_t>(pad.spatial.top),
                                       static_cast<std::size_t>(pad.spatial.left),
                                       static_cast<std::size_t>(pad.channels_before)};
        const std::size_t after[4] = {0, static_cast<std::size_t>(pad.spatial.bottom),
                                      static_cast<std::size_t>(pad.spatial.right),
                                      static_cast<std::size_t>(pad.channels_after)};
        status = xnn_define_static_constant_pad(subgraph.get(), before, after, pad.value, x, y, 0);
        break;
      }
      case OpType::kReshape: {
        const std::vector<std::size_t> dims = dims_of(out);
        status = xnn_define_static_reshape(subgraph.get(), dims.size(), dims.data(), x, y, 0);
        break;
      }
      case OpType::kConcat:
      case OpType::kL2Normalize:
      case OpType::kBatchNorm:
      case OpType::kDropout:
        status = xnn_status_unsupported_parameter;  // runs_in_xnnpack keeps these out
        break;
      case OpType::kQuantize:
      case OpType::kDequantize:
        status = xnn_define_convert(subgraph.get(), x, y, 0);
        break;
    }
    xnnpack_check(status, "define XNNPACK " + node_label(*node), op_type_name(node->op()));
  }

  xnn_runtime_t runtime = nullptr;
  xnnpack_check(xnn_create_runtime_v2(subgraph.get(), threadpool_.get(), 0, &runtime),
                "create XNNPACK runtime", where);
  segment.runtime.reset(runtime);
}

void XnnpackExecutor::setup_runtime(Segment& segment) {
  xnnpack_check(
      xnn_setup_runtime(segment.runtime.get(), segment.externals.size(), segment.externals.data()),
      "set up XNNPACK runtime",
      "segment '" + segment.nodes.front()->name() + "'..'" + segment.nodes.back()->name() + "'");
}

void XnnpackExecutor::run(const Tensor& input) {
  // XNNPACK only reads external inputs; the const_cast is for its untyped pointer table.
  float* in = const_cast<float*>(input.data());
  data_[plan_.input] = in;
  if (in != bound_input_) {
    // Re-binding recomputes indirection buffers, so it happens only when the address changes.
    for (Segment& segment : segments_) {
      if (segment.graph_input_slot < 0) continue;
      segment.externals[segment.graph_input_slot].data = in;
      setup_runtime(segment);
    }
    bound_input_ = in;
  }
  for (const Step& step : steps_) {
    if (step.segment != nullptr) {
      const xnn_status status = xnn_invoke_runtime(step.segment->runtime.get());
      if (status != xnn_status_success) {
        xnnpack_check(status, "run XNNPACK runtime",
                      "segment '" + step.segment->nodes.front()->name() + "'");
      }
    } else {
      run_fallback(*step.fallback);
    }
  }
  for (const Copy& copy : output_copies_) {
    std::memcpy(copy.to, *copy.from, copy.count * sizeof(float));
  }
}

// What XNNPACK does not run goes through the op's reference forward (nn/ops/).
void XnnpackExecutor::run_fallback(const LoweredNode& node) {
  std::vector<const float*> inputs;
  std::vector<Shape> shapes;
  for (int id : node.inputs) {
    inputs.push_back(data_[id]);
    shapes.push_back(plan_.shapes[id]);
  }
  if (node.planned->quantized) {
    // Value buffers hold size() floats, room for the same count of int8 values.
    const std::vector<const void*> raw(inputs.begin(), inputs.end());
    op_def(node.op()).forward_qs8(
        {*node.planned, raw, shapes, plan_.shapes[node.output], data_[node.output]});
    return;
  }
  op_def(node.op()).forward(
      {*node.planned, inputs, shapes, plan_.shapes[node.output], data_[node.output]});
}

}  // namespace

std::unique_ptr<Executor> create_xnnpack_executor(const Plan& plan,
                                                  const ExecutorOptions& options) {
  return std::make_unique<XnnpackExecutor>(plan, options);
}

}  // namespace fu::nn
