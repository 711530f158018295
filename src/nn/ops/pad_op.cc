// pad: constant padding of the spatial borders and of the channels.
#include "nn/ops/op_support.h"
#include "nn/reference/qs8.h"
#include "nn/reference/reference.h"

namespace fu::nn::ops {
namespace {

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  expect_inputs(node, ins, 1);
  const Shape& in = ins[0];
  const Attributes& a = node.attributes;
  p.pad.spatial.top = a.get_int("pad_top", 0, 0, kMaxDim);
  p.pad.spatial.bottom = a.get_int("pad_bottom", 0, 0, kMaxDim);
  p.pad.spatial.left = a.get_int("pad_left", 0, 0, kMaxDim);
  p.pad.spatial.right = a.get_int("pad_right", 0, 0, kMaxDim);
  p.pad.channels_before = a.get_int("pad_channels_before", 0, 0, kMaxDim);
  p.pad.channels_after = a.get_int("pad_channels_after", 0, 0, kMaxDim);
  p.pad.value = a.get_float("value", 0.0f);
  *out = Shape{in.n, in.h + p.pad.spatial.top + p.pad.spatial.bottom,
               in.w + p.pad.spatial.left + p.pad.spatial.right,
               in.c + p.pad.channels_before + p.pad.channels_after};
  return p;
}

void forward(const OpForwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  reference::pad(a.node.pad, a.inputs[0], is.n, is.h, is.w, is.c, a.output);
}

void forward_qs8(const OpQs8ForwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  reference::qs8_pad(a.node.pad, a.node.input_quant[0], static_cast<const int8_t*>(a.inputs[0]),
                     is.n, is.h, is.w, is.c, static_cast<int8_t*>(a.output));
}

void backward(const OpBackwardArgs& a) {
  float* dx = a.input_grads[0];
  if (dx == nullptr) return;
  const PadParams& p = a.node.pad;
  const Shape& is = a.input_shapes[0];
  const Shape& os = a.output_shape;
  for (int n = 0; n < is.n; ++n) {
    for (int y = 0; y < is.h; ++y) {
      for (int x = 0; x < is.w; ++x) {
        const float* g =
            a.output_grad +
            ((static_cast<std::size_t>(n) * os.h + y + p.spatial.top) * os.w + x + p.spatial.left) *
                os.c +
            p.channels_before;
        float* d = dx + ((static_cast<std::size_t>(n) * is.h + y) * is.w + x) * is.c;
        for (int c = 0; c < is.c; ++c) d[c] += g[c];
      }
    }
  }
}

}  // namespace

extern const OpDef kPadOp = {OpType::kPad, "pad",    plan, forward,
                             nullptr,      backward, {},   forward_qs8};

}  // namespace fu::nn::ops
