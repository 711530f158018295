// Every op's backward against central differences of its own forward, dlib's way: weight
// gradients are pre-filled with infinity (backward must assign them) and input gradients with
// known values (backward must add to them, not overwrite).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "nn/ops/op.h"

namespace fu::nn {
namespace {

struct Case {
  std::string label;
  Node node;
  std::vector<Shape> inputs;
  bool training = false;        // run forward_training (batch_norm, dropout)
  bool away_from_zero = false;  // inputs kept off kinks (relu, prelu, clamps, max pooling)
};

Weight random_weight(std::vector<int> dims, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> u(lo, hi);
  Weight w;
  w.dims = std::move(dims);
  w.data.resize(w.element_count());
  for (float& v : w.data) v = u(rng);
  return w;
}

class OpGradient {
 public:
  explicit OpGradient(Case c) : c_(std::move(c)), rng_(7) {
    for (std::size_t i = 0; i < c_.inputs.size(); ++i)
      c_.node.inputs.push_back(static_cast<int>(i));
    c_.node.output = static_cast<int>(c_.inputs.size());
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (const Shape& s : c_.inputs) {
      std::vector<float> x(s.size() + 4);
      for (float& v : x) {
        v = u(rng_);
        if (c_.away_from_zero) v = (v < 0 ? -0.2f : 0.2f) + v;
      }
      if (c_.node.op == OpType::kMaxPool2d) {
        // Distinct values well apart, so no perturbation can change which one is the maximum.
        std::vector<int> order(s.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
        std::shuffle(order.begin(), order.end(), rng_);
        for (std::size_t i = 0; i < order.size(); ++i) x[i] = 0.01f * (order[i] - 50);
      }
      inputs_.push_back(std::move(x));
    }
    planned_ = op_def(c_.node.op).plan(c_.node, c_.inputs, &out_shape_);
    readout_.resize(out_shape_.size());
    for (float& v : readout_) v = u(rng_);
  }

  // loss = sum(output * readout), in double.
  double loss() {
    std::vector<const float*> ptrs;
    for (const auto& x : inputs_) ptrs.push_back(x.data());
    output_.assign(out_shape_.size() + 4, 0.0f);
    const OpForwardArgs args{planned_, ptrs, c_.inputs, out_shape_, output_.data()};
    const OpDef& def = op_def(c_.node.op);
    if (c_.training) {
      OpTrainingState state;
      state.weights = &c_.node.weights;
      state.saved = &saved_;
      state.seed = 42;
      def.forward_training(args, state);
    } else {
      def.forward(args);
    }
    double sum = 0.0;
    for (std::size_t i = 0; i < readout_.size(); ++i) sum += double{output_[i]} * readout_[i];
    return sum;
  }

  void check(double h, double tolerance) {
    SCOPED_TRACE(c_.label);
    loss();
    const OpDef& def = op_def(c_.node.op);
    const float inf = std::numeric_limits<float>::infinity();
    WeightGrads weight_grads;
    for (const char* role : def.trainable) {
      if (const Weight* w = c_.node.weight(role)) weight_grads[role].assign(w->data.size(), inf);
    }
    std::vector<std::vector<float>> input_grads;
    std::vector<float*> grad_ptrs;
    for (const Shape& s : c_.inputs) input_grads.emplace_back(s.size(), 0.5f);
    for (auto& g : input_grads) grad_ptrs.push_back(g.data());
    std::vector<const float*> ptrs;
    for (const auto& x : inputs_) ptrs.push_back(x.data());
    def.backward({planned_, ptrs, c_.inputs, output_.data(), out_shape_, readout_.data(), grad_ptrs,
                  weight_grads, saved_});

    for (std::size_t k = 0; k < inputs_.size(); ++k) {
      for (std::size_t i = 0; i < c_.inputs[k].size(); ++i) {
        const double numeric = central(&inputs_[k][i], h);
        const double analytic = input_grads[k][i] - 0.5;
        ASSERT_NEAR(analytic, numeric, tolerance * (1.0 + std::fabs(numeric)))
            << "input " << k << " element " << i;
      }
    }
    for (auto& [role, grad] : weight_grads) {
      std::vector<float>& values = c_.node.weights.at(role).data;
      for (std::size_t i = 0; i < values.size(); ++i) {
        ASSERT_TRUE(std::isfinite(grad[i]))
            << "weight '" << role << "' element " << i << " was never assigned";
        const double numeric = central(&values[i], h);
        ASSERT_NEAR(grad[i], numeric, tolerance * (1.0 + std::fabs(numeric)))
            << "weight '" << role << "' element " << i;
      }
    }
  }

 private:
  double central(float* x, double h) {
    const float keep = *x;
    *x = static_cast<float>(keep + h);
    const double up = loss();
    *x = static_cast<float>(keep - h);
    const double down = loss();
    *x = keep;
    return (up - down) / (2.0 * h);
  }

  Case c_;
  std::mt19937 rng_;
  std::vector<std::vector<float>> inputs_;
  PlannedNode planned_;
  Shape out_shape_;
  std::vector<float> readout_;
  std::vector<float> output_;
  std::vector<float> saved_;
};

Node make_node(OpType op, Attributes attributes = {}) {
  Node n;
  n.op = op;
  n.name = std::string(op_type_name(op)) + "_test";
  n.attributes = std::move(attributes);
  return n;
}

Attributes window(int kernel, int stride, int pad, int dilation = 1) {
  Attributes a;
  a.set("stride_h", stride);
  a.set("stride_w", stride);
  a.set("dilation_h", dilation);
  a.set("dilation_w", dilation);
  a.set("pad_top", pad);
  a.set("pad_left", pad);
  a.set("pad_bottom", pad);
  a.set("pad_right", std::max(pad - 1, 0));  // asymmetric on purpose
  a.set("kernel_h", kernel);
  a.set("kernel_w", kernel);
  return a;
}

std::vector<Case> cases() {
  std::mt19937 rng(3);
  std::vector<Case> list;
  auto add = [&](std::string label, Node node, std::vector<Shape> inputs, bool away = false,
                 bool training = false) {
    list.push_back({std::move(label), std::move(node), std::move(inputs), training, away});
  };
  {
    Node n = make_node(OpType::kConv2d, window(3, 2, 1, 1));
    n.weights["filter"] = random_weight({4, 3, 3, 3}, rng);
    n.weights["bias"] = random_weight({4}, rng);
    add("conv2d 3x3 stride 2 pad 1", n, {{2, 7, 6, 3}});
  }
  {
    Node n = make_node(OpType::kConv2d, window(3, 1, 2, 2));
    n.weights["filter"] = random_weight({3, 3, 3, 2}, rng);
    add("conv2d 3x3 dilation 2, no bias", n, {{1, 6, 6, 2}});
  }
  {
    Node n = make_node(OpType::kConv2d, window(1, 1, 0));
    n.weights["filter"] = random_weight({5, 1, 1, 4}, rng);
    n.weights["bias"] = random_weight({5}, rng);
    add("conv2d 1x1 (GEMM path)", n, {{2, 3, 4, 4}});
  }
  {
    Attributes a = window(1, 1, 0);
    a.set("output_min", 0.0);
    a.set("output_max", 6.0);
    Node n = make_node(OpType::kConv2d, a);
    n.weights["filter"] = random_weight({3, 2, 2, 3}, rng);
    n.weights["bias"] = random_weight({3}, rng, 0.1f, 0.2f);
    add("conv2d 2x2 fused relu6", n, {{1, 4, 4, 3}});
  }
  {
    Node n = make_node(OpType::kDepthwiseConv2d, window(3, 2, 1));
    n.weights["filter"] = random_weight({1, 3, 3, 5}, rng);
    n.weights["bias"] = random_weight({5}, rng);
    add("depthwise 3x3 stride 2", n, {{2, 7, 7, 5}});
  }
  {
    Node n = make_node(OpType::kDepthwiseConv2d, window(3, 1, 2, 2));
    n.weights["filter"] = random_weight({1, 3, 3, 3}, rng);
    add("depthwise 3x3 dilation 2", n, {{1, 6, 5, 3}});
  }
  {
    Node n = make_node(OpType::kFullyConnected);
    n.weights["filter"] = random_weight({4, 2 * 2 * 3}, rng);
    n.weights["bias"] = random_weight({4}, rng);
    add("fully_connected over NHWC", n, {{3, 2, 2, 3}});
  }
  {
    Node n = make_node(OpType::kScaleBias);
    n.weights["scale"] = random_weight({3}, rng);
    n.weights["bias"] = random_weight({3}, rng);
    add("scale_bias", n, {{2, 3, 2, 3}});
  }
  add("relu", make_node(OpType::kRelu), {{1, 3, 3, 4}}, true);
  add("relu6", make_node(OpType::kRelu6), {{1, 3, 3, 4}}, true);
  {
    Node n = make_node(OpType::kPRelu);
    n.weights["slope"] = random_weight({4}, rng, 0.05f, 0.4f);
    add("prelu", n, {{2, 2, 3, 4}}, true);
  }
  add("add", make_node(OpType::kAdd), {{1, 2, 3, 4}, {1, 2, 3, 4}});
  add("max_pool2d 3x3 stride 2 pad 1", make_node(OpType::kMaxPool2d, window(3, 2, 1)),
      {{2, 5, 6, 3}}, true);
  add("avg_pool2d 3x3 stride 2 pad 1", make_node(OpType::kAvgPool2d, window(3, 2, 1)),
      {{2, 5, 6, 3}});
  add("global_avg_pool", make_node(OpType::kGlobalAvgPool), {{2, 3, 4, 5}});
  {
    Attributes a;
    a.set("pad_top", 1);
    a.set("pad_left", 2);
    a.set("pad_right", 1);
    a.set("pad_channels_before", 1);
    a.set("pad_channels_after", 2);
    add("pad", make_node(OpType::kPad, a), {{2, 2, 3, 2}});
  }
  add("concat", make_node(OpType::kConcat), {{2, 2, 2, 3}, {2, 2, 2, 1}, {2, 2, 2, 2}});
  {
    Attributes a;
    a.set("height", 1);
    a.set("width", 1);
    a.set("channels", 12);
    add("reshape (flatten)", make_node(OpType::kReshape, a), {{2, 2, 2, 3}});
  }
  add("l2_normalize", make_node(OpType::kL2Normalize), {{3, 1, 2, 6}});
  {
    Node n = make_node(OpType::kBatchNorm);
    n.weights["scale"] = random_weight({4}, rng, 0.5f, 1.5f);
    n.weights["bias"] = random_weight({4}, rng);
    n.weights["mean"] = random_weight({4}, rng);
    n.weights["variance"] = random_weight({4}, rng, 0.5f, 2.0f);
    add("batch_norm training", n, {{3, 2, 3, 4}}, false, true);
    add("batch_norm inference", n, {{2, 2, 2, 4}}, false, false);
  }
  {
    Attributes a;
    a.set("rate", 0.4);
    add("dropout training", make_node(OpType::kDropout, a), {{2, 3, 3, 4}}, false, true);
  }
  return list;
}

TEST(OpGradient, EveryOpMatchesCentralDifferences) {
  std::vector<bool> covered(all_ops().size(), false);
  for (Case& c : cases()) {
    covered[static_cast<std::size_t>(c.node.op)] = true;
    OpGradient(std::move(c)).check(1e-3, 2e-3);
  }
  for (std::size_t i = 0; i < covered.size(); ++i) {
    // quantize and dequantize exist only in int8 inference graphs: nothing trains through them.
    if (all_ops()[i]->forward == nullptr) continue;
    EXPECT_TRUE(covered[i]) << "no gradient check for " << all_ops()[i]->name;
  }
}

TEST(OpRegistry, TableIsInOpTypeOrderWithUniqueNames) {
  const auto& ops = all_ops();
  for (std::size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(ops[i]->op), i) << ops[i]->name;
    EXPECT_EQ(op_type_from_name(ops[i]->name), ops[i]->op);
    ASSERT_NE(ops[i]->plan, nullptr);
    // A float op has its forward and backward; the int8 boundary ops (quantize, dequantize) have
    // only an int8 forward.
    if (ops[i]->forward == nullptr) {
      EXPECT_NE(ops[i]->forward_qs8, nullptr) << ops[i]->name;
      EXPECT_EQ(ops[i]->backward, nullptr) << ops[i]->name;
    } else {
      ASSERT_NE(ops[i]->backward, nullptr) << ops[i]->name;
    }
  }
  for (OpType op : {OpType::kConv2d, OpType::kDepthwiseConv2d, OpType::kFullyConnected,
                    OpType::kAdd, OpType::kMaxPool2d, OpType::kAvgPool2d, OpType::kGlobalAvgPool,
                    OpType::kReshape, OpType::kPRelu, OpType::kQuantize, OpType::kDequantize}) {
    EXPECT_NE(op_def(op).forward_qs8, nullptr) << op_type_name(op) << " has no int8 forward";
  }
  EXPECT_EQ(op_def(OpType::kDropout).op, OpType::kDropout);
}

TEST(OpGradient, BatchNormUpdatesRunningStatisticsLikePyTorch) {
  Node n = make_node(OpType::kBatchNorm);
  n.inputs = {0};
  n.output = 1;
  n.weights["scale"] = Weight{{1}, {1.0f}, std::nullopt};
  n.weights["bias"] = Weight{{1}, {0.0f}, std::nullopt};
  n.weights["mean"] = Weight{{1}, {0.0f}, std::nullopt};
  n.weights["variance"] = Weight{{1}, {1.0f}, std::nullopt};
  const std::vector<Shape> shapes = {{4, 1, 1, 1}};
  Shape out_shape;
  const PlannedNode p = op_def(OpType::kBatchNorm).plan(n, shapes, &out_shape);
  const std::vector<float> x = {1, 2, 3, 6, 0};
  std::vector<float> y(5), saved;
  const std::vector<const float*> ins = {x.data()};
  op_def(OpType::kBatchNorm)
      .forward_training({p, ins, shapes, out_shape, y.data()}, {&n.weights, &saved, 0});
  // batch mean 3, unbiased variance 14/3; momentum 0.1.
  EXPECT_NEAR(n.weights["mean"].data[0], 0.3f, 1e-6);
  EXPECT_NEAR(n.weights["variance"].data[0], 0.9f + 0.1f * 14.0f / 3.0f, 1e-6);
  // normalised with the biased variance 3.5.
  EXPECT_NEAR(y[3], 3.0f / std::sqrt(3.5f + 1e-5f), 1e-5);
}

TEST(OpGradient, BatchNormStatisticsAndSumsHoldOverManyPixelsFarFromZero) {
  // 429 pixels (the sums run in blocks of 128, so three whole blocks and a part), activations
  // around 1000 with a spread of about 0.6: in float, E[x^2] - E[x]^2 would lose the variance to
  // cancellation entirely.
  constexpr int kChannels = 5;
  const std::vector<Shape> shapes = {{3, 11, 13, kChannels}};
  const std::size_t count = 3 * 11 * 13 * kChannels;
  Node n = make_node(OpType::kBatchNorm);
  n.inputs = {0};
  n.output = 1;
  n.weights["scale"] = Weight{{kChannels}, std::vector<float>(kChannels, 1.0f), std::nullopt};
  n.weights["bias"] = Weight{{kChannels}, std::vector<float>(kChannels, 0.0f), std::nullopt};
  n.weights["mean"] = Weight{{kChannels}, std::vector<float>(kChannels, 0.0f), std::nullopt};
  n.weights["variance"] = Weight{{kChannels}, std::vector<float>(kChannels, 1.0f), std::nullopt};
  Shape out_shape;
  const PlannedNode p = op_def(OpType::kBatchNorm).plan(n, shapes, &out_shape);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> spread(-1.0f, 1.0f);
  std::vector<float> x(count), g(count);
  for (std::size_t i = 0; i < count; ++i) {
    x[i] = 1000.0f + 10.0f * static_cast<float>(i % kChannels) + spread(rng);
    g[i] = spread(rng);
  }
  std::vector<float> y(count), saved;
  const std::vector<const float*> ins = {x.data()};
  op_def(OpType::kBatchNorm)
      .forward_training({p, ins, shapes, out_shape, y.data()}, {&n.weights, &saved, 0});
  std::vector<float> dx(count, 0.0f), d_scale(kChannels), d_bias(kChannels);
  WeightGrads weight_grads = {{"scale", d_scale}, {"bias", d_bias}};
  std::vector<float*> input_grads = {dx.data()};
  op_def(OpType::kBatchNorm)
      .backward({p, ins, shapes, y.data(), out_shape, g.data(), input_grads, weight_grads, saved});
  const std::size_t pixels = count / kChannels;
  for (int c = 0; c < kChannels; ++c) {
    double sum = 0, sum_g = 0;
    for (std::size_t i = c; i < count; i += kChannels) {
      sum += x[i];
      sum_g += g[i];
    }
    const double mean = sum / pixels;
    double squares = 0, sum_gx = 0;
    for (std::size_t i = c; i < count; i += kChannels) squares += (x[i] - mean) * (x[i] - mean);
    const double inv_std = 1.0 / std::sqrt(squares / pixels + 1e-5);
    for (std::size_t i = c; i < count; i += kChannels) sum_gx += g[i] * (x[i] - mean) * inv_std;
    SCOPED_TRACE(c);
    EXPECT_NEAR(saved[c], mean, 1e-4);
    EXPECT_NEAR(saved[kChannels + c], inv_std, 1e-4 * inv_std);
    EXPECT_NEAR(weight_grads["bias"][c], sum_g, 1e-4);
    EXPECT_NEAR(weight_grads["scale"][c], sum_gx, 1e-3);
  }
}

}  // namespace
}  // namespace fu::nn
