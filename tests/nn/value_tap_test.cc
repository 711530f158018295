#include "nn/value_tap.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "nn/graph_builder.h"

namespace fu::nn {
namespace {

// x -> scale_bias (times -1) -> relu: the tap sees the negative values before the clamp, which a
// planner fusing the ReLU into the node before it would never write out.
TEST(ValueTap, ObservesEveryValueBeforeClampsAndTheInput) {
  GraphBuilder b(Shape{1, 1, 2, 1});
  const int negated = b.add(OpType::kScaleBias, {b.input()}, {},
                            {{"scale", Weight({1}, {-1.0f})}, {"bias", Weight({1}, {0.0f})}});
  const int clamped = b.add(OpType::kRelu, {negated});
  b.mark_output(clamped);
  ValueTap tap(b.finish(), Shape{1, 1, 2, 1}, Backend::kSimd);
  Tensor x(Shape{1, 1, 2, 1});
  EXPECT_THROW(tap.value(negated), Error);
  x[0] = 2.0f, x[1] = -3.0f;
  tap.run(x);
  EXPECT_EQ(tap.value(0)[1], -3.0f);
  EXPECT_EQ(tap.value(negated)[0], -2.0f);
  EXPECT_EQ(tap.value(negated)[1], 3.0f);
  EXPECT_EQ(tap.value(clamped)[0], 0.0f);
  EXPECT_EQ(tap.value(clamped)[1], 3.0f);
  EXPECT_EQ(tap.shape(clamped), (Shape{1, 1, 2, 1}));
  EXPECT_EQ(tap.graph().outputs.size(), 2u);
}

}  // namespace
}  // namespace fu::nn
