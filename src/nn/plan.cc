#include "nn/plan.h"

#include <limits>
#include <string>

#include "base/error.h"

namespace fu::nn {

namespace {

constexpr int kMaxDim = 1 << 20;
constexpr int kMaxKernel = 1024;
// 256 Mi floats (1 GiB): far above any face network, low enough that a hostile file cannot
// make the runtime allocate without bound.
constexpr std::size_t kMaxTensorElements = std::size_t{1} << 28;

[[noreturn]] void fail(const Node& node, const std::string& reason) {
  throw Error("cannot plan node '" + node.name + "' (" + op_type_name(node.op) + "): " + reason);
}

std::string dims_str(const std::vector<int>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

const Weight& require_weight(const Node& node, const char* role, const std::vector<int>& dims) {
  const Weight* w = node.weight(role);
  if (w == nullptr) fail(node, std::string("missing weight '") + role + "'");
  if (w->dims != dims) {
    fail(node, std::string("weight '") + role + "' has shape " + dims_str(w->dims) + ", expected " +
                   dims_str(dims));
  }
  if (w->data.size() != w->element_count()) {
    fail(node, std::string("weight '") + role + "' holds " + std::to_string(w->data.size()) +
                   " values for shape " + dims_str(w->dims));
  }
  return *w;
}

void optional_weight(const Node& node, const char* role, const std::vector<int>& dims) {
  if (node.weight(role) != nullptr) require_weight(node, role, dims);
}

const std::vector<int>& filter_dims(const Node& node) {
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

// Reads stride, dilation and padding attributes and resolves SAME/VALID into explicit pads.
Window2d read_window(const Node& node, const Shape& in, int kernel_h, int kernel_w,
                     int default_stride) {
  const Attributes& a = node.attributes;
  Window2d win;
  win.kernel_h = kernel_h;
  win.kernel_w = kernel_w;
  win.stride_h = a.get_int("stride_h", default_stride, 1, kMaxKernel);
  win.stride_w = a.get_int("stride_w", default_stride, 1, kMaxKernel);
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

void expect_inputs(const Node& node, const std::vector<Shape>& inputs, std::size_t count) {
  if (inputs.size() != count) {
    fail(node,
         "takes " + std::to_string(count) + " input(s), has " + std::to_string(inputs.size()));
  }
}

}  // namespace

const float* PlannedNode::weight_data(const char* role) const {
  const Weight* w = node->weight(role);
  return w == nullptr ? nullptr : w->data.data();
}

PlannedNode plan_node(const Node& node, const std::vector<Shape>& ins, Shape* output_shape) {
  PlannedNode p;
  p.node = &node;
  p.op = node.op;
  p.inputs = node.inputs;
  p.output = node.output;
  if (ins.empty()) fail(node, "has no input");
  const Shape& in = ins[0];
  Shape out = in;
  switch (node.op) {
    case OpType::kConv2d: {
      expect_inputs(node, ins, 1);
      const std::vector<int> f = filter_dims(node);
      if (f[3] != in.c) {
        fail(node,
             "filter expects " + std::to_string(f[3]) + " input channels, input is " + in.str());
      }
      p.conv.window = read_window(node, in, f[1], f[2], 1);
      p.conv.in_channels = f[3];
      p.conv.out_channels = f[0];
      require_weight(node, "filter", f);
      optional_weight(node, "bias", {f[0]});
      p.activation = read_activation(node);
      out = window_output(node, in, p.conv.window, f[0]);
      break;
    }
    case OpType::kDepthwiseConv2d: {
      expect_inputs(node, ins, 1);
      const std::vector<int> f = filter_dims(node);
      if (f[0] != 1 || f[3] != in.c) {
        fail(node, "depthwise filter " + dims_str(f) + " does not match input " + in.str() +
                       " (expected [1,kh,kw," + std::to_string(in.c) + "])");
      }
      p.depthwise.window = read_window(node, in, f[1], f[2], 1);
      p.depthwise.channels = in.c;
      require_weight(node, "filter", f);
      optional_weight(node, "bias", {in.c});
      p.activation = read_activation(node);
      out = window_output(node, in, p.depthwise.window, in.c);
      break;
    }
    case OpType::kFullyConnected: {
      expect_inputs(node, ins, 1);
      const std::vector<int> f = filter_dims(node);
      const std::size_t features = static_cast<std::size_t>(in.h) * in.w * in.c;
      if (f.size() != 2 || static_cast<std::size_t>(f[1]) != features) {
        fail(node, "filter " + dims_str(f) + " does not match input " + in.str() +
                       " (expected [out," + std::to_string(features) + "])");
      }
      p.fully_connected.in_features = f[1];
      p.fully_connected.out_features = f[0];
      require_weight(node, "filter", f);
      optional_weight(node, "bias", {f[0]});
      p.activation = read_activation(node);
      out = Shape{in.n, 1, 1, f[0]};
      break;
    }
    case OpType::kScaleBias:
      expect_inputs(node, ins, 1);
      require_weight(node, "scale", {in.c});
      require_weight(node, "bias", {in.c});
      p.activation = read_activation(node);
      break;
    case OpType::kRelu:
    case OpType::kRelu6:
      expect_inputs(node, ins, 1);
      p.activation.min = 0.0f;
      if (node.op == OpType::kRelu6) p.activation.max = 6.0f;
      break;
    case OpType::kPRelu:
      expect_inputs(node, ins, 1);
      require_weight(node, "slope", {in.c});
      break;
    case OpType::kAdd:
      expect_inputs(node, ins, 2);
      if (ins[0] != ins[1]) {
        fail(node, "adds tensors of different shapes " + ins[0].str() + " and " + ins[1].str());
      }
      p.activation = read_activation(node);
      break;
    case OpType::kMaxPool2d:
    case OpType::kAvgPool2d: {
      expect_inputs(node, ins, 1);
      const Attributes& a = node.attributes;
      const int kh = a.get_int("kernel_h", 0, 1, kMaxKernel);
      const int kw = a.get_int("kernel_w", 0, 1, kMaxKernel);
      if (kh == 0 || kw == 0) fail(node, "needs attributes kernel_h and kernel_w");
      p.pool.window = read_window(node, in, kh, kw, 1);
      if (p.pool.window.dilation_h != 1 || p.pool.window.dilation_w != 1) {
        fail(node, "pooling does not support dilation");
      }
      const Padding2d& pad = p.pool.window.padding;
      if (pad.top >= kh || pad.bottom >= kh || pad.left >= kw || pad.right >= kw) {
        fail(node, "padding must be smaller than the pooling window");
      }
      out = window_output(node, in, p.pool.window, in.c);
      break;
    }
    case OpType::kGlobalAvgPool:
      expect_inputs(node, ins, 1);
      out = Shape{in.n, 1, 1, in.c};
      break;
    case OpType::kPad: {
      expect_inputs(node, ins, 1);
      const Attributes& a = node.attributes;
      p.pad.spatial.top = a.get_int("pad_top", 0, 0, kMaxDim);
      p.pad.spatial.bottom = a.get_int("pad_bottom", 0, 0, kMaxDim);
      p.pad.spatial.left = a.get_int("pad_left", 0, 0, kMaxDim);
      p.pad.spatial.right = a.get_int("pad_right", 0, 0, kMaxDim);
      p.pad.channels_before = a.get_int("pad_channels_before", 0, 0, kMaxDim);
      p.pad.channels_after = a.get_int("pad_channels_after", 0, 0, kMaxDim);
      p.pad.value = a.get_float("value", 0.0f);
      out = Shape{in.n, in.h + p.pad.spatial.top + p.pad.spatial.bottom,
                  in.w + p.pad.spatial.left + p.pad.spatial.right,
                  in.c + p.pad.channels_before + p.pad.channels_after};
      break;
    }
    case OpType::kConcat: {
      if (ins.size() < 2) fail(node, "concatenates at least two inputs");
      out.c = 0;
      for (const Shape& s : ins) {
        if (s.n != in.n || s.h != in.h || s.w != in.w) {
          fail(node, "cannot concatenate " + s.str() + " with " + in.str() + " along channels");
        }
        out.c += s.c;
      }
      break;
    }
    case OpType::kReshape: {
      expect_inputs(node, ins, 1);
      const Attributes& a = node.attributes;
      out = Shape{in.n, a.get_int("height", 0, 1, kMaxDim), a.get_int("width", 0, 1, kMaxDim),
                  a.get_int("channels", 0, 1, kMaxDim)};
      if (out.h == 0 || out.w == 0 || out.c == 0) {
        fail(node, "needs attributes height, width and channels");
      }
      if (out.size() != in.size()) {
        fail(node, "cannot reshape " + in.str() + " to " + out.str() + ": sizes differ");
      }
      break;
    }
    case OpType::kL2Normalize:
      expect_inputs(node, ins, 1);
      p.epsilon = node.attributes.get_float("epsilon", 1e-12f);
      if (!(p.epsilon >= 0.0f)) fail(node, "epsilon must not be negative");
      break;
  }
  if (out.n <= 0 || out.h <= 0 || out.w <= 0 || out.c <= 0 || out.h > kMaxDim || out.w > kMaxDim ||
      out.c > kMaxDim || out.size() > kMaxTensorElements) {
    fail(node, "output shape " + out.str() + " is out of range");
  }
  *output_shape = out;
  return p;
}

Plan make_plan(const Graph& graph, const Shape& input_shape, const PlanOptions& options) {
  const int value_count = static_cast<int>(graph.values.size());
  auto check_value = [&](int id, const std::string& what) {
    if (id < 0 || id >= value_count) {
      throw Error("cannot plan graph (" + what + " " + std::to_string(id) +
                  "): no such value; the graph has " + std::to_string(value_count));
    }
  };
  check_value(graph.input, "input");
  if (graph.outputs.empty()) throw Error("cannot plan graph (no outputs): nothing to compute");
  if (input_shape.size() == 0 || input_shape.n <= 0 || input_shape.h <= 0 || input_shape.w <= 0 ||
      input_shape.c <= 0) {
    throw Error("cannot plan graph (input " + input_shape.str() + "): empty input shape");
  }

  Plan plan;
  plan.input = graph.input;
  plan.outputs = graph.outputs;
  plan.shapes.assign(value_count, Shape{0, 0, 0, 0});
  std::vector<bool> defined(value_count, false);
  defined[graph.input] = true;
  plan.shapes[graph.input] = input_shape;

  for (const Node& node : graph.nodes) {
    std::vector<Shape> ins;
    for (int id : node.inputs) {
      check_value(id, "input of node '" + node.name + "'");
      if (!defined[id]) {
        throw Error("cannot plan node '" + node.name + "' (input '" + graph.values[id] +
                    "'): it is used before any node computes it");
      }
      ins.push_back(plan.shapes[id]);
    }
    check_value(node.output, "output of node '" + node.name + "'");
    if (defined[node.output]) {
      throw Error("cannot plan node '" + node.name + "' (output '" + graph.values[node.output] +
                  "'): the value is already computed by another node");
    }
    Shape out;
    plan.nodes.push_back(plan_node(node, ins, &out));
    plan.shapes[node.output] = out;
    defined[node.output] = true;
  }
  for (int id : graph.outputs) {
    check_value(id, "output");
    if (!defined[id]) {
      throw Error("cannot plan graph (output '" + graph.values[id] + "'): no node computes it");
    }
  }

  if (options.fuse_activations) {
    std::vector<int> uses(value_count, 0);
    for (const PlannedNode& n : plan.nodes) {
      for (int id : n.inputs) ++uses[id];
    }
    for (int id : plan.outputs) ++uses[id];
    std::vector<PlannedNode> fused;
    for (PlannedNode& n : plan.nodes) {
      const bool is_clamp = n.op == OpType::kRelu || n.op == OpType::kRelu6;
      if (is_clamp && !fused.empty()) {
        PlannedNode& prev = fused.back();
        const bool can_clamp = prev.op == OpType::kConv2d || prev.op == OpType::kDepthwiseConv2d ||
                               prev.op == OpType::kFullyConnected || prev.op == OpType::kAdd ||
                               prev.op == OpType::kScaleBias;
        if (can_clamp && prev.output == n.inputs[0] && uses[prev.output] == 1) {
          prev.activation.min = std::max(prev.activation.min, n.activation.min);
          prev.activation.max = std::min(prev.activation.max, n.activation.max);
          prev.output = n.output;
          continue;
        }
      }
      fused.push_back(std::move(n));
    }
    plan.nodes = std::move(fused);
  }
  return plan;
}

}  // namespace fu::nn
