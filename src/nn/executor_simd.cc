// The own-kernels backend: the one the WebAssembly build runs. Weight-carrying nodes become
// operators once (packing their weights); the rest call the SIMD functions directly. int8 nodes
// run on the qs8 operators, which are bit-exact with the int8 reference (the int8 contract).
// With threads > 1 the executor owns one pool that the convolutions split their output over;
// the split never changes a result, so every thread count computes the same bits.
#include <algorithm>
#include <memory>
#include <string>

#include "base/error.h"
#include "base/thread_pool.h"
#include "nn/node_interpreter.h"
#include "nn/operators/conv2d.h"
#include "nn/operators/depthwise_conv2d.h"
#include "nn/operators/elementwise.h"
#include "nn/operators/fully_connected.h"
#include "nn/operators/layout.h"
#include "nn/operators/pooling.h"
#include "nn/operators/qs8_conv2d.h"
#include "nn/operators/qs8_depthwise_conv2d.h"
#include "nn/operators/qs8_elementwise.h"
#include "nn/operators/qs8_fully_connected.h"
#include "nn/operators/qs8_pooling.h"
#include "nn/operators/qs8_prelu.h"
#include "nn/ops/op.h"
#include "nn/reference/qs8.h"

namespace fu::nn {

namespace {

class SimdExecutor : public NodeInterpreter {
 public:
  SimdExecutor(const Plan& plan, const ExecutorOptions& options) : NodeInterpreter(plan) {
    if (options.threads < 1) {
      throw Error("cannot create simd executor (threads " + std::to_string(options.threads) +
                  "): threads must be at least 1");
    }
    // Shared with the other networks of this thread count (ThreadPool::shared): an engine's
    // networks run one after another, and WebAssembly has only its fixed set of workers.
    if (options.threads > 1) pool_ = ThreadPool::shared(options.threads);
    const std::size_t count = plan.nodes.size();
    convs_.resize(count);
    depthwise_.resize(count);
    fully_connected_.resize(count);
    qs8_convs_.resize(count);
    qs8_depthwise_.resize(count);
    qs8_fully_connected_.resize(count);
    qs8_prelus_.resize(count);
    concat_channels_.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
      const PlannedNode& n = plan.nodes[i];
      if (n.quantized) {
        create_qs8_operator(i, n);
        continue;
      }
      if (n.op == OpType::kConv2d) {
        convs_[i] = std::make_unique<Conv2dOperator>(n.conv, n.weight_data("filter"),
                                                     n.weight_data("bias"), n.activation);
      } else if (n.op == OpType::kDepthwiseConv2d) {
        depthwise_[i] = std::make_unique<DepthwiseConv2dOperator>(
            n.depthwise, n.weight_data("filter"), n.weight_data("bias"), n.activation);
      } else if (n.op == OpType::kFullyConnected) {
        fully_connected_[i] = std::make_unique<FullyConnectedOperator>(
            n.fully_connected, n.weight_data("filter"), n.weight_data("bias"), n.activation);
      } else if (n.op == OpType::kConcat) {
        for (int id : n.inputs) concat_channels_[i].push_back(plan.shapes[id].c);
      }
    }
  }

 protected:
  void run_node(std::size_t index, const std::vector<const void*>& raw_in, void* raw_out) override {
    const PlannedNode& n = plan().nodes[index];
    const Shape& is = plan().shapes[n.inputs[0]];
    if (n.quantized) {
      run_qs8_node(index, n, raw_in, raw_out);
      return;
    }
    std::vector<const float*>& in = float_inputs_;
    in.clear();
    for (const void* p : raw_in) in.push_back(static_cast<const float*>(p));
    float* out = static_cast<float*>(raw_out);
    const int pixels = is.n * is.h * is.w;
    switch (n.op) {
      case OpType::kConv2d:
        convs_[index]->run(in[0], is.n, is.h, is.w, out, pool_.get());
        break;
      case OpType::kDepthwiseConv2d:
        depthwise_[index]->run(in[0], is.n, is.h, is.w, out, pool_.get());
        break;
      case OpType::kFullyConnected:
        fully_connected_[index]->run(in[0], is.n, out);
        break;
      case OpType::kScaleBias:
        scale_bias(n.activation, n.weight_data("scale"), n.weight_data("bias"), in[0], pixels, is.c,
                   out);
        break;
      case OpType::kRelu:
      case OpType::kRelu6:
        clamp(n.activation, in[0], is.size(), out);
        break;
      case OpType::kPRelu:
        prelu(n.weight_data("slope"), in[0], pixels, is.c, out);
        break;
      case OpType::kAdd:
        add(n.activation, in[0], in[1], is.size(), out);
        break;
      case OpType::kMaxPool2d:
        max_pool2d(n.pool, in[0], is.n, is.h, is.w, is.c, out);
        break;
      case OpType::kAvgPool2d:
        avg_pool2d(n.pool, in[0], is.n, is.h, is.w, is.c, out);
        break;
      case OpType::kGlobalAvgPool:
        global_avg_pool(in[0], is.n, is.h, is.w, is.c, out);
        break;
      case OpType::kPad:
        pad(n.pad, in[0], is.n, is.h, is.w, is.c, out);
        break;
      case OpType::kConcat:
        concat_channels(static_cast<int>(in.size()), in.data(), concat_channels_[index].data(),
                        pixels, out);
        break;
      case OpType::kReshape:
        std::copy(in[0], in[0] + is.size(), out);
        break;
      case OpType::kL2Normalize:
        l2_normalize(n.epsilon, in[0], pixels, is.c, out);
        break;
      case OpType::kQuantize:
      case OpType::kDequantize:
        break;  // quantized nodes, run above
      case OpType::kBatchNorm:
      case OpType::kDropout: {
        // Training ops, folded away before shipping (nn/graph_passes.h); their reference forward
        // keeps an unfolded checkpoint runnable here too.
        std::vector<Shape> shapes;
        for (int id : n.inputs) shapes.push_back(plan().shapes[id]);
        op_def(n.op).forward({n, in, shapes, plan().shapes[n.output], out});
        break;
      }
    }
  }

 private:
  void create_qs8_operator(std::size_t i, const PlannedNode& n) {
    const char* f = "filter";
    if (n.op == OpType::kConv2d) {
      qs8_convs_[i] = std::make_unique<Qs8Conv2dOperator>(
          n.conv, n.weight_qs8(f), n.weight_channel_scales(f), n.weight_i32("bias"),
          n.input_quant[0], n.output_quant, n.output_qmin, n.output_qmax);
    } else if (n.op == OpType::kDepthwiseConv2d) {
      qs8_depthwise_[i] = std::make_unique<Qs8DepthwiseConv2dOperator>(
          n.depthwise, n.weight_qs8(f), n.weight_channel_scales(f), n.weight_i32("bias"),
          n.input_quant[0], n.output_quant, n.output_qmin, n.output_qmax);
    } else if (n.op == OpType::kFullyConnected) {
      qs8_fully_connected_[i] = std::make_unique<Qs8FullyConnectedOperator>(
          n.fully_connected, n.weight_qs8(f), n.weight_channel_scales(f), n.weight_i32("bias"),
          n.input_quant[0], n.output_quant, n.output_qmin, n.output_qmax);
    } else if (n.op == OpType::kPRelu) {
      qs8_prelus_[i] = std::make_unique<Qs8PReluOperator>(
          n.weight_data("slope"), plan().shapes[n.inputs[0]].c, n.input_quant[0], n.output_quant,
          n.output_qmin, n.output_qmax);
    }
  }

  void run_qs8_node(std::size_t index, const PlannedNode& n, const std::vector<const void*>& raw,
                    void* raw_out) {
    const Shape& is = plan().shapes[n.inputs[0]];
    const auto* in = static_cast<const int8_t*>(raw[0]);
    auto* out = static_cast<int8_t*>(raw_out);
    switch (n.op) {
      case OpType::kQuantize:
        qs8_quantize(n.output_quant, static_cast<const float*>(raw[0]), is.size(), out);
        return;
      case OpType::kDequantize:
        reference::dequantize(n.input_quant[0], in, is.size(), static_cast<float*>(raw_out));
        return;
      case OpType::kConv2d:
        qs8_convs_[index]->run(in, is.n, is.h, is.w, out, pool_.get());
        return;
      case OpType::kDepthwiseConv2d:
        qs8_depthwise_[index]->run(in, is.n, is.h, is.w, out, pool_.get());
        return;
      case OpType::kFullyConnected:
        qs8_fully_connected_[index]->run(in, is.n, out);
        return;
      case OpType::kAdd:
        qs8_add(n.input_quant[0], n.input_quant[1], n.output_quant, n.output_qmin, n.output_qmax,
                in, static_cast<const int8_t*>(raw[1]), is.size(), out);
        return;
      case OpType::kPRelu:
        qs8_prelus_[index]->run(in, is.n * is.h * is.w, out);
        return;
      case OpType::kPad:
        qs8_pad(n.pad, n.input_quant[0], in, is.n, is.h, is.w, is.c, out);
        return;
      case OpType::kMaxPool2d:
        qs8_max_pool2d(n.pool, in, is.n, is.h, is.w, is.c, n.input_quant[0], n.output_qmin,
                       n.output_qmax, out);
        return;
      case OpType::kAvgPool2d:
        qs8_avg_pool2d(n.pool, in, is.n, is.h, is.w, is.c, n.input_quant[0], n.output_quant,
                       n.output_qmin, n.output_qmax, out);
        return;
      case OpType::kGlobalAvgPool:
        qs8_global_avg_pool(in, is.n, is.h, is.w, is.c, n.input_quant[0], n.output_quant,
                            n.output_qmin, n.output_qmax, out);
        return;
      default: {
        // reshape, and any int8 op without an own operator: the int8 reference.
        std::vector<Shape> shapes;
        for (int id : n.inputs) shapes.push_back(plan().shapes[id]);
        op_def(n.op).forward_qs8({n, raw, shapes, plan().shapes[n.output], raw_out});
      }
    }
  }

  std::vector<std::unique_ptr<Qs8Conv2dOperator>> qs8_convs_;
  std::vector<std::unique_ptr<Qs8DepthwiseConv2dOperator>> qs8_depthwise_;
  std::vector<std::unique_ptr<Qs8FullyConnectedOperator>> qs8_fully_connected_;
  std::vector<std::unique_ptr<Qs8PReluOperator>> qs8_prelus_;
  std::vector<std::unique_ptr<Conv2dOperator>> convs_;
  std::vector<std::unique_ptr<DepthwiseConv2dOperator>> depthwise_;
  std::vector<std::unique_ptr<FullyConnectedOperator>> fully_connected_;
  std::vector<std::vector<int>> concat_channels_;  // per concat node: its inputs' channels
  std::vector<const float*> float_inputs_;
  std::shared_ptr<ThreadPool> pool_;  // null with one thread
};

}  // namespace

std::unique_ptr<Executor> create_simd_executor(const Plan& plan, const ExecutorOptions& options) {
  return std::make_unique<SimdExecutor>(plan, options);
}

}  // namespace fu::nn
