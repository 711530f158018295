// Per-node timing of the node-by-node backends (what bench/model_bench --profile reads): off
// until asked for, one entry per plan node once on, and it never changes what a network
// computes. XNNPACK runs its subgraph as one call and says so by refusing. Nothing here asserts
// a duration beyond it being a real, non-negative number.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>

#include "nn/network.h"
#include "nn/sample_networks.h"

namespace fu::nn {
namespace {

Tensor random_input(const Shape& shape) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor t(shape);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = dist(rng);
  return t;
}

TEST(NodeTimingTest, OwnBackendsTimeEveryNodeWithoutChangingResults) {
  const auto model = std::make_shared<const Model>(make_sample_network("mobilefacenet", 5));
  for (Backend backend : {Backend::kSimd, Backend::kReference}) {
    SCOPED_TRACE(backend_name(backend));
    NetworkOptions options;
    options.backend = backend;
    Network timed(model, options);
    Network plain(model, options);
    const Tensor x = random_input(timed.input_shape());
    timed.run(x);
    EXPECT_TRUE(timed.node_milliseconds().empty()) << "timing must be off until enabled";
    ASSERT_TRUE(timed.enable_node_timing());
    const std::vector<Tensor> got = timed.run(x);
    const std::vector<double> ms = timed.node_milliseconds();
    ASSERT_EQ(ms.size(), timed.plan().nodes.size());
    for (double m : ms) EXPECT_TRUE(std::isfinite(m) && m >= 0.0) << m;
    const std::vector<Tensor> want = plain.run(x);
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t k = 0; k < want.size(); ++k) {
      ASSERT_EQ(got[k].size(), want[k].size());
      for (std::size_t i = 0; i < want[k].size(); ++i) ASSERT_EQ(got[k][i], want[k][i]) << i;
    }
  }
}

TEST(NodeTimingTest, XnnpackRefusesNodeTiming) {
  if (!backend_available(Backend::kXnnpack)) GTEST_SKIP() << "this build has no XNNPACK backend";
  NetworkOptions options;
  options.backend = Backend::kXnnpack;
  Network network(std::make_shared<const Model>(make_sample_network("conv3x3", 5)), options);
  EXPECT_FALSE(network.enable_node_timing());
  network.run(random_input(network.input_shape()));
  EXPECT_TRUE(network.node_milliseconds().empty());
}

}  // namespace
}  // namespace fu::nn
