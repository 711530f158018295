// Network's inference rewrite (inference_model): a scale_bias after a convolution is multiplied
// into it at load, so the float network runs one pass per convolution, as its int8 copy does, and
// computes what the graph as written computes, up to float rounding.
#include "nn/network.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "nn/executor.h"
#include "nn/graph_builder.h"
#include "nn/operators/test_util.h"
#include "nn/plan.h"

namespace fu::nn {
namespace {

using testing::random_vector;

Weight random_weight(std::vector<int> dims, unsigned seed, float lo = -1.0f, float hi = 1.0f) {
  std::size_t n = 1;
  for (int d : dims) n *= d;
  return Weight(std::move(dims), random_vector(n, seed, lo, hi));
}

// input -> conv -> scale_bias -> relu -> conv (no bias) -> scale_bias -> add(input) -> scale_bias
// The last scale_bias follows an add, which nothing folds into.
std::shared_ptr<const Model> residual_model(bool trailing_scale_bias) {
  const int c = 8;
  GraphBuilder b(Shape{1, 6, 5, c});
  int x = b.add(OpType::kConv2d, {b.input()}, window_attributes(3, 1, "same"),
                {{"filter", random_weight({c, 3, 3, c}, 1)}, {"bias", random_weight({c}, 2)}});
  x = b.add(OpType::kScaleBias, {x}, {},
            {{"scale", random_weight({c}, 3, 0.5f, 2.0f)}, {"bias", random_weight({c}, 4)}});
  x = b.add(OpType::kRelu, {x});
  x = b.add(OpType::kConv2d, {x}, window_attributes(3, 1, "same"),
            {{"filter", random_weight({c, 3, 3, c}, 5)}});
  x = b.add(OpType::kScaleBias, {x}, {},
            {{"scale", random_weight({c}, 6, -2.0f, 2.0f)}, {"bias", random_weight({c}, 7)}});
  x = b.add(OpType::kAdd, {x, b.input()});
  if (trailing_scale_bias) {
    x = b.add(OpType::kScaleBias, {x}, {},
              {{"scale", random_weight({c}, 8)}, {"bias", random_weight({c}, 9)}});
  }
  b.mark_output(x);
  auto model = std::make_shared<Model>();
  model->metadata.name = "residual";
  model->metadata.input_height = 6;
  model->metadata.input_width = 5;
  model->metadata.input_channels = c;
  model->graph = b.finish();
  return model;
}

int count_of(const Plan& plan, OpType op) {
  return static_cast<int>(std::count_if(plan.nodes.begin(), plan.nodes.end(),
                                        [op](const PlannedNode& n) { return n.op == op; }));
}

int count_of(const Graph& graph, OpType op) {
  return static_cast<int>(std::count_if(graph.nodes.begin(), graph.nodes.end(),
                                        [op](const Node& n) { return n.op == op; }));
}

TEST(NetworkTest, FoldsScaleBiasIntoConvolutionsAndComputesTheSame) {
  for (bool trailing : {false, true}) {
    SCOPED_TRACE(trailing ? "with a scale_bias after the add" : "without");
    const std::shared_ptr<const Model> model = residual_model(trailing);
    Tensor input(model->metadata.input_shape());
    const std::vector<float> values = random_vector(input.size(), 10, -2.0f, 2.0f);
    std::copy(values.begin(), values.end(), input.data());

    // The graph as written, planned and run on the reference backend without any rewrite.
    const Plan written = make_plan(model->graph, input.shape());
    const std::unique_ptr<Executor> reference = create_executor(Backend::kReference, written);
    reference->run(input);
    const Tensor& expected = reference->outputs()[0];

    for (Backend backend : available_backends()) {
      SCOPED_TRACE(backend_name(backend));
      Network net(model, NetworkOptions{backend, 1, 1});
      // Only the scale_bias after the add stays; the model given is left as it was.
      EXPECT_EQ(count_of(net.plan(), OpType::kScaleBias), trailing ? 1 : 0);
      EXPECT_EQ(count_of(net.plan(), OpType::kConv2d), 2);
      EXPECT_EQ(count_of(model->graph, OpType::kScaleBias), trailing ? 3 : 2);
      EXPECT_NE(net.shared_model(), model);
      EXPECT_EQ(net.model().metadata.name, "residual");
      const Tensor& actual = net.run(input)[0];
      ASSERT_EQ(actual.size(), expected.size());
      float largest = 0.0f;
      for (std::size_t i = 0; i < expected.size(); ++i) {
        largest = std::max(largest, std::abs(expected[i]));
      }
      for (std::size_t i = 0; i < expected.size(); ++i) {
        ASSERT_NEAR(actual[i], expected[i], 2e-5f * (1.0f + largest)) << "at " << i;
      }
      // A network made from the folded model shares it: no second copy of the weights.
      Network again(net.shared_model(), NetworkOptions{backend, 1, 1});
      EXPECT_EQ(again.shared_model(), net.shared_model());
    }
  }
}

TEST(NetworkTest, KeepsAModelWithNothingToFold) {
  GraphBuilder b(Shape{1, 4, 4, 3});
  const int x = b.add(OpType::kConv2d, {b.input()}, window_attributes(3, 1, "same"),
                      {{"filter", random_weight({4, 3, 3, 3}, 11)}});
  b.mark_output(b.add(OpType::kRelu, {x}));
  auto model = std::make_shared<Model>();
  model->metadata.input_height = model->metadata.input_width = 4;
  model->metadata.input_channels = 3;
  model->graph = b.finish();
  const std::shared_ptr<const Model> given = model;
  EXPECT_EQ(inference_model(given), given);
  EXPECT_EQ(Network(given).shared_model(), given);
  EXPECT_EQ(inference_model(nullptr), nullptr);
}

}  // namespace
}  // namespace fu::nn
