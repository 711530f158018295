#include "nn/ops/op_support.h"

#include <algorithm>
#include <limits>

#include "base/error.h"

namespace fu::nn::ops {

void fail(const Node& node, const std::string& reason) {
  throw Error("cannot plan node '" + node.name + "' (" + op_type_name(node.op) + "): " + reason);
}

std::string dims_str(const std::vector<int>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

PlannedNode planned(const Node& node) {
  PlannedNode p;
  p.node = &node;
  p.op = node.op;
  p.inputs = node.inputs;
  p.output = node.output;
  return p;
}

void expect_inputs(const Node& node, const std::vector<Shape>& inputs, std::size_t count) {
  if (inputs.size() != count) {
    fail(node,
         "takes " + std::to_string(count) + " input(s), has " + std::to_string(inputs.size()));
  }
}

const Weight& require_weight(const Node& node, const char* role, const std::vector<int>& dims) {
  const Weight* w = node.weight(role);
  if (w == nullptr) fail(node, std::string("missing weight '") + role + "'");
  if (w->dims != dims) {
    fail(node, std::string("weight '") + role + "' has shape " + dims_str(w->dims) + ", expected " +
                   dims_str(dims));
  }
  if (w->stored_count() != w->element_count()) {
    fail(node, std::string("weight '") + role + "' holds " + std::to_string(w->stored_count()) +
                   " values for shape " + dims_str(w->dims));
  }
  return *w;
}

void optional_weight(const Node& node, const char* role, const std::vector<int>& dims) {
  if (node.weight(role) != nullptr) require_weight(node, role, dims);
}

std::vector<int> filter_dims(const Node& node) {
  const Weight* w = node.weight("filter");
  if (w == nullptr) fail(node, "missing weight 'filter'");
  if (w->dims.size() != 4 && node.op != OpType::kFullyConnected) {
    fail(node, "weight 'filter' must have rank 4, has shape " + dims_str(w->dims));
  }
  for (int d : w->dims) {
    if (d <= 0 || d > kMaxDim) fail(node, "weight 'filter' has bad shape " + dims_str(w->dims));
  }
  return w->dims;
}

Window2d read_window(const Node& node, const Shape& in, int kernel_h, int kernel_w) {
  const Attributes& a = node.attributes;
  Window2d win;
  win.kernel_h = kernel_h;
  win.kernel_w = kernel_w;
  win.stride_h = a.get_int("stride_h", 1, 1, kMaxKernel);
  win.stride_w = a.get_int("stride_w", 1, 1, kMaxKernel);
  win.dilation_h = a.get_int("dilation_h", 1, 1, kMaxKernel);
  win.dilation_w = a.get_int("dilation_w", 1, 1, kMaxKernel);
  const std::string mode = a.get_string("padding", "explicit");
  if (mode == "explicit") {
    win.padding.top = a.get_int("pad_top", 0, 0, kMaxKernel);
    win.padding.bottom = a.get_int("pad_bottom", 0, 0, kMaxKernel);
    win.padding.left = a.get_int("pad_left", 0, 0, kMaxKernel);
    win.padding.right = a.get_int("pad_right", 0, 0, kMaxKernel);
  } else if (mode == "same") {
    // TensorFlow's rule: out = ceil(in / stride), the odd pixel of padding goes after.
    auto same = [](int in_size, int kernel, int stride, int dilation, int* before, int* after) {
      const int out = (in_size + stride - 1) / stride;
      const int effective = (kernel - 1) * dilation + 1;
      const int total = std::max((out - 1) * stride + effective - in_size, 0);
      *before = total / 2;
      *after = total - total / 2;
    };
    same(in.h, kernel_h, win.stride_h, win.dilation_h, &win.padding.top, &win.padding.bottom);
    same(in.w, kernel_w, win.stride_w, win.dilation_w, &win.padding.left, &win.padding.right);
  } else if (mode != "valid") {
    fail(node, "unknown padding '" + mode + "' (expected explicit, same or valid)");
  }
  return win;
}

Shape window_output(const Node& node, const Shape& in, const Window2d& w, int channels) {
  const int out_h = window_output_size(in.h, w.padding.top, w.padding.bottom, w.kernel_h,
                                       w.stride_h, w.dilation_h);
  const int out_w = window_output_size(in.w, w.padding.left, w.padding.right, w.kernel_w,
                                       w.stride_w, w.dilation_w);
  if (out_h <= 0 || out_w <= 0) {
    fail(node, "window " + std::to_string(w.kernel_h) + "x" + std::to_string(w.kernel_w) +
                   " does not fit input " + in.str());
  }
  return Shape{in.n, out_h, out_w, channels};
}

Activation read_activation(const Node& node) {
  Activation act;
  act.min = node.attributes.get_float("output_min", act.min);
  act.max = node.attributes.get_float("output_max", act.max);
  if (!(act.min <= act.max)) fail(node, "output_min is greater than output_max");
  return act;
}

const float* unclamped_grad(const OpBackwardArgs& args, std::vector<float>& scratch) {
  const Activation& act = args.node.activation;
  const bool has_min = act.min > -std::numeric_limits<float>::infinity();
  const bool has_max = act.max < std::numeric_limits<float>::infinity();
  if (!has_min && !has_max) return args.output_grad;
  const std::size_t count = args.output_shape.size();
  scratch.resize(count);
  // A value sitting exactly on a bound was clamped (up to a set of measure zero).
  for (std::size_t i = 0; i < count; ++i) {
    const float y = args.output[i];
    const bool passed = (!has_min || y > act.min) && (!has_max || y < act.max);
    scratch[i] = passed ? args.output_grad[i] : 0.0f;
  }
  return scratch.data();
}

float* weight_grad(const OpBackwardArgs& args, const char* role) {
  auto it = args.weight_grads.find(role);
  return it == args.weight_grads.end() ? nullptr : it->second.data();
}

}  // namespace fu::nn::ops
