#include "nn/quantize_graph.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace fu::nn
