#include "nn/value_tap.h"

#include "base/error.h"

namespace fu::nn {

ValueTap::ValueTap(const Graph& graph, const Shape& input_shape, Backend backend)
    : graph_(graph), index_(graph.values.size(), -1) {
  graph_.outputs.clear();
  for (const Node& n : graph.nodes) {
    index_[n.output] = static_cast<int>(graph_.outputs.size());
    graph_.outputs.push_back(n.output);
  }
  PlanOptions no_fusion;
  no_fusion.fuse_activations = false;
  plan_ = make_plan(graph_, input_shape, no_fusion);
  executor_ = create_executor(backend, plan_);
}

void ValueTap::run(const Tensor& input) {
  input_ = &input;
  executor_->run(input);
}

const Tensor& ValueTap::value(int v) const {
  if (input_ == nullptr) throw Error("cannot read a value before ValueTap::run");
  return index_.at(v) < 0 ? *input_ : executor_->outputs()[index_[v]];
}

}  // namespace fu::nn
