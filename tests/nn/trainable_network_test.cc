#include "nn/trainable_network.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "base/error.h"
#include "nn/graph_builder.h"
#include "nn/graph_passes.h"
#include "nn/model.h"
#include "nn/network.h"

namespace fu::nn {
namespace {

Weight random_weight(std::vector<int> dims, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  Weight w;
  w.dims = std::move(dims);
  w.data.resize(w.element_count());
  for (float& v : w.data) v = u(rng);
  return w;
}

// conv -> batch_norm -> prelu -> depthwise (+ residual) -> relu6 -> pool -> dropout -> fc -> l2:
// the shapes of a Siamese branch in miniature.
Graph small_branch(std::mt19937& rng, float dropout_rate) {
  GraphBuilder b(Shape{1, 8, 8, 3});
  int x = b.add(OpType::kConv2d, {0}, window_attributes(3, 2, "same"),
                {{"filter", random_weight({6, 3, 3, 3}, rng, -0.5f, 0.5f)},
                 {"bias", random_weight({6}, rng, -0.1f, 0.1f)}},
                "conv");
  Attributes bn;
  bn.set("epsilon", 1e-3);
  x = b.add(OpType::kBatchNorm, {x}, bn,
            {{"scale", random_weight({6}, rng, 0.5f, 1.5f)},
             {"bias", random_weight({6}, rng, -0.2f, 0.2f)},
             {"mean", random_weight({6}, rng, -0.1f, 0.1f)},
             {"variance", random_weight({6}, rng, 0.5f, 1.5f)}},
            "bn");
  x = b.add(OpType::kPRelu, {x}, {}, {{"slope", random_weight({6}, rng, 0.1f, 0.3f)}}, "prelu");
  int y = b.add(OpType::kDepthwiseConv2d, {x}, window_attributes(3, 1, "same"),
                {{"filter", random_weight({1, 3, 3, 6}, rng, -0.5f, 0.5f)}}, "dw");
  x = b.add(OpType::kAdd, {x, y}, {}, {}, "residual");
  x = b.add(OpType::kRelu6, {x}, {}, {}, "relu6");
  x = b.add(OpType::kAvgPool2d, {x}, window_attributes(2, 2, "valid"), {}, "pool");
  Attributes drop;
  drop.set("rate", static_cast<double>(dropout_rate));
  x = b.add(OpType::kDropout, {x}, drop, {}, "dropout");
  x = b.add(OpType::kFullyConnected, {x}, {},
            {{"filter", random_weight({5, 2 * 2 * 6}, rng, -0.5f, 0.5f)},
             {"bias", random_weight({5}, rng, -0.1f, 0.1f)}},
            "fc");
  x = b.add(OpType::kL2Normalize, {x}, {}, {}, "l2");
  b.mark_output(x);
  return b.finish();
}

std::vector<float> random_input(const Shape& s, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(s.size());
  for (float& v : x) v = u(rng);
  return x;
}

TEST(TrainableNetwork, SimdForwardMatchesReferenceForward) {
  std::mt19937 rng(11);
  const Graph graph = small_branch(rng, 0.3f);
  const Shape shape{4, 8, 8, 3};
  const std::vector<float> input = random_input(shape, rng);
  for (bool training : {false, true}) {
    TrainableNetwork simd(graph, shape, TrainingKernels::kSimd);
    TrainableNetwork ref(graph, shape, TrainingKernels::kReference);
    const float* a = simd.forward(input.data(), training, 5);
    const float* b = ref.forward(input.data(), training, 5);
    for (std::size_t i = 0; i < simd.output_shape().size(); ++i) {
      EXPECT_NEAR(a[i], b[i], 1e-5) << "training " << training << " element " << i;
    }
  }
}

// Runs `backward` with every weight gradient pre-filled with infinity (backward must assign each
// one), then compares each with the central difference of `loss` (which runs the forward).
template <typename Loss, typename Backward>
void expect_gradients_match_central_differences(TrainableNetwork& net, Loss loss,
                                                Backward backward) {
  std::vector<TrainableWeight> weights = net.weights();
  for (TrainableWeight& w : weights) {
    std::fill(const_cast<float*>(w.grad), const_cast<float*>(w.grad) + w.size,
              std::numeric_limits<float>::infinity());
  }
  loss();
  backward();
  const double h = 1e-3;
  for (TrainableWeight& w : weights) {
    const std::vector<float> grad(w.grad, w.grad + w.size);
    for (std::size_t i = 0; i < w.size; ++i) {
      const float keep = w.value[i];
      w.value[i] = static_cast<float>(keep + h);
      const double up = loss();
      w.value[i] = static_cast<float>(keep - h);
      const double down = loss();
      w.value[i] = keep;
      const double numeric = (up - down) / (2 * h);
      ASSERT_NEAR(grad[i], numeric, 3e-3 * (1.0 + std::fabs(numeric))) << w.name << "[" << i << "]";
    }
  }
}

TEST(TrainableNetwork, WeightGradientsMatchCentralDifferences) {
  std::mt19937 rng(12);
  const Shape shape{3, 8, 8, 3};
  TrainableNetwork net(small_branch(rng, 0.25f), shape, TrainingKernels::kReference);
  const std::vector<float> input = random_input(shape, rng);
  const std::vector<float> readout = random_input(net.output_shape(), rng);
  auto loss = [&] {
    const float* y = net.forward(input.data(), true, 99);
    double sum = 0.0;
    for (std::size_t i = 0; i < readout.size(); ++i) sum += double{y[i]} * readout[i];
    return sum;
  };
  ASSERT_EQ(net.weights().size(),
            8u);  // conv 2, bn 2 (not its running statistics), prelu, dw, fc 2
  expect_gradients_match_central_differences(net, loss, [&] { net.backward(readout.data()); });
}

// A loss on an inner value as well as on the output (feature hints): backward adds its gradient
// to what flows back through that value.
TEST(TrainableNetwork, InnerGradientsJoinTheOutputs) {
  std::mt19937 rng(12);
  const Shape shape{3, 8, 8, 3};
  TrainableNetwork net(small_branch(rng, 0.25f), shape, TrainingKernels::kReference);
  const int inner = net.find_value("bn");
  ASSERT_GE(inner, 0);
  EXPECT_EQ(net.find_value("no such value"), -1);
  EXPECT_EQ(net.value_shape(inner), (Shape{3, 4, 4, 6}));
  const std::vector<float> input = random_input(shape, rng);
  const std::vector<float> readout = random_input(net.output_shape(), rng);
  const std::vector<float> inner_readout = random_input(net.value_shape(inner), rng);
  auto loss = [&] {
    const float* y = net.forward(input.data(), true, 99);
    const float* v = net.value(inner);
    double sum = 0.0;
    for (std::size_t i = 0; i < readout.size(); ++i) sum += double{y[i]} * readout[i];
    for (std::size_t i = 0; i < inner_readout.size(); ++i) sum += double{v[i]} * inner_readout[i];
    return sum;
  };
  expect_gradients_match_central_differences(net, loss, [&] {
    net.backward(readout.data(), {{inner, inner_readout.data()}});
  });
  EXPECT_THROW(net.backward(readout.data(), {{12345, inner_readout.data()}}), Error);
}

TEST(TrainableNetwork, FrozenNodesGetNoGradientAndBackwardNeedsTrainingForward) {
  std::mt19937 rng(13);
  TrainableNetwork net(small_branch(rng, 0.0f), Shape{2, 8, 8, 3});
  net.freeze([](const std::string& name) { return name == "conv" || name == "bn"; });
  for (const TrainableWeight& w : net.weights()) {
    EXPECT_NE(w.name.rfind("conv/", 0), 0u) << w.name;
    EXPECT_NE(w.name.rfind("bn/", 0), 0u) << w.name;
  }
  const std::vector<float> input = random_input(net.input_shape(), rng);
  net.forward(input.data(), false);
  std::vector<float> grad(net.output_shape().size(), 1.0f);
  EXPECT_THROW(net.backward(grad.data()), Error);
}

TEST(TrainableNetwork, FoldedExportRunsLikeInferenceModeOnEveryBackend) {
  std::mt19937 rng(14);
  const Shape shape{2, 8, 8, 3};
  TrainableNetwork net(small_branch(rng, 0.5f), shape);
  const std::vector<float> input = random_input(shape, rng);
  // A few training forwards move the running statistics away from their start.
  for (int i = 0; i < 3; ++i) net.forward(input.data(), true, i);
  const float* inference = net.forward(input.data(), false);
  const std::vector<float> expected(inference, inference + net.output_shape().size());
  auto model = std::make_shared<Model>();
  model->graph = fold_training_ops(net.graph());
  EXPECT_FALSE(has_training_ops(model->graph));
  model->metadata.name = "folded";
  model->metadata.input_height = 8;
  model->metadata.input_width = 8;
  model->metadata.input_channels = 3;
  for (Backend backend : available_backends()) {
    Network run(model, {backend, 2, 1});
    Tensor in(run.input_shape());
    std::copy(input.begin(), input.end(), in.data());
    const Tensor& out = run.run(in)[0];
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_NEAR(out[i], expected[i], 2e-5) << backend_name(backend) << " element " << i;
    }
  }
}

}  // namespace
}  // namespace fu::nn
