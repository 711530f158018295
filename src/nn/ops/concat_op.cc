// concat: along channels, inputs of equal batch, height and width.
#include "nn/ops/op_support.h"
#include "nn/reference/reference.h"

namespace fu::nn::ops {
namespace {

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  if (ins.size() < 2) fail(node, "concatenates at least two inputs");
  *out = ins[0];
  out->c = 0;
  for (const Shape& s : ins) {
    if (s.n != ins[0].n || s.h != ins[0].h || s.w != ins[0].w) {
      fail(node, "cannot concatenate " + s.str() + " with " + ins[0].str() + " along channels");
    }
    out->c += s.c;
  }
  return p;
}

void forward(const OpForwardArgs& a) {
  std::vector<int> channels;
  for (const Shape& s : a.input_shapes) channels.push_back(s.c);
  reference::concat_channels(static_cast<int>(a.inputs.size()), a.inputs.data(), channels.data(),
                             static_cast<int>(pixels_of(a.output_shape)), a.output);
}

void backward(const OpBackwardArgs& a) {
  const std::size_t pixels = pixels_of(a.output_shape);
  const int total = a.output_shape.c;
  int offset = 0;
  for (std::size_t i = 0; i < a.input_grads.size(); ++i) {
    const int ch = a.input_shapes[i].c;
    if (float* dx = a.input_grads[i]) {
      for (std::size_t p = 0; p < pixels; ++p) {
        const float* g = a.output_grad + p * total + offset;
        for (int c = 0; c < ch; ++c) dx[p * ch + c] += g[c];
      }
    }
    offset += ch;
  }
}

}  // namespace

extern const OpDef kConcatOp = {OpType::kConcat, "concat", plan, forward, nullptr, backward, {}};

}  // namespace fu::nn::ops
