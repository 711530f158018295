#include "train/quantize_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "base/error.h"
#include "nn/float16.h"
#include "nn/graph_builder.h"
#include "nn/network.h"
#include "train/data_test_support.h"

namespace fu::train {
namespace {

using testing::ramp;
using testing::random_weight;

// Checks the int8 copy `q` of `graph`: its zero points on the levels of `bits`, scale_bias and
// ReLU folded, convolutions int8, float weights stored as float16, and on a probe that was not a
// calibration input, an embedding within cosine 0.99 of the float graph's.
void expect_close_int8_copy(const nn::Graph& graph, const nn::Shape& shape, const nn::Graph& q,
                            int bits);

TEST(QuantizeModel, FoldsScaleBiasAndReluAndStaysCloseToFloat) {
  const nn::Shape shape{1, 12, 12, 3};
  nn::GraphBuilder b(shape);
  int x = b.add(nn::OpType::kConv2d, {0}, nn::window_attributes(3, 2, "same"),
                {{"filter", random_weight({16, 3, 3, 3}, 0.4f, 1)}});
  x = b.add(nn::OpType::kScaleBias, {x}, {},
            {{"scale", random_weight({16}, 1.0f, 2)}, {"bias", random_weight({16}, 0.2f, 3)}});
  x = b.add(nn::OpType::kRelu, {x});
  const int y = b.add(nn::OpType::kConv2d, {x}, nn::window_attributes(1, 1, "valid"),
                      {{"filter", random_weight({16, 1, 1, 16}, 0.3f, 4)}});
  x = b.add(nn::OpType::kAdd, {x, y});
  x = b.add(nn::OpType::kPRelu, {x}, {}, {{"slope", random_weight({16}, 0.3f, 5)}});
  x = b.add(nn::OpType::kGlobalAvgPool, {x});
  x = b.add(nn::OpType::kFullyConnected, {x}, {}, {{"filter", random_weight({8, 16}, 0.5f, 6)}});
  b.mark_output(b.add(nn::OpType::kL2Normalize, {x}));
  const nn::Graph graph = b.finish();

  std::vector<nn::Tensor> inputs;
  for (int i = 0; i < 8; ++i) inputs.push_back(ramp(shape, 0.5f * i));
  for (int bits : {8, 7}) {
    SCOPED_TRACE(std::to_string(bits) + "-bit activations");
    nn::QuantizeGraphOptions options;
    options.activation_bits = bits;
    expect_close_int8_copy(
        graph, shape, quantize_with_inputs(graph, shape, inputs, nn::Backend::kReference, options),
        bits);
  }
}

void expect_close_int8_copy(const nn::Graph& graph, const nn::Shape& shape, const nn::Graph& q,
                            int bits) {
  for (const auto& [value, quant] : q.quantized_values) {
    EXPECT_GE(quant.zero_point, bits == 8 ? -128 : 0) << q.values[value];
  }
  int int8_convs = 0;
  for (const nn::Node& n : q.nodes) {
    EXPECT_NE(n.op, nn::OpType::kScaleBias);
    EXPECT_NE(n.op, nn::OpType::kRelu);
    if (n.op == nn::OpType::kConv2d) {
      ++int8_convs;
      EXPECT_EQ(n.weight("filter")->type, nn::WeightType::kQs8);
    }
    // What stays float is stored as float16.
    if (n.op == nn::OpType::kPRelu) {
      for (float v : n.weight("slope")->data) EXPECT_TRUE(nn::is_exact_half(v));
    }
  }
  EXPECT_EQ(int8_convs, 2);

  nn::Model fm, qm;
  fm.metadata.input_height = qm.metadata.input_height = 12;
  fm.metadata.input_width = qm.metadata.input_width = 12;
  fm.metadata.input_channels = qm.metadata.input_channels = 3;
  fm.graph = graph;
  qm.graph = q;
  nn::Network f(std::make_shared<const nn::Model>(fm), {nn::Backend::kReference, 1, 1});
  nn::Network n(std::make_shared<const nn::Model>(qm), {nn::Backend::kReference, 1, 1});
  const nn::Tensor probe = ramp(shape, 0.77f);  // not a calibration input
  const nn::Tensor a = f.run(probe)[0];
  const nn::Tensor& c = n.run(probe)[0];
  double dot = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) dot += a[i] * c[i];  // both unit length
  EXPECT_GT(dot, 0.99);
}

TEST(QuantizeModel, CalibratesOnAlignedFacesAndRecordsWhereFrom) {
  testing::TempDir dir;
  for (int person = 0; person < 3; ++person) {
    for (int k = 0; k < 2; ++k) {
      testing::write_png(dir / ("p" + std::to_string(person) + "/" + std::to_string(k) + ".png"),
                         testing::uniform(40, 40, static_cast<std::uint8_t>(60 + 50 * person),
                                          static_cast<std::uint8_t>(200 - 30 * k), 90));
    }
  }
  const auto model = face::testing::fake_embedder("fake");
  QuantizeModelOptions o;
  o.source_name = "fake.fum";
  o.calibration_roots = {dir.path()};
  o.dataset.mode = DatasetMode::kAligned;
  o.dataset.backend = nn::Backend::kReference;
  o.samples = 4;
  const QuantizedModel q = quantize_model(*model, o);
  EXPECT_EQ(q.chips, 4);
  EXPECT_EQ(q.model.metadata.name, "fake-int8");
  EXPECT_NE(q.model.metadata.provenance.find("from fake.fum"), std::string::npos);
  EXPECT_NE(q.model.metadata.provenance.find(dir.path()), std::string::npos);
  EXPECT_EQ(q.model.metadata.properties.at("embedder.threshold"), "0.6");
  EXPECT_FALSE(q.model.graph.quantized_values.empty());
  // Agreement is measured on every chip there is (6 < the default 100), float against int8.
  EXPECT_EQ(q.agreement.chips, 6);
  EXPECT_GT(q.agreement.min_cosine, 0.5);
  EXPECT_LE(q.agreement.min_cosine, q.agreement.mean_cosine);
  EXPECT_LE(q.agreement.mean_cosine, 1.0 + 1e-9);
  // It saves and loads as any model does.
  const std::vector<std::uint8_t> bytes = nn::serialize_model(q.model);
  EXPECT_NO_THROW(nn::parse_model(bytes.data(), bytes.size(), "int8"));

  try {
    quantize_model(q.model, o);
    FAIL() << "an int8 model was quantised again";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("int8 already"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fu::train
