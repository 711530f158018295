// The XNNPACK executor against naive loops written here (so that this test depends on nothing but
// the plan), plus the cases that exercise its partitioning: fallback nodes between XNNPACK
// segments, several outputs, thread counts and the sample networks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "nn/executor.h"
#include "nn/graph_builder.h"
#include "nn/plan.h"
#include "nn/sample_networks.h"

namespace fu::nn {
namespace {

Weight random_weight(std::vector<int> dims, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  Weight w;
  w.dims = std::move(dims);
  w.data.resize(w.element_count());
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& v : w.data) v = dist(rng);
  return w;
}

Tensor random_tensor(const Shape& shape, std::mt19937& rng) {
  Tensor t(shape);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = dist(rng);
  return t;
}

// Owns the graph and plan the executor points into.
struct Compiled {
  Compiled(Graph g, const Shape& input, int threads = 1) : graph(std::move(g)) {
    plan = make_plan(graph, input);
    ExecutorOptions options;
    options.threads = threads;
    executor = create_xnnpack_executor(plan, options);
  }
  const std::vector<Tensor>& run(const Tensor& input) {
    executor->run(input);
    return executor->outputs();
  }
  Graph graph;
  Plan plan;
  std::unique_ptr<Executor> executor;
};

void expect_near(const Tensor& actual, const std::vector<float>& expected,
                 float tolerance = 1e-4f) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_NEAR(actual[i], expected[i], tolerance * std::max(1.0f, std::fabs(expected[i])))
        << "at element " << i;
  }
}

std::vector<float> as_vector(const Tensor& t) {
  return std::vector<float>(t.data(), t.data() + t.size());
}

float clamp(float v, const Activation& a) { return std::min(std::max(v, a.min), a.max); }

// Naive convolution over NHWC; `depthwise` uses filter [1,kh,kw,C], otherwise [O,kh,kw,I].
std::vector<float> naive_conv(const Tensor& x, const Weight& filter, const Weight* bias,
                              const Window2d& w, bool depthwise, const Activation& act,
                              Shape* out_shape) {
  const Shape& in = x.shape();
  const int out_c = depthwise ? in.c : filter.dims[0];
  const Shape out{in.n,
                  window_output_size(in.h, w.padding.top, w.padding.bottom, w.kernel_h, w.stride_h,
                                     w.dilation_h),
                  window_output_size(in.w, w.padding.left, w.padding.right, w.kernel_w, w.stride_w,
                                     w.dilation_w),
                  out_c};
  std::vector<float> y(out.size());
  for (int n = 0; n < out.n; ++n)
    for (int oy = 0; oy < out.h; ++oy)
      for (int ox = 0; ox < out.w; ++ox)
        for (int o = 0; o < out_c; ++o) {
          double sum = bias ? bias->data[o] : 0.0;
          for (int ky = 0; ky < w.kernel_h; ++ky) {
            const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
            if (iy < 0 || iy >= in.h) continue;
            for (int kx = 0; kx < w.kernel_w; ++kx) {
              const int ix = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
              if (ix < 0 || ix >= in.w) continue;
              const float* px = x.data() + ((n * in.h + iy) * in.w + ix) * in.c;
              if (depthwise) {
                sum += px[o] * filter.data[(ky * w.kernel_w + kx) * in.c + o];
              } else {
                for (int i = 0; i < in.c; ++i)
                  sum += px[i] * filter.data[((o * w.kernel_h + ky) * w.kernel_w + kx) * in.c + i];
              }
            }
          }
          y[((n * out.h + oy) * out.w + ox) * out_c + o] = clamp(static_cast<float>(sum), act);
        }
  *out_shape = out;
  return y;
}

std::vector<float> naive_pool(const Tensor& x, const Window2d& w, bool average) {
  const Shape& in = x.shape();
  const int oh =
      window_output_size(in.h, w.padding.top, w.padding.bottom, w.kernel_h, w.stride_h, 1);
  const int ow =
      window_output_size(in.w, w.padding.left, w.padding.right, w.kernel_w, w.stride_w, 1);
  std::vector<float> y;
  for (int n = 0; n < in.n; ++n)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int c = 0; c < in.c; ++c) {
          double sum = 0.0;
          float max = -INFINITY;
          int count = 0;
          for (int ky = 0; ky < w.kernel_h; ++ky)
            for (int kx = 0; kx < w.kernel_w; ++kx) {
              const int iy = oy * w.stride_h - w.padding.top + ky;
              const int ix = ox * w.stride_w - w.padding.left + kx;
              if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
              const float v = x[((n * in.h + iy) * in.w + ix) * in.c + c];
              sum += v;
              max = std::max(max, v);
              ++count;
            }
          y.push_back(average ? static_cast<float>(sum / count) : max);
        }
  return y;
}

Attributes window_attributes(int kh, int kw, int stride, const Padding2d& pad) {
  Attributes a;
  a.set("kernel_h", kh);
  a.set("kernel_w", kw);
  a.set("stride_h", stride);
  a.set("stride_w", stride);
  a.set("pad_top", pad.top);
  a.set("pad_bottom", pad.bottom);
  a.set("pad_left", pad.left);
  a.set("pad_right", pad.right);
  return a;
}

Window2d make_window(int kh, int kw, int stride, const Padding2d& pad) {
  Window2d w;
  w.kernel_h = kh;
  w.kernel_w = kw;
  w.stride_h = w.stride_w = stride;
  w.padding = pad;
  return w;
}

TEST(XnnpackExecutorTest, Conv2dWithPaddingStrideAndFusedRelu) {
  std::mt19937 rng(1);
  const Shape in{1, 9, 8, 5};
  const Padding2d pad{1, 2, 0, 1};
  GraphBuilder b(in);
  const Weight filter = random_weight({7, 3, 3, 5}, rng);
  const Weight bias = random_weight({7}, rng);
  int x = b.add(OpType::kConv2d, {b.input()}, window_attributes(3, 3, 2, pad),
                {{"filter", filter}, {"bias", bias}});
  x = b.add(OpType::kRelu, {x});
  b.mark_output(x);
  Compiled c(b.finish(), in);
  ASSERT_EQ(c.plan.nodes.size(), 1u);  // the relu was fused

  const Tensor input = random_tensor(in, rng);
  Activation relu;
  relu.min = 0.0f;
  Shape out;
  const std::vector<float> expected =
      naive_conv(input, filter, &bias, make_window(3, 3, 2, pad), false, relu, &out);
  const std::vector<Tensor>& y = c.run(input);
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].shape(), out);
  expect_near(y[0], expected);
}

TEST(XnnpackExecutorTest, DepthwiseWithSamePaddingAndNoBias) {
  std::mt19937 rng(2);
  const Shape in{2, 7, 6, 12};
  GraphBuilder b(in);
  const Weight filter = random_weight({1, 3, 3, 12}, rng);
  Attributes a;
  a.set("padding", "same");
  a.set("stride_h", 2);
  a.set("stride_w", 2);
  b.mark_output(b.add(OpType::kDepthwiseConv2d, {b.input()}, a, {{"filter", filter}}));
  Compiled c(b.finish(), in);
  const Tensor input = random_tensor(in, rng);
  // TensorFlow SAME for 7 and 6 with stride 2: totals 2 and 1, the odd pixel after.
  Shape out;
  const std::vector<float> expected = naive_conv(
      input, filter, nullptr, make_window(3, 3, 2, Padding2d{1, 1, 0, 1}), true, {}, &out);
  EXPECT_EQ(c.plan.shapes[c.plan.outputs[0]], out);
  expect_near(c.run(input)[0], expected);
}

TEST(XnnpackExecutorTest, FullyConnectedFlattensNhwcInput) {
  std::mt19937 rng(3);
  const Shape in{2, 3, 2, 4};
  GraphBuilder b(in);
  const Weight filter = random_weight({5, 24}, rng);
  const Weight bias = random_weight({5}, rng);
  b.mark_output(
      b.add(OpType::kFullyConnected, {b.input()}, {}, {{"filter", filter}, {"bias", bias}}));
  Compiled c(b.finish(), in);
  const Tensor input = random_tensor(in, rng);
  std::vector<float> expected;
  for (int n = 0; n < 2; ++n)
    for (int o = 0; o < 5; ++o) {
      double sum = bias.data[o];
      for (int i = 0; i < 24; ++i) sum += input[n * 24 + i] * filter.data[o * 24 + i];
      expected.push_back(static_cast<float>(sum));
    }
  const Tensor& y = c.run(input)[0];
  EXPECT_EQ(y.shape(), (Shape{2, 1, 1, 5}));
  expect_near(y, expected);
}

// XNNPACK's average pooling with padding must divide by the non-padded pixel count, as ours does.
TEST(XnnpackExecutorTest, PoolingWithPaddingMatchesNaive) {
  std::mt19937 rng(4);
  const Shape in{1, 7, 9, 6};
  struct Case {
    int kernel, stride;
    Padding2d pad;
  };
  for (bool average : {false, true}) {
    for (const Case& k : {Case{2, 2, {0, 1, 0, 1}}, Case{3, 2, {1, 1, 1, 1}},
                          Case{3, 1, {2, 0, 0, 2}}, Case{1, 2, {}}, Case{2, 3, {1, 0, 1, 0}}}) {
      SCOPED_TRACE(std::string(average ? "avg" : "max") + " kernel " + std::to_string(k.kernel) +
                   " stride " + std::to_string(k.stride));
      GraphBuilder b(in);
      b.mark_output(b.add(average ? OpType::kAvgPool2d : OpType::kMaxPool2d, {b.input()},
                          window_attributes(k.kernel, k.kernel, k.stride, k.pad)));
      Compiled c(b.finish(), in);
      const Tensor input = random_tensor(in, rng);
      expect_near(c.run(input)[0],
                  naive_pool(input, make_window(k.kernel, k.kernel, k.stride, k.pad), average));
    }
  }
}

// Scale-bias folded into the convolution before it, and standalone after an add.
TEST(XnnpackExecutorTest, ScaleBiasFoldedAndStandalone) {
  std::mt19937 rng(5);
  const Shape in{1, 5, 5, 3};
  GraphBuilder b(in);
  const Weight filter = random_weight({4, 1, 1, 3}, rng);
  const Weight scale1 = random_weight({4}, rng, 0.5f, 1.5f);
  const Weight bias1 = random_weight({4}, rng);
  const Weight scale2 = random_weight({4}, rng, -1.5f, 1.5f);
  const Weight bias2 = random_weight({4}, rng);
  int conv = b.add(OpType::kConv2d, {b.input()}, {}, {{"filter", filter}});
  int sb1 = b.add(OpType::kScaleBias, {conv}, {}, {{"scale", scale1}, {"bias", bias1}});
  sb1 = b.add(OpType::kRelu6, {sb1});
  const int sum = b.add(OpType::kAdd, {sb1, sb1});
  const int sb2 = b.add(OpType::kScaleBias, {sum}, {}, {{"scale", scale2}, {"bias", bias2}});
  b.mark_output(b.add(OpType::kRelu, {sb2}));
  Compiled c(b.finish(), in);
  const Tensor input = random_tensor(in, rng);

  Shape out;
  const std::vector<float> conv_out =
      naive_conv(input, filter, nullptr, make_window(1, 1, 1, {}), false, {}, &out);
  std::vector<float> expected(conv_out.size());
  for (std::size_t i = 0; i < conv_out.size(); ++i) {
    const int ch = static_cast<int>(i % 4);
    const float a = std::min(std::max(conv_out[i] * scale1.data[ch] + bias1.data[ch], 0.0f), 6.0f);
    expected[i] = std::max((a + a) * scale2.data[ch] + bias2.data[ch], 0.0f);
  }
  expect_near(c.run(input)[0], expected);
}

TEST(XnnpackExecutorTest, ElementwisePadReshapeAndGlobalPool) {
  std::mt19937 rng(6);
  const Shape in{1, 4, 3, 5};
  GraphBuilder b(in);
  const Weight slope = random_weight({5}, rng);
  const int pr = b.add(OpType::kPRelu, {b.input()}, {}, {{"slope", slope}});
  Attributes pad;
  pad.set("pad_top", 1);
  pad.set("pad_right", 2);
  pad.set("pad_channels_before", 1);
  pad.set("pad_channels_after", 2);
  pad.set("value", 0.5);
  const int padded = b.add(OpType::kPad, {pr}, pad);  // 1x5x5x8
  const int pooled = b.add(OpType::kGlobalAvgPool, {padded});
  Attributes shape;
  shape.set("height", 2);
  shape.set("width", 1);
  shape.set("channels", 4);
  const int reshaped = b.add(OpType::kReshape, {pooled}, shape);
  b.mark_output(b.add(OpType::kRelu6, {b.add(OpType::kAdd, {reshaped, reshaped})}));
  b.mark_output(padded);
  Compiled c(b.finish(), in);
  Tensor input = random_tensor(in, rng);
  for (std::size_t i = 0; i < input.size(); ++i) input[i] *= 8.0f;

  std::vector<float> expected_pad(5 * 5 * 8, 0.5f);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 3; ++x)
      for (int ch = 0; ch < 5; ++ch) {
        const float v = input[(y * 3 + x) * 5 + ch];
        expected_pad[((y + 1) * 5 + x) * 8 + ch + 1] = v >= 0 ? v : v * slope.data[ch];
      }
  std::vector<float> expected_out(8);
  for (int ch = 0; ch < 8; ++ch) {
    double sum = 0.0;
    for (int p = 0; p < 25; ++p) sum += expected_pad[p * 8 + ch];
    expected_out[ch] = std::min(std::max(2.0f * static_cast<float>(sum / 25), 0.0f), 6.0f);
  }
  const std::vector<Tensor>& y = c.run(input);
  ASSERT_EQ(y.size(), 2u);
  EXPECT_EQ(y[0].shape(), (Shape{1, 2, 1, 4}));
  expect_near(y[0], expected_out);
  expect_near(y[1], expected_pad);
}

// conv -> {conv, conv} -> concat (fallback) -> conv -> l2_normalize (fallback): two XNNPACK
// segments with buffers crossing both ways, and outputs taken from both sides of the boundary.
TEST(XnnpackExecutorTest, ConcatBetweenSegmentsAndMultipleOutputs) {
  std::mt19937 rng(7);
  const Shape in{1, 6, 6, 3};
  GraphBuilder b(in);
  const Weight f0 = random_weight({4, 3, 3, 3}, rng);
  const Weight f1 = random_weight({2, 1, 1, 4}, rng);
  const Weight f2 = random_weight({3, 1, 1, 4}, rng);
  const Weight f3 = random_weight({6, 1, 1, 5}, rng);
  Attributes same;
  same.set("padding", "same");
  const int a = b.add(OpType::kConv2d, {b.input()}, same, {{"filter", f0}});
  const int left = b.add(OpType::kConv2d, {a}, {}, {{"filter", f1}});
  const int right = b.add(OpType::kConv2d, {a}, {}, {{"filter", f2}});
  const int cat = b.add(OpType::kConcat, {left, right});
  const int d = b.add(OpType::kConv2d, {cat}, {}, {{"filter", f3}});
  const int norm = b.add(OpType::kL2Normalize, {d});
  b.mark_output(norm);
  b.mark_output(right);
  b.mark_output(d);
  Compiled c(b.finish(), in);

  const Tensor input = random_tensor(in, rng);
  Shape s;
  Tensor ta(Shape{1, 6, 6, 4});
  const std::vector<float> va =
      naive_conv(input, f0, nullptr, make_window(3, 3, 1, {1, 1, 1, 1}), false, {}, &s);
  std::copy(va.begin(), va.end(), ta.data());
  const std::vector<float> vl =
      naive_conv(ta, f1, nullptr, make_window(1, 1, 1, {}), false, {}, &s);
  const std::vector<float> vr =
      naive_conv(ta, f2, nullptr, make_window(1, 1, 1, {}), false, {}, &s);
  Tensor tcat(Shape{1, 6, 6, 5});
  for (int p = 0; p < 36; ++p) {
    for (int ch = 0; ch < 2; ++ch) tcat[p * 5 + ch] = vl[p * 2 + ch];
    for (int ch = 0; ch < 3; ++ch) tcat[p * 5 + 2 + ch] = vr[p * 3 + ch];
  }
  const std::vector<float> vd =
      naive_conv(tcat, f3, nullptr, make_window(1, 1, 1, {}), false, {}, &s);
  std::vector<float> vn(vd.size());
  for (int p = 0; p < 36; ++p) {
    double sum = 0.0;
    for (int ch = 0; ch < 6; ++ch) sum += vd[p * 6 + ch] * vd[p * 6 + ch];
    for (int ch = 0; ch < 6; ++ch)
      vn[p * 6 + ch] = static_cast<float>(vd[p * 6 + ch] / std::sqrt(sum));
  }
  const std::vector<Tensor>& y = c.run(input);
  ASSERT_EQ(y.size(), 3u);
  expect_near(y[0], vn);
  expect_near(y[1], vr);
  expect_near(y[2], vd);
}

// The runtimes are bound to the caller's input address; a new tensor must be re-bound.
TEST(XnnpackExecutorTest, FollowsTheInputTensorAcrossRuns) {
  std::mt19937 rng(8);
  const Shape in{1, 5, 5, 4};
  GraphBuilder b(in);
  const Weight filter = random_weight({3, 3, 3, 4}, rng);
  Attributes same;
  same.set("padding", "same");
  b.mark_output(b.add(OpType::kConv2d, {b.input()}, same, {{"filter", filter}}));
  b.mark_output(b.input());  // the input itself, copied
  Compiled c(b.finish(), in);
  for (int i = 0; i < 3; ++i) {
    const Tensor input = random_tensor(in, rng);
    Shape s;
    const std::vector<float> expected =
        naive_conv(input, filter, nullptr, make_window(3, 3, 1, {1, 1, 1, 1}), false, {}, &s);
    const std::vector<Tensor>& y = c.run(input);
    expect_near(y[0], expected);
    expect_near(y[1], as_vector(input), 0.0f);
  }
}

TEST(XnnpackExecutorTest, TwoThreadsMatchOneThread) {
  const Model model = make_sample_network("mobilefacenet");
  const Shape in = model.metadata.input_shape();
  std::mt19937 rng(9);
  const Tensor input = random_tensor(in, rng);
  Compiled one(model.graph, in, 1);
  Compiled two(model.graph, in, 2);
  const Tensor& a = one.run(input)[0];
  const Tensor& b = two.run(input)[0];
  expect_near(b, as_vector(a), 1e-5f);
}

TEST(XnnpackExecutorTest, SampleNetworksRunWithFiniteOutputs) {
  for (const char* name :
       {"resnet", "mobilefacenet", "blazeface", "conv1x1", "conv3x3", "dwconv3x3"}) {
    SCOPED_TRACE(name);
    const Model model = make_sample_network(name);
    const Shape in = model.metadata.input_shape();
    std::mt19937 rng(10);
    const Tensor input = random_tensor(in, rng);
    Compiled c(model.graph, in, 2);
    const std::vector<Tensor>& y = c.run(input);
    ASSERT_EQ(y.size(), c.plan.outputs.size());
    for (std::size_t i = 0; i < y.size(); ++i) {
      EXPECT_EQ(y[i].shape(), c.plan.shapes[c.plan.outputs[i]]);
      for (std::size_t k = 0; k < y[i].size(); ++k) ASSERT_TRUE(std::isfinite(y[i][k])) << k;
    }
    if (model.metadata.output_kind == "embedding") {
      double norm = 0.0;
      for (std::size_t k = 0; k < y[0].size(); ++k) norm += y[0][k] * y[0][k];
      EXPECT_NEAR(norm, 1.0, 1e-4);
    }
  }
}

TEST(XnnpackExecutorTest, RejectsZeroThreads) {
  const Model model = make_sample_network("conv1x1");
  const Plan plan = make_plan(model.graph, model.metadata.input_shape());
  ExecutorOptions options;
  options.threads = 0;
  EXPECT_THROW(create_xnnpack_executor(plan, options), Error);
}

}  // namespace
}  // namespace fu::nn
