#include "nn/quantize_graph.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "nn/graph_builder.h"

namespace fu::nn {
namespace {

TEST(QuantizeGraph, RangesAreMinMaxOrTheMeanOfEachSamplesExtremes) {
  GraphBuilder b(Shape{1, 1, 1, 3});
  const int y = b.add(OpType::kGlobalAvgPool, {b.input()});
  b.mark_output(y);
  ValueRangeRecorder recorder(b.finish(), Shape{1, 1, 1, 3}, Backend::kReference);
  Tensor x(Shape{1, 1, 1, 3});
  x[0] = -1.0f, x[1] = 2.0f, x[2] = 0.5f;
  recorder.observe(x);
  x[0] = -3.0f, x[1] = 0.0f, x[2] = 4.0f;
  recorder.observe(x);
  const std::vector<ValueRange> min_max = recorder.ranges(RangeRule::kMinMax);
  EXPECT_EQ(min_max[0].min, -3.0f);
  EXPECT_EQ(min_max[0].max, 4.0f);
  const std::vector<ValueRange> mean = recorder.ranges(RangeRule::kMeanOfExtremes);
  EXPECT_EQ(mean[0].min, -2.0f);
  EXPECT_EQ(mean[0].max, 3.0f);
  EXPECT_EQ(recorder.samples(), 2);
}

TEST(QuantizeGraph, QuantParamsCoverZeroExactly) {
  const QuantParams q = quant_params_for_range(ValueRange{0.5f, 2.0f});  // widened to [0, 2]
  EXPECT_FLOAT_EQ(q.scale, 2.0f / 255.0f);
  EXPECT_EQ(q.zero_point, -128);
  const QuantParams s = quant_params_for_range(ValueRange{-1.0f, 1.0f});
  // -128 - (-1 / (2 / 255)) is -0.5 up to float rounding: either neighbour.
  EXPECT_TRUE(s.zero_point == 0 || s.zero_point == -1) << s.zero_point;
  const QuantParams d = quant_params_for_range(ValueRange{});  // never observed
  EXPECT_GT(d.scale, 0.0f);
}

TEST(QuantizeGraph, SevenBitLevelsAreTheNonNegativeBytes) {
  // A ReLU's range: 0 is level 0 and the maximum level 127.
  const QuantParams relu = quant_params_for_range(ValueRange{0.25f, 2.0f}, 7);
  EXPECT_FLOAT_EQ(relu.scale, 2.0f / 127.0f);
  EXPECT_EQ(relu.zero_point, 0);
  // A signed range: its minimum at level 0, its maximum at 127, 0 exact in between.
  const QuantParams s = quant_params_for_range(ValueRange{-1.0f, 3.0f}, 7);
  EXPECT_FLOAT_EQ(s.scale, 4.0f / 127.0f);
  EXPECT_EQ(s.zero_point, 32);  // 1 / (4 / 127) = 31.75
  EXPECT_GE(-1.0f / s.scale + s.zero_point, -0.5f);
  EXPECT_LE(3.0f / s.scale + s.zero_point, 127.5f);
  EXPECT_THROW(quant_params_for_range(ValueRange{0.0f, 1.0f}, 6), Error);
}

int count_ops(const Graph& g, OpType op) {
  int n = 0;
  for (const Node& node : g.nodes) n += node.op == op;
  return n;
}

Weight filled(std::vector<int> dims, float value) {
  Weight w;
  w.dims = std::move(dims);
  w.data.assign(w.element_count(), value);
  return w;
}

// Zero pads between int8 nodes stay int8 on their input's grid, with no dequantize / quantize
// pair around them; a pad of the float graph input, or with another fill value, stays float.
TEST(QuantizeGraph, ZeroPadsContinueInt8ChainsOnTheirInputsGrid) {
  const Shape shape{1, 4, 4, 2};
  GraphBuilder b(shape);
  Attributes spatial;
  spatial.set("pad_top", 1);
  spatial.set("pad_left", 1);
  const int padded_input = b.add(OpType::kPad, {b.input()}, spatial);
  const int conv = b.add(OpType::kConv2d, {padded_input}, window_attributes(1, 1, "valid"),
                         {{"filter", filled({2, 1, 1, 2}, 0.5f)}});
  Attributes channels;
  channels.set("pad_channels_after", 2);
  const int padded = b.add(OpType::kPad, {conv}, channels);
  Attributes ones = channels;
  ones.set("value", 1.0);
  const int padded_ones = b.add(OpType::kPad, {conv}, ones);
  const int sum = b.add(OpType::kAdd, {padded, padded_ones});
  b.mark_output(sum);
  const Graph graph = b.finish();
  ValueRangeRecorder recorder(graph, shape, Backend::kReference);
  Tensor x(shape);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) - 3.0f;
  recorder.observe(x);
  const Graph q = quantize_graph(graph, recorder.ranges());
  int int8_pads = 0;
  for (const Node& n : q.nodes) {
    if (n.op != OpType::kPad) continue;
    const bool int8 = q.quantized_values.count(n.output) > 0;
    int8_pads += int8;
    if (!int8) continue;
    EXPECT_EQ(q.quantized_values.at(n.output).scale, q.quantized_values.at(n.inputs[0]).scale);
    EXPECT_EQ(q.quantized_values.at(n.output).zero_point,
              q.quantized_values.at(n.inputs[0]).zero_point);
  }
  EXPECT_EQ(int8_pads, 1);
  // Quantize: after the input pad, and after the ones pad; dequantize: the conv output read by
  // the ones pad, and the graph output.
  EXPECT_EQ(count_ops(q, OpType::kQuantize), 2);
  EXPECT_EQ(count_ops(q, OpType::kDequantize), 2);
}

}  // namespace
}  // namespace fu::nn
