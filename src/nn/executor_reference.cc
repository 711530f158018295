// The reference backend: every node through the plain reference operators.
#include <algorithm>

#include "nn/node_interpreter.h"
#include "nn/reference/reference.h"

namespace fu::nn {

namespace {

class ReferenceExecutor : public NodeInterpreter {
 public:
  using NodeInterpreter::NodeInterpreter;

 protected:
  void run_node(std::size_t index, const std::vector<const float*>& in, float* out) override {
    const PlannedNode& n = plan().nodes[index];
    const Shape& is = plan().shapes[n.inputs[0]];
    const Shape& os = plan().shapes[n.output];
    const int pixels = is.n * is.h * is.w;
    switch (n.op) {
      case OpType::kConv2d:
        reference::conv2d(n.conv, n.weight_data("filter"), n.weight_data("bias"), n.activation,
                          in[0], is.n, is.h, is.w, out);
        break;
      case OpType::kDepthwiseConv2d:
        reference::depthwise_conv2d(n.depthwise, n.weight_data("filter"), n.weight_data("bias"),
                                    n.activation, in[0], is.n, is.h, is.w, out);
        break;
      case OpType::kFullyConnected:
        reference::fully_connected(n.fully_connected, n.weight_data("filter"),
                                   n.weight_data("bias"), n.activation, in[0], is.n, out);
        break;
      case OpType::kScaleBias:
        reference::scale_bias(n.activation, n.weight_data("scale"), n.weight_data("bias"), in[0],
                              pixels, is.c, out);
        break;
      case OpType::kRelu:
      case OpType::kRelu6:
        reference::clamp(n.activation, in[0], is.size(), out);
        break;
      case OpType::kPRelu:
        reference::prelu(n.weight_data("slope"), in[0], pixels, is.c, out);
        break;
      case OpType::kAdd:
        reference::add(n.activation, in[0], in[1], is.size(), out);
        break;
      case OpType::kMaxPool2d:
        reference::max_pool2d(n.pool, in[0], is.n, is.h, is.w, is.c, out);
        break;
      case OpType::kAvgPool2d:
        reference::avg_pool2d(n.pool, in[0], is.n, is.h, is.w, is.c, out);
        break;
      case OpType::kGlobalAvgPool:
        reference::global_avg_pool(in[0], is.n, is.h, is.w, is.c, out);
        break;
      case OpType::kPad:
        reference::pad(n.pad, in[0], is.n, is.h, is.w, is.c, out);
        break;
      case OpType::kConcat: {
        std::vector<int> channels;
        for (int id : n.inputs) channels.push_back(plan().shapes[id].c);
        reference::concat_channels(static_cast<int>(in.size()), in.data(), channels.data(), pixels,
                                   out);
        break;
      }
      case OpType::kReshape:
        std::copy(in[0], in[0] + os.size(), out);
        break;
      case OpType::kL2Normalize:
        reference::l2_normalize(n.epsilon, in[0], pixels, is.c, out);
        break;
    }
  }
};

}  // namespace

std::unique_ptr<Executor> create_reference_executor(const Plan& plan) {
  return std::make_unique<ReferenceExecutor>(plan);
}

}  // namespace fu::nn
