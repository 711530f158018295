#include "nn/node_interpreter.h"

#include <algorithm>

namespace fu::nn {

NodeInterpreter::NodeInterpreter(const Plan& plan) : plan_(plan) {
  values_.resize(plan.shapes.size());
  for (const PlannedNode& node : plan.nodes) values_[node.output] = Tensor(plan.shapes[node.output]);
  for (int id : plan.outputs) outputs_.emplace_back(plan.shapes[id]);
}

void NodeInterpreter::run(const Tensor& input) {
  auto data = [&](int id) -> const float* {
    return id == plan_.input ? input.data() : values_[id].data();
  };
  for (std::size_t i = 0; i < plan_.nodes.size(); ++i) {
    const PlannedNode& node = plan_.nodes[i];
    input_pointers_.clear();
    for (int id : node.inputs) input_pointers_.push_back(data(id));
    run_node(i, input_pointers_, values_[node.output].data());
  }
  for (std::size_t k = 0; k < plan_.outputs.size(); ++k) {
    const float* src = data(plan_.outputs[k]);
    std::copy(src, src + outputs_[k].size(), outputs_[k].data());
  }
}

}  // namespace fu::nn
