// Every node's output of a graph, observed on one input at a time: what calibration (value
// ranges for int8) and compression (channel statistics, layer refits) read. The graph is copied
// with each node's output as an output and planned without fused clamps, so a value read by a
// later ReLU is observed as the graph computes it, before the clamp.
#pragma once

#include <memory>
#include <vector>

#include "nn/executor.h"
#include "nn/graph.h"
#include "nn/plan.h"
#include "nn/tensor.h"

namespace fu::nn {

class ValueTap {
 public:
  // Throws fu::Error when the graph does not plan for `input_shape`.
  ValueTap(const Graph& graph, const Shape& input_shape, Backend backend);

  // `input` must outlive the values read until the next run.
  void run(const Tensor& input);
  // Value `v` (any node's output, or the graph's input) of the last run.
  const Tensor& value(int v) const;
  const Shape& shape(int v) const { return plan_.shapes[v]; }
  // The graph as observed: the given one with every node's output as an output.
  const Graph& graph() const { return graph_; }
  // The planned node at `index` (graph order: the copy keeps every node).
  const PlannedNode& planned(std::size_t index) const { return plan_.nodes[index]; }

 private:
  Graph graph_;             // the plan points into it
  std::vector<int> index_;  // value id -> its place among the outputs, -1 for the input
  Plan plan_;
  std::unique_ptr<Executor> executor_;
  const Tensor* input_ = nullptr;
};

}  // namespace fu::nn
