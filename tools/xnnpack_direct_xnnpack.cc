// Deliberately independent of src/nn/executor_xnnpack.cc: padding comes from XNNPACK's own
// TensorFlow-SAME flag rather than from the plan, so this is what a user calling XNNPACK by hand
// would write, and a slowdown in our adapter cannot hide in a shared helper.
#include <xnnpack.h>

#include <limits>
#include <memory>
#include <vector>

#include "base/error.h"
#include "nn/model.h"
#include "nn/sample_networks.h"
#include "nn/xnnpack_handles.h"
#include "xnnpack_direct.h"

namespace fu::tools {

namespace {

std::vector<std::size_t> to_size(const std::vector<int>& dims) {
  return std::vector<std::size_t>(dims.begin(), dims.end());
}

}  // namespace

struct DirectXnnpackLayer::State {
  std::string name;
  nn::Model model;  // owns the weights XNNPACK reads
  nn::RuntimePtr runtime;
  std::vector<float> input;
  std::vector<float> output;
};

DirectXnnpackLayer::~DirectXnnpackLayer() = default;

void DirectXnnpackLayer::run() {
  nn::xnnpack_check(xnn_invoke_runtime(state_->runtime.get()), "run XNNPACK runtime", state_->name);
}

DirectXnnpackLayer::DirectXnnpackLayer(const std::string& sample_name)
    : state_(std::make_unique<State>()) {
  if (sample_name != "conv1x1" && sample_name != "conv3x3" && sample_name != "dwconv3x3") {
    throw Error("cannot build XNNPACK layer directly (" + sample_name +
                "): only conv1x1, conv3x3 and dwconv3x3 are single layers");
  }
  state_->name = sample_name;
  nn::initialize_xnnpack();

  state_->model = nn::make_sample_network(sample_name);
  const nn::Model& model = state_->model;
  const nn::Node& node = model.graph.nodes.at(0);
  const nn::Weight& filter = *node.weight("filter");
  const nn::Weight& bias = *node.weight("bias");
  const bool depthwise = node.op == nn::OpType::kDepthwiseConv2d;
  const int stride = node.attributes.get_int("stride_h", 1, 1, 1024);
  const bool same = node.attributes.get_string("padding", "explicit") == "same";

  const std::size_t n = 1;
  const std::size_t h = model.metadata.input_height;
  const std::size_t w = model.metadata.input_width;
  const std::size_t in_c = model.metadata.input_channels;
  const std::size_t out_c = depthwise ? in_c : filter.dims[0];
  const std::size_t kh = filter.dims[1];
  const std::size_t kw = filter.dims[2];
  const std::size_t out_h = same ? (h + stride - 1) / stride : (h - kh) / stride + 1;
  const std::size_t out_w = same ? (w + stride - 1) / stride : (w - kw) / stride + 1;

  xnn_subgraph_t raw_subgraph = nullptr;
  nn::xnnpack_check(xnn_create_subgraph(2, 0, &raw_subgraph), "create XNNPACK subgraph",
                    sample_name);
  nn::SubgraphPtr subgraph(raw_subgraph);

  const std::size_t in_dims[4] = {n, h, w, in_c};
  const std::size_t out_dims[4] = {n, out_h, out_w, out_c};
  const std::vector<std::size_t> filter_dims = to_size(filter.dims);
  const std::vector<std::size_t> bias_dims = to_size(bias.dims);
  uint32_t in_id = 0, out_id = 1, filter_id = 0, bias_id = 0;
  nn::xnnpack_check(xnn_define_tensor_value(subgraph.get(), xnn_datatype_fp32, 4, in_dims, nullptr,
                                            0, XNN_VALUE_FLAG_EXTERNAL_INPUT, &in_id),
                    "define XNNPACK input", sample_name);
  nn::xnnpack_check(xnn_define_tensor_value(subgraph.get(), xnn_datatype_fp32, 4, out_dims, nullptr,
                                            1, XNN_VALUE_FLAG_EXTERNAL_OUTPUT, &out_id),
                    "define XNNPACK output", sample_name);
  nn::xnnpack_check(xnn_define_tensor_value(subgraph.get(), xnn_datatype_fp32, filter_dims.size(),
                                            filter_dims.data(), filter.data.data(),
                                            XNN_INVALID_VALUE_ID, 0, &filter_id),
                    "define XNNPACK filter", sample_name);
  nn::xnnpack_check(
      xnn_define_tensor_value(subgraph.get(), xnn_datatype_fp32, bias_dims.size(), bias_dims.data(),
                              bias.data.data(), XNN_INVALID_VALUE_ID, 0, &bias_id),
      "define XNNPACK bias", sample_name);

  const uint32_t flags = same ? XNN_FLAG_TENSORFLOW_SAME_PADDING : 0;
  const float lo = -std::numeric_limits<float>::infinity();
  const float hi = std::numeric_limits<float>::infinity();
  if (depthwise) {
    nn::xnnpack_check(xnn_define_depthwise_convolution_2d(subgraph.get(), 0, 0, 0, 0, kh, kw,
                                                          stride, stride, 1, 1, 1, in_c, lo, hi,
                                                          in_id, filter_id, bias_id, out_id, flags),
                      "define XNNPACK depthwise convolution", sample_name);
  } else {
    nn::xnnpack_check(
        xnn_define_convolution_2d(subgraph.get(), 0, 0, 0, 0, kh, kw, stride, stride, 1, 1, 1, in_c,
                                  out_c, lo, hi, in_id, filter_id, bias_id, out_id, flags),
        "define XNNPACK convolution", sample_name);
  }

  xnn_runtime_t raw_runtime = nullptr;
  nn::xnnpack_check(xnn_create_runtime_v2(subgraph.get(), nullptr, 0, &raw_runtime),
                    "create XNNPACK runtime", sample_name);
  state_->runtime.reset(raw_runtime);

  // XNNPACK may read XNN_EXTRA_BYTES past the end of its input.
  const std::size_t extra = XNN_EXTRA_BYTES / sizeof(float);
  std::vector<float>& input = state_->input;
  std::vector<float>& output = state_->output;
  input.resize(n * h * w * in_c + extra);
  output.resize(n * out_h * out_w * out_c);
  for (std::size_t i = 0; i < input.size(); ++i) {
    input[i] = static_cast<float>((i * 7919) % 2001) * 1e-3f - 1.0f;
  }

  const xnn_external_value externals[2] = {{in_id, input.data()}, {out_id, output.data()}};
  nn::xnnpack_check(xnn_setup_runtime(state_->runtime.get(), 2, externals),
                    "set up XNNPACK runtime", sample_name);
}

}  // namespace fu::tools
