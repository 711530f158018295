// fully_connected: filter [O, I], optional bias [O], fused clamp; the input is flattened in NHWC
// order, so [N, h, w, c] is read as [N, h * w * c].
#include <algorithm>

#include "nn/ops/op_support.h"
#include "nn/ops/sgemm.h"
#include "nn/reference/qs8.h"
#include "nn/reference/reference.h"

namespace fu::nn::ops {
namespace {

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  expect_inputs(node, ins, 1);
  const Shape& in = ins[0];
  const std::vector<int> f = filter_dims(node);
  const std::size_t features = static_cast<std::size_t>(in.h) * in.w * in.c;
  if (f.size() != 2 || static_cast<std::size_t>(f[1]) != features) {
    fail(node, "filter " + dims_str(f) + " does not match input " + in.str() + " (expected [out," +
                   std::to_string(features) + "])");
  }
  p.fully_connected.in_features = f[1];
  p.fully_connected.out_features = f[0];
  require_weight(node, "filter", f);
  optional_weight(node, "bias", {f[0]});
  p.activation = read_activation(node);
  *out = Shape{in.n, 1, 1, f[0]};
  return p;
}

void forward(const OpForwardArgs& a) {
  reference::fully_connected(a.node.fully_connected, a.node.weight_data("filter"),
                             a.node.weight_data("bias"), a.node.activation, a.inputs[0],
                             a.input_shapes[0].n, a.output);
}

void forward_qs8(const OpQs8ForwardArgs& a) {
  const PlannedNode& n = a.node;
  reference::qs8_fully_connected(
      n.fully_connected, n.weight_qs8("filter"), n.weight_channel_scales("filter"),
      n.weight_i32("bias"), n.input_quant[0], n.output_quant, n.output_qmin, n.output_qmax,
      static_cast<const int8_t*>(a.inputs[0]), a.input_shapes[0].n, static_cast<int8_t*>(a.output));
}

void backward(const OpBackwardArgs& a) {
  const int in = a.node.fully_connected.in_features;
  const int out = a.node.fully_connected.out_features;
  const int batch = a.input_shapes[0].n;
  std::vector<float> masked;
  const float* dy = unclamped_grad(a, masked);
  if (float* d_filter = weight_grad(a, "filter")) {
    sgemm(true, false, out, in, batch, 1.0f, dy, out, a.inputs[0], in, 0.0f, d_filter, in);
  }
  if (float* d_bias = weight_grad(a, "bias")) {
    std::fill(d_bias, d_bias + out, 0.0f);
    for (int n = 0; n < batch; ++n) {
      for (int o = 0; o < out; ++o) d_bias[o] += dy[static_cast<std::size_t>(n) * out + o];
    }
  }
  if (float* dx = a.input_grads[0]) {
    sgemm(false, false, batch, in, out, 1.0f, dy, out, a.node.weight_data("filter"), in, 1.0f, dx,
          in);
  }
}

}  // namespace

extern const OpDef kFullyConnectedOp = {
    OpType::kFullyConnected, "fully_connected", plan, forward, nullptr, backward,
    {"filter", "bias"},      forward_qs8};

}  // namespace fu::nn::ops
