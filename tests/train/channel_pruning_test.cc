#include "train/channel_pruning.h"

#include <gtest/gtest.h>

#include <cmath>

#include "base/error.h"
#include "nn/graph_builder.h"
#include "nn/network.h"
#include "nn/sample_networks.h"
#include "train/data_test_support.h"

namespace fu::train {
namespace {

using testing::ramp;
using testing::random_weight;

// A residual network shaped like dlib's (a stem, an identity block, a down-sampling block whose
// shortcut pools and appends zero channels, global pooling, a projection), in which every odd
// channel is dead: no layer reads it with a non-zero weight. Pruning half of every group must
// then drop exactly the odd channels and leave the embedding unchanged.
nn::Model residual_net_with_dead_odd_channels() {
  const nn::Shape shape{1, 16, 16, 3};
  nn::GraphBuilder b(shape);
  unsigned seed = 1;
  auto weight = [&](std::vector<int> dims, bool kill_odd_inputs) {
    nn::Weight w = random_weight(dims, 0.5f, seed++);
    if (kill_odd_inputs) {
      const int in = dims.back();
      for (std::size_t i = 0; i < w.data.size(); ++i) {
        if ((i % in) % 2 == 1) w.data[i] = 0.0f;
      }
    }
    return w;
  };
  auto conv_scale = [&](int x, int in, int out, int stride, bool kill, bool relu) {
    x = b.add(nn::OpType::kConv2d, {x}, nn::window_attributes(3, stride, "same"),
              {{"filter", weight({out, 3, 3, in}, kill)}, {"bias", weight({out}, false)}});
    nn::Weight bias = random_weight({out}, 0.1f, seed++);
    for (float& v : bias.data) v += 0.2f;  // keeps channels active after the ReLU
    x = b.add(nn::OpType::kScaleBias, {x}, {},
              {{"scale", random_weight({out}, 1.0f, seed++)}, {"bias", bias}});
    return relu ? b.add(nn::OpType::kRelu, {x}) : x;
  };
  int x = conv_scale(b.input(), 3, 8, 1, false, true);
  int y = conv_scale(conv_scale(x, 8, 8, 1, true, true), 8, 8, 1, true, false);
  x = b.add(nn::OpType::kRelu, {b.add(nn::OpType::kAdd, {y, x})});
  y = conv_scale(conv_scale(x, 8, 16, 2, true, true), 16, 16, 1, true, false);
  nn::Attributes pad;
  pad.set("pad_channels_after", 8);
  int shortcut = b.add(nn::OpType::kAvgPool2d, {x}, nn::window_attributes(2, 2, "valid"));
  shortcut = b.add(nn::OpType::kPad, {shortcut}, pad);
  x = b.add(nn::OpType::kRelu, {b.add(nn::OpType::kAdd, {y, shortcut})});
  x = b.add(nn::OpType::kGlobalAvgPool, {x});
  x = b.add(nn::OpType::kFullyConnected, {x}, {}, {{"filter", weight({6, 16}, true)}});
  b.mark_output(b.add(nn::OpType::kL2Normalize, {x}));
  nn::Model model;
  model.graph = b.finish();
  model.metadata.name = "dead-odd";
  model.metadata.input_height = shape.h;
  model.metadata.input_width = shape.w;
  model.metadata.input_channels = shape.c;
  model.metadata.output_kind = "embedding";
  return model;
}

std::vector<nn::Tensor> inputs_for(const nn::Model& m, int count) {
  std::vector<nn::Tensor> out;
  for (int i = 0; i < count; ++i) out.push_back(ramp(m.metadata.input_shape(), 0.7f * i));
  return out;
}

std::vector<float> embed(const nn::Model& m, const nn::Tensor& x) {
  nn::Network net(std::make_shared<const nn::Model>(m), {nn::Backend::kReference, 1, 1});
  const nn::Tensor& y = net.run(x).front();
  return std::vector<float>(y.data(), y.data() + y.size());
}

TEST(ChannelPruning, DropsTheDeadHalfAndKeepsTheEmbedding) {
  const nn::Model model = residual_net_with_dead_odd_channels();
  ChannelPruningOptions options;
  options.multiple = 1;
  options.backend = nn::Backend::kReference;
  const PrunedModel pruned = prune_channels(model, inputs_for(model, 4), options);

  // Stem and identity block share one stream (8 -> 4), the first block's inner group (8 -> 4),
  // the down block's inner group (16 -> 8) and its stream (16 -> 8).
  ASSERT_EQ(pruned.groups.size(), 4u);
  int streams = 0;
  for (const PrunedGroup& g : pruned.groups) {
    EXPECT_EQ(g.kept * 2, g.channels) << g.value;
    streams += g.stream ? 1 : 0;
  }
  EXPECT_EQ(streams, 2);
  EXPECT_LT(pruned.multiply_adds_after * 3, pruned.multiply_adds_before);
  // The channel pad became a 1x1 routing convolution.
  int pads = 0;
  for (const nn::Node& n : pruned.model.graph.nodes) pads += n.op == nn::OpType::kPad ? 1 : 0;
  EXPECT_EQ(pads, 0);

  for (const nn::Tensor& x : inputs_for(model, 3)) {
    const std::vector<float> before = embed(model, x);
    const std::vector<float> after = embed(pruned.model, x);
    ASSERT_EQ(before.size(), after.size());
    for (std::size_t i = 0; i < before.size(); ++i) EXPECT_NEAR(before[i], after[i], 1e-5f) << i;
  }
}

TEST(ChannelPruning, LiveChannelsChangeTheEmbeddingWhenDropped) {
  // The same network with its odd channels alive again: pruning half now loses information,
  // so the test above cannot pass by accident of a pruner that keeps every channel.
  nn::Model model = residual_net_with_dead_odd_channels();
  for (nn::Node& n : model.graph.nodes) {
    if (n.op != nn::OpType::kConv2d && n.op != nn::OpType::kFullyConnected) continue;
    nn::Weight& w = n.weights["filter"];
    for (float& v : w.data) v = v == 0.0f ? 0.3f : v;
  }
  ChannelPruningOptions options;
  options.multiple = 1;
  options.backend = nn::Backend::kReference;
  const PrunedModel pruned = prune_channels(model, inputs_for(model, 4), options);
  const nn::Tensor x = ramp(model.metadata.input_shape(), 0.1f);
  const std::vector<float> before = embed(model, x);
  const std::vector<float> after = embed(pruned.model, x);
  double change = 0;
  for (std::size_t i = 0; i < before.size(); ++i) change += std::fabs(before[i] - after[i]);
  EXPECT_GT(change, 1e-3);
}

TEST(ChannelPruning, RefittingBringsTheNarrowerNetworkCloserToTheOriginal) {
  nn::Model model = residual_net_with_dead_odd_channels();
  for (nn::Node& n : model.graph.nodes) {
    if (n.op != nn::OpType::kConv2d && n.op != nn::OpType::kFullyConnected) continue;
    for (float& v : n.weights["filter"].data) v = v == 0.0f ? 0.2f : v;
  }
  ChannelPruningOptions options;
  options.multiple = 1;
  options.backend = nn::Backend::kReference;
  const std::vector<nn::Tensor> inputs = inputs_for(model, 24);
  const nn::Model sliced = prune_channels(model, inputs, options).model;
  options.reconstruct_inputs = 24;
  const nn::Model refitted = prune_channels(model, inputs, options).model;
  // Measured on inputs neither saw.
  double sliced_error = 0, refitted_error = 0;
  for (int i = 0; i < 6; ++i) {
    const nn::Tensor x = ramp(model.metadata.input_shape(), 0.35f + 0.7f * i);
    const std::vector<float> want = embed(model, x);
    const std::vector<float> a = embed(sliced, x);
    const std::vector<float> b = embed(refitted, x);
    for (std::size_t k = 0; k < want.size(); ++k) {
      sliced_error += (a[k] - want[k]) * (a[k] - want[k]);
      refitted_error += (b[k] - want[k]) * (b[k] - want[k]);
    }
  }
  EXPECT_LT(refitted_error, 0.5 * sliced_error)
      << "sliced " << sliced_error << ", refitted " << refitted_error;
}

TEST(ChannelPruning, NarrowsTheResnetShapeToAQuarterOfItsCost) {
  const nn::Model model = nn::make_sample_network("resnet", 3);
  ChannelPruningOptions options;
  options.stream_width = 0.5;
  options.inner_width = 0.4;
  const PrunedModel pruned = prune_channels(model, inputs_for(model, 2), options);
  EXPECT_LT(pruned.multiply_adds_after * 4, pruned.multiply_adds_before);
  for (const PrunedGroup& g : pruned.groups) EXPECT_EQ(g.kept % 4, 0) << g.value;
  nn::Network net(std::make_shared<const nn::Model>(pruned.model));
  const nn::Tensor& y = net.run(ramp(model.metadata.input_shape(), 0.0f)).front();
  EXPECT_EQ(y.size(), 128u);
  double norm = 0;
  for (std::size_t i = 0; i < y.size(); ++i) norm += static_cast<double>(y[i]) * y[i];
  EXPECT_NEAR(norm, 1.0, 1e-4);
}

TEST(ChannelPruning, RefusesWhatItCannotPrune) {
  const nn::Model model = residual_net_with_dead_odd_channels();
  ChannelPruningOptions options;
  options.stream_width = 0.0;
  EXPECT_THROW(prune_channels(model, inputs_for(model, 1), options), Error);
  options.stream_width = 1.0;
  options.inner_width = 1.0;
  try {
    prune_channels(model, inputs_for(model, 1), options);
    FAIL() << "nothing to narrow at width 1";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no channel group"), std::string::npos) << e.what();
  }
  options.inner_width = 0.5;
  EXPECT_THROW(prune_channels(model, {}, options), Error);
  EXPECT_THROW(prune_channels(model, {nn::Tensor(nn::Shape{1, 8, 8, 3})}, options), Error);
}

}  // namespace
}  // namespace fu::train
