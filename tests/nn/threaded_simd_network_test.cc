// Whole sample networks on the own SIMD backend compute the same bits with 1, 2 and 3 threads,
// in float and in their int8 form; and asking for no threads is a clear error.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "base/error.h"
#include "nn/graph_passes.h"
#include "nn/network.h"
#include "nn/quantize_graph.h"
#include "nn/sample_networks.h"

namespace fu::nn {
namespace {

Tensor random_input(const Shape& shape, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor t(shape);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = dist(rng);
  return t;
}

std::shared_ptr<const Model> int8_form(const Model& float_model) {
  const Graph folded = fold_scale_bias_and_clamps(float_model.graph);
  const Shape shape = float_model.metadata.input_shape(1);
  ValueRangeRecorder recorder(folded, shape, Backend::kSimd);
  for (std::uint32_t seed = 0; seed < 2; ++seed) recorder.observe(random_input(shape, seed));
  Model q = float_model;
  q.graph = quantize_graph(folded, recorder.ranges());
  return std::make_shared<const Model>(std::move(q));
}

void expect_same_bits_on_threads(const std::shared_ptr<const Model>& model, const char* what) {
  const Tensor x = random_input(model->metadata.input_shape(1), 42);
  Network one(model, {Backend::kSimd, 1, 1});
  const std::vector<Tensor> expected = one.run(x);
  for (int threads : {2, 3}) {
    Network many(model, {Backend::kSimd, 1, threads});
    for (int round = 0; round < 2; ++round) {
      const std::vector<Tensor>& actual = many.run(x);
      ASSERT_EQ(actual.size(), expected.size());
      for (std::size_t o = 0; o < actual.size(); ++o) {
        ASSERT_EQ(actual[o].shape(), expected[o].shape());
        EXPECT_EQ(
            std::memcmp(actual[o].data(), expected[o].data(), expected[o].size() * sizeof(float)),
            0)
            << what << " output " << o << " on " << threads << " threads, round " << round;
      }
    }
  }
}

TEST(ThreadedSimdNetwork, SampleNetworksAreBitIdenticalOnEveryThreadCount) {
  for (const char* name : {"resnet", "mobilefacenet", "blazeface"}) {
    const Model float_model = make_sample_network(name, 3);
    expect_same_bits_on_threads(std::make_shared<const Model>(float_model), name);
    expect_same_bits_on_threads(int8_form(float_model), (std::string(name) + " int8").c_str());
  }
}

TEST(ThreadedSimdNetwork, RejectsFewerThanOneThread) {
  const auto model = std::make_shared<const Model>(make_sample_network("conv1x1"));
  try {
    Network network(model, {Backend::kSimd, 1, 0});
    ADD_FAILURE() << "accepted 0 threads";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("threads 0"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fu::nn
