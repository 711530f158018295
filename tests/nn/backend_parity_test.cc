// Every backend against the reference backend, on every layer type and on whole networks shaped
// like the ones faceunlock ships. The reference accumulates in double; the SIMD kernels and
// XNNPACK accumulate float32 in a different order, so results differ by rounding only:
//   single layers:  |a - ref| <= kLayerTolerance   * (1 + max|ref|)
//   whole networks: |a - ref| <= kNetworkTolerance * (1 + max|ref|)
// (float32 has a 6e-8 unit roundoff; a dot product of K terms drifts by about sqrt(K) of those
// per layer, and tens of layers compound it.)
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <random>

#include "base/error.h"
#include "nn/graph_builder.h"
#include "nn/network.h"
#include "nn/sample_networks.h"

namespace fu::nn {
namespace {

constexpr float kLayerTolerance = 2e-5f;
constexpr float kNetworkTolerance = 2e-4f;

class Rng {
 public:
  explicit Rng(std::uint32_t seed) : engine_(seed) {}
  float uniform(float lo, float hi) {
    return lo + (hi - lo) * static_cast<float>(engine_() >> 8) * (1.0f / 16777216.0f);
  }
  Weight weight(std::vector<int> dims, float lo = -1.0f, float hi = 1.0f) {
    Weight w;
    w.dims = std::move(dims);
    w.data.resize(w.element_count());
    for (float& v : w.data) v = uniform(lo, hi);
    return w;
  }
  Tensor tensor(const Shape& shape) {
    Tensor t(shape);
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = uniform(-2.0f, 2.0f);
    return t;
  }

 private:
  std::mt19937 engine_;
};

Attributes window(int kh, int kw, int stride, int dilation, const Padding2d& pad,
                  const char* mode = "explicit") {
  Attributes a;
  a.set("kernel_h", kh);
  a.set("kernel_w", kw);
  a.set("stride_h", stride);
  a.set("stride_w", stride);
  a.set("dilation_h", dilation);
  a.set("dilation_w", dilation);
  a.set("padding", mode);
  a.set("pad_top", pad.top);
  a.set("pad_bottom", pad.bottom);
  a.set("pad_left", pad.left);
  a.set("pad_right", pad.right);
  return a;
}

struct LayerCase {
  const char* name;
  Shape input;
  // Adds the layer(s) under test to the builder and returns the output value.
  std::function<int(GraphBuilder&, Rng&)> build;
};

int conv(GraphBuilder& b, Rng& r, int x, int out, int k, int stride, int dilation,
         const Padding2d& pad, const char* mode = "explicit") {
  const int in = b.shape(x).c;
  Attributes a = window(k, k, stride, dilation, pad, mode);
  return b.add(OpType::kConv2d, {x}, a,
               {{"filter", r.weight({out, k, k, in})}, {"bias", r.weight({out})}});
}

int depthwise(GraphBuilder& b, Rng& r, int x, int k, int stride, int dilation, const Padding2d& pad,
              const char* mode = "explicit") {
  const int c = b.shape(x).c;
  return b.add(OpType::kDepthwiseConv2d, {x}, window(k, k, stride, dilation, pad, mode),
               {{"filter", r.weight({1, k, k, c})}, {"bias", r.weight({c})}});
}

std::vector<LayerCase> layer_cases() {
  const Padding2d none;
  return {
      {"conv1x1",
       {1, 9, 7, 16},
       [=](GraphBuilder& b, Rng& r) { return conv(b, r, 0, 24, 1, 1, 1, none); }},
      {"conv1x1_odd_channels",
       {2, 5, 3, 13},
       [=](GraphBuilder& b, Rng& r) { return conv(b, r, 0, 11, 1, 1, 1, none); }},
      {"conv3x3_same",
       {1, 11, 10, 8},
       [=](GraphBuilder& b, Rng& r) { return conv(b, r, 0, 16, 3, 1, 1, none, "same"); }},
      {"conv3x3_stride2_same",
       {1, 12, 13, 5},
       [=](GraphBuilder& b, Rng& r) { return conv(b, r, 0, 9, 3, 2, 1, none, "same"); }},
      {"conv5x5_dilated_asymmetric",
       {1, 14, 12, 3},
       [=](GraphBuilder& b, Rng& r) {
         return conv(b, r, 0, 8, 5, 1, 2, Padding2d{1, 3, 0, 2});
       }},
      {"conv7x7_stride2_valid",
       {1, 20, 21, 3},
       [=](GraphBuilder& b, Rng& r) { return conv(b, r, 0, 32, 7, 2, 1, none, "valid"); }},
      {"conv_relu_fused",
       {1, 8, 8, 4},
       [=](GraphBuilder& b, Rng& r) {
         return b.add(OpType::kRelu, {conv(b, r, 0, 8, 3, 1, 1, none, "same")});
       }},
      {"conv_relu6_fused",
       {1, 8, 8, 4},
       [=](GraphBuilder& b, Rng& r) {
         return b.add(OpType::kRelu6, {conv(b, r, 0, 8, 1, 1, 1, none)});
       }},
      {"depthwise3x3",
       {1, 10, 9, 13},
       [=](GraphBuilder& b, Rng& r) { return depthwise(b, r, 0, 3, 1, 1, none, "same"); }},
      {"depthwise5x5_stride2",
       {2, 11, 12, 8},
       [=](GraphBuilder& b, Rng& r) { return depthwise(b, r, 0, 5, 2, 1, none, "same"); }},
      {"depthwise3x3_dilated",
       {1, 12, 12, 6},
       [=](GraphBuilder& b, Rng& r) {
         return depthwise(b, r, 0, 3, 1, 2, Padding2d{2, 1, 0, 2});
       }},
      {"depthwise7x7_valid_global",
       {1, 7, 7, 32},
       [=](GraphBuilder& b, Rng& r) { return depthwise(b, r, 0, 7, 1, 1, none, "valid"); }},
      {"fully_connected",
       {2, 3, 3, 10},
       [](GraphBuilder& b, Rng& r) {
         return b.add(OpType::kFullyConnected, {0}, {},
                      {{"filter", r.weight({33, 90})}, {"bias", r.weight({33})}});
       }},
      {"fully_connected_no_bias",
       {1, 1, 1, 64},
       [](GraphBuilder& b, Rng& r) {
         return b.add(OpType::kFullyConnected, {0}, {}, {{"filter", r.weight({7, 64})}});
       }},
      {"scale_bias",
       {1, 5, 6, 7},
       [](GraphBuilder& b, Rng& r) {
         return b.add(OpType::kScaleBias, {0}, {},
                      {{"scale", r.weight({7})}, {"bias", r.weight({7})}});
       }},
      {"relu", {1, 5, 6, 7}, [](GraphBuilder& b, Rng&) { return b.add(OpType::kRelu, {0}); }},
      {"relu6",
       {1, 5, 6, 7},
       [](GraphBuilder& b, Rng&) {
         // Scaled up first so that values cross 6.
         return b.add(OpType::kRelu6,
                      {b.add(OpType::kScaleBias, {0}, {},
                             {{"scale", Weight{{7}, std::vector<float>(7, 5.0f), std::nullopt}},
                              {"bias", Weight{{7}, std::vector<float>(7, 1.0f), std::nullopt}}})});
       }},
      {"prelu",
       {1, 5, 6, 9},
       [](GraphBuilder& b, Rng& r) {
         return b.add(OpType::kPRelu, {0}, {}, {{"slope", r.weight({9}, 0.0f, 0.5f)}});
       }},
      {"add",
       {1, 6, 5, 8},
       [=](GraphBuilder& b, Rng& r) {
         return b.add(OpType::kAdd, {conv(b, r, 0, 8, 1, 1, 1, none), 0});
       }},
      {"max_pool2x2",
       {1, 9, 8, 5},
       [=](GraphBuilder& b, Rng&) {
         return b.add(OpType::kMaxPool2d, {0}, window(2, 2, 2, 1, none));
       }},
      {"max_pool3x3_same",
       {1, 9, 8, 5},
       [=](GraphBuilder& b, Rng&) {
         return b.add(OpType::kMaxPool2d, {0}, window(3, 3, 2, 1, none, "same"));
       }},
      {"avg_pool2x2_padded",
       {1, 9, 7, 6},
       [=](GraphBuilder& b, Rng&) {
         return b.add(OpType::kAvgPool2d, {0}, window(2, 2, 2, 1, Padding2d{0, 1, 0, 1}));
       }},
      {"avg_pool3x3_same",
       {1, 8, 8, 4},
       [=](GraphBuilder& b, Rng&) {
         return b.add(OpType::kAvgPool2d, {0}, window(3, 3, 1, 1, none, "same"));
       }},
      {"global_avg_pool",
       {2, 7, 6, 10},
       [](GraphBuilder& b, Rng&) { return b.add(OpType::kGlobalAvgPool, {0}); }},
      {"pad_spatial_and_channels",
       {1, 4, 5, 3},
       [](GraphBuilder& b, Rng&) {
         Attributes a;
         a.set("pad_top", 1);
         a.set("pad_bottom", 2);
         a.set("pad_left", 0);
         a.set("pad_right", 3);
         a.set("pad_channels_before", 2);
         a.set("pad_channels_after", 5);
         a.set("value", 0.5);
         return b.add(OpType::kPad, {0}, a);
       }},
      {"concat_between_convs",
       {1, 6, 6, 4},
       [=](GraphBuilder& b, Rng& r) {
         const int a = conv(b, r, 0, 3, 1, 1, 1, none);
         const int c = conv(b, r, 0, 5, 3, 1, 1, none, "same");
         const int cat = b.add(OpType::kConcat, {a, 0, c});
         return conv(b, r, cat, 6, 1, 1, 1, none);
       }},
      {"reshape",
       {1, 4, 6, 2},
       [](GraphBuilder& b, Rng&) {
         Attributes a;
         a.set("height", 1);
         a.set("width", 12);
         a.set("channels", 4);
         return b.add(OpType::kReshape, {0}, a);
       }},
      {"l2_normalize",
       {1, 3, 2, 17},
       [](GraphBuilder& b, Rng&) { return b.add(OpType::kL2Normalize, {0}); }},
  };
}

float max_abs(const Tensor& t) {
  float m = 0.0f;
  for (std::size_t i = 0; i < t.size(); ++i) m = std::max(m, std::fabs(t[i]));
  return m;
}

// Compares every output of `backend` with the reference backend on the same random input.
void expect_parity(std::shared_ptr<const Model> model, Backend backend, float tolerance,
                   const std::string& label) {
  NetworkOptions reference_options;
  reference_options.backend = Backend::kReference;
  Network reference(model, reference_options);
  NetworkOptions options;
  options.backend = backend;
  Network candidate(model, options);
  Rng rng(99);
  const Tensor input = rng.tensor(reference.input_shape());
  const std::vector<Tensor> expected = reference.run(input);
  const std::vector<Tensor>& actual = candidate.run(input);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t k = 0; k < expected.size(); ++k) {
    ASSERT_EQ(actual[k].shape(), expected[k].shape()) << label;
    const float bound = tolerance * (1.0f + max_abs(expected[k]));
    float worst = 0.0f;
    for (std::size_t i = 0; i < expected[k].size(); ++i) {
      ASSERT_TRUE(std::isfinite(actual[k][i])) << label << " output " << k << " [" << i << "]";
      worst = std::max(worst, std::fabs(actual[k][i] - expected[k][i]));
    }
    EXPECT_LE(worst, bound) << label << " (" << backend_name(backend) << ") output " << k;
  }
}

std::shared_ptr<const Model> layer_model(const LayerCase& c) {
  GraphBuilder b(c.input);
  Rng rng(7);
  b.mark_output(c.build(b, rng));
  auto model = std::make_shared<Model>();
  model->metadata.name = c.name;
  model->metadata.input_height = c.input.h;
  model->metadata.input_width = c.input.w;
  model->metadata.input_channels = c.input.c;
  model->graph = b.finish();
  return model;
}

std::vector<Backend> candidates() {
  std::vector<Backend> list;
  for (Backend b : available_backends()) {
    if (b != Backend::kReference) list.push_back(b);
  }
  return list;
}

TEST(BackendParity, EveryLayerTypeMatchesTheReference) {
  for (const LayerCase& c : layer_cases()) {
    // Batch comes from the case's input shape: build the network at that batch.
    std::shared_ptr<const Model> model = layer_model(c);
    for (Backend backend : candidates()) {
      NetworkOptions ref_options{Backend::kReference, c.input.n, 1};
      NetworkOptions options{backend, c.input.n, 1};
      Network reference(model, ref_options);
      Network candidate(model, options);
      Rng rng(5);
      const Tensor input = rng.tensor(reference.input_shape());
      const std::vector<Tensor> expected = reference.run(input);
      const std::vector<Tensor>& actual = candidate.run(input);
      ASSERT_EQ(actual.size(), 1u);
      ASSERT_EQ(actual[0].shape(), expected[0].shape()) << c.name;
      const float bound = kLayerTolerance * (1.0f + max_abs(expected[0]));
      float worst = 0.0f;
      for (std::size_t i = 0; i < expected[0].size(); ++i) {
        worst = std::max(worst, std::fabs(actual[0][i] - expected[0][i]));
      }
      EXPECT_LE(worst, bound) << c.name << " on " << backend_name(backend);
    }
  }
}

TEST(BackendParity, WholeNetworksMatchTheReference) {
  for (const char* name : {"resnet", "mobilefacenet", "blazeface"}) {
    auto model = std::make_shared<const Model>(make_sample_network(name, 11));
    for (Backend backend : candidates()) {
      expect_parity(model, backend, kNetworkTolerance, name);
    }
  }
}

TEST(BackendParity, RepeatedRunsGiveIdenticalOutputs) {
  auto model = std::make_shared<const Model>(make_sample_network("blazeface", 2));
  for (Backend backend : available_backends()) {
    Network net(model, NetworkOptions{backend, 1, 1});
    Rng rng(3);
    const Tensor input = rng.tensor(net.input_shape());
    const std::vector<Tensor> first = net.run(input);
    const std::vector<Tensor>& second = net.run(input);
    for (std::size_t k = 0; k < first.size(); ++k) {
      for (std::size_t i = 0; i < first[k].size(); ++i) {
        ASSERT_EQ(first[k][i], second[k][i]) << backend_name(backend);
      }
    }
  }
}

TEST(BackendParity, WrongInputShapeIsAClearError) {
  auto model = std::make_shared<const Model>(make_sample_network("conv1x1", 1));
  for (Backend backend : available_backends()) {
    Network net(model, NetworkOptions{backend, 1, 1});
    try {
      net.run(Tensor(Shape{1, 56, 56, 3}));
      FAIL() << "a wrong input shape must be rejected";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("expected input shape 1x56x56x64"), std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace fu::nn
