#include "nn/node_interpreter.h"

#include <algorithm>
#include <chrono>

namespace fu::nn {

NodeInterpreter::NodeInterpreter(const Plan& plan) : plan_(plan) {
  const int value_count = static_cast<int>(plan.shapes.size());
  const int node_count = static_cast<int>(plan.nodes.size());
  std::vector<int> last_read(value_count, -1);
  for (int i = 0; i < node_count; ++i) {
    for (int id : plan.nodes[i].inputs) last_read[id] = i;
  }
  for (int id : plan.outputs) last_read[id] = node_count;  // read when copying out

  // Greedy assignment in execution order: a node's output takes the smallest free buffer that
  // fits (or grows the largest free one); inputs are released only after the node, so no
  // operator ever writes into a buffer it reads.
  std::vector<std::size_t> capacity;
  std::vector<int> free_buffers;
  buffer_of_value_.assign(value_count, -1);
  for (int i = 0; i < node_count; ++i) {
    const PlannedNode& node = plan.nodes[i];
    // Buffers count floats (which keeps them float-aligned); an int8 value needs a quarter.
    const std::size_t bytes =
        plan.shapes[node.output].size() * (plan.is_qs8(node.output) ? 1 : sizeof(float)) +
        kTensorPaddingBytes;
    const std::size_t need = (bytes + sizeof(float) - 1) / sizeof(float);
    int best = -1;
    for (int b : free_buffers) {
      if (capacity[b] >= need && (best < 0 || capacity[b] < capacity[best])) best = b;
    }
    for (int b : free_buffers) {
      if (best < 0 || (capacity[best] < need && capacity[b] > capacity[best])) best = b;
    }
    if (best < 0) {
      best = static_cast<int>(capacity.size());
      capacity.push_back(0);
    } else {
      free_buffers.erase(std::find(free_buffers.begin(), free_buffers.end(), best));
    }
    capacity[best] = std::max(capacity[best], need);
    buffer_of_value_[node.output] = best;
    for (int id : node.inputs) {
      const int b = buffer_of_value_[id];
      if (id != plan.input && last_read[id] == i &&
          std::find(free_buffers.begin(), free_buffers.end(), b) == free_buffers.end()) {
        free_buffers.push_back(b);
      }
    }
  }
  for (std::size_t size : capacity) buffers_.emplace_back(size, 0.0f);
  for (int id : plan.outputs) outputs_.emplace_back(plan.shapes[id]);
}

bool NodeInterpreter::enable_node_timing() {
  node_ms_.assign(plan_.nodes.size(), 0.0);
  return true;
}

void NodeInterpreter::run(const Tensor& input) {
  auto data = [&](int id) -> const float* {
    // The graph input and outputs are float32 (make_plan checks).
    return id == plan_.input ? input.data() : buffers_[buffer_of_value_[id]].data();
  };
  for (std::size_t i = 0; i < plan_.nodes.size(); ++i) {
    const PlannedNode& node = plan_.nodes[i];
    input_pointers_.clear();
    for (int id : node.inputs) input_pointers_.push_back(data(id));
    void* output = buffers_[buffer_of_value_[node.output]].data();
    if (node_ms_.empty()) {
      run_node(i, input_pointers_, output);
    } else {
      const auto start = std::chrono::steady_clock::now();
      run_node(i, input_pointers_, output);
      node_ms_[i] =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
    }
  }
  for (std::size_t k = 0; k < plan_.outputs.size(); ++k) {
    const float* src = data(plan_.outputs[k]);
    std::copy(src, src + outputs_[k].size(), outputs_[k].data());
  }
}

}  // namespace fu::nn
