#include "nn/plan.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "nn/graph_builder.h"

namespace fu::nn {
namespace {

Weight filled(std::vector<int> dims, float value) {
  Weight w;
  w.dims = std::move(dims);
  w.data.assign(w.element_count(), value);
  return w;
}

Attributes conv_attributes(int stride, const char* padding) {
  Attributes a;
  a.set("stride_h", stride);
  a.set("stride_w", stride);
  a.set("padding", padding);
  return a;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Plan, SamePaddingFollowsTensorFlow) {
  // in 7, k 3, s 2: out 4, total padding 2 -> 1 before, 1 after.
  GraphBuilder b(Shape{1, 7, 8, 1});
  const int y = b.add(OpType::kConv2d, {b.input()}, conv_attributes(2, "same"),
                      {{"filter", filled({1, 3, 3, 1}, 1)}});
  b.mark_output(y);
  const Graph g = b.finish();
  const Plan p = make_plan(g, Shape{1, 7, 8, 1});
  EXPECT_EQ(p.shapes[y], (Shape{1, 4, 4, 1}));
  EXPECT_EQ(p.nodes[0].conv.window.padding.top, 1);
  EXPECT_EQ(p.nodes[0].conv.window.padding.bottom, 1);
  // in 8: out 4, total padding 1 -> the odd pixel goes after.
  EXPECT_EQ(p.nodes[0].conv.window.padding.left, 0);
  EXPECT_EQ(p.nodes[0].conv.window.padding.right, 1);
}

TEST(Plan, ValidPaddingShrinks) {
  GraphBuilder b(Shape{1, 9, 9, 2});
  const int y = b.add(OpType::kDepthwiseConv2d, {b.input()}, conv_attributes(2, "valid"),
                      {{"filter", filled({1, 3, 3, 2}, 1)}});
  EXPECT_EQ(b.shape(y), (Shape{1, 4, 4, 2}));
}

TEST(Plan, FusesReluIntoTheNodeBeforeWhenNothingElseReadsIt) {
  GraphBuilder b(Shape{1, 4, 4, 1});
  const int c = b.add(OpType::kConv2d, {b.input()}, {}, {{"filter", filled({2, 1, 1, 1}, 1)}});
  const int r = b.add(OpType::kRelu6, {c});
  b.mark_output(r);
  const Graph g = b.finish();
  const Plan fused = make_plan(g, Shape{1, 4, 4, 1});
  ASSERT_EQ(fused.nodes.size(), 1u);
  EXPECT_EQ(fused.nodes[0].output, r);
  EXPECT_EQ(fused.nodes[0].activation.min, 0.0f);
  EXPECT_EQ(fused.nodes[0].activation.max, 6.0f);
  PlanOptions no_fusion;
  no_fusion.fuse_activations = false;
  EXPECT_EQ(make_plan(g, Shape{1, 4, 4, 1}, no_fusion).nodes.size(), 2u);
}

TEST(Plan, DoesNotFuseWhenTheValueHasAnotherReader) {
  GraphBuilder b(Shape{1, 4, 4, 1});
  const int c = b.add(OpType::kConv2d, {b.input()}, {}, {{"filter", filled({1, 1, 1, 1}, 1)}});
  const int r = b.add(OpType::kRelu, {c});
  b.mark_output(b.add(OpType::kAdd, {c, r}));
  EXPECT_EQ(make_plan(b.finish(), Shape{1, 4, 4, 1}).nodes.size(), 3u);
}

TEST(Plan, ErrorsNameTheNodeAndTheProblem) {
  GraphBuilder b(Shape{1, 4, 4, 3});
  EXPECT_NE(
      error_of([&] {
        b.add(OpType::kConv2d, {b.input()}, {}, {{"filter", filled({8, 3, 3, 4}, 1)}}, "stem");
      }).find("node 'stem' (conv2d): filter expects 4 input channels"),
      std::string::npos);
  EXPECT_NE(error_of([&] {
              b.add(OpType::kMaxPool2d, {b.input()});
            }).find("needs attributes kernel_h and kernel_w"),
            std::string::npos);
  Attributes reshape;
  reshape.set("height", 5);
  reshape.set("width", 1);
  reshape.set("channels", 1);
  EXPECT_NE(error_of([&] { b.add(OpType::kReshape, {b.input()}, reshape); }).find("sizes differ"),
            std::string::npos);
  Attributes bad_padding;
  bad_padding.set("padding", "reflect");
  EXPECT_NE(
      error_of([&] {
        b.add(OpType::kConv2d, {b.input()}, bad_padding, {{"filter", filled({1, 1, 1, 3}, 1)}});
      }).find("unknown padding 'reflect'"),
      std::string::npos);
  Attributes fractional;
  fractional.set("stride_h", 1.5);
  EXPECT_NE(
      error_of([&] {
        b.add(OpType::kConv2d, {b.input()}, fractional, {{"filter", filled({1, 1, 1, 3}, 1)}});
      }).find("'stride_h'"),
      std::string::npos);
  const int p = b.add(OpType::kPad, {b.input()}, [] {
    Attributes a;
    a.set("pad_channels_after", 1);
    return a;
  }());
  EXPECT_NE(error_of([&] {
              b.add(OpType::kAdd, {b.input(), p});
            }).find("different shapes"),
            std::string::npos);
}

TEST(Plan, RejectsValuesUsedBeforeTheyAreComputed) {
  GraphBuilder b(Shape{1, 2, 2, 1});
  const int r = b.add(OpType::kRelu, {b.input()});
  b.mark_output(b.add(OpType::kRelu, {r}));
  Graph g = b.finish();
  std::swap(g.nodes[0], g.nodes[1]);
  EXPECT_NE(error_of([&] {
              make_plan(g, Shape{1, 2, 2, 1});
            }).find("used before"),
            std::string::npos);
}

TEST(Plan, RejectsWindowsThatDoNotFitAndHugeOutputs) {
  GraphBuilder b(Shape{1, 2, 2, 1});
  Attributes pool;
  pool.set("kernel_h", 3);
  pool.set("kernel_w", 3);
  EXPECT_NE(error_of([&] { b.add(OpType::kMaxPool2d, {b.input()}, pool); }).find("does not fit"),
            std::string::npos);
  Attributes pad;
  pad.set("pad_top", 1 << 20);
  pad.set("pad_left", 1 << 20);
  EXPECT_NE(error_of([&] { b.add(OpType::kPad, {b.input()}, pad); }).find("out of range"),
            std::string::npos);
}

}  // namespace
}  // namespace fu::nn
