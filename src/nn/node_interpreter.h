// The shared shell of the backends that run a plan node by node on their own operators
// (reference and SIMD). Values share buffers once nothing reads them any more, so peak memory is
// that of the widest point of the network, not the sum of all its layers (int8 values take a
// quarter of the bytes of float ones). A backend only says how to compute one node.
#pragma once

#include <vector>

#include "base/aligned_vector.h"
#include "nn/executor.h"

namespace fu::nn {

class NodeInterpreter : public Executor {
 public:
  explicit NodeInterpreter(const Plan& plan);

  void run(const Tensor& input) override;
  const std::vector<Tensor>& outputs() const override { return outputs_; }
  bool enable_node_timing() override;
  std::vector<double> node_milliseconds() const override { return node_ms_; }

 protected:
  // Computes plan().nodes[index] from `inputs` (one pointer per node input) into `output`.
  // Each pointer is float or int8_t by the value's dtype in the plan.
  virtual void run_node(std::size_t index, const std::vector<const void*>& inputs,
                        void* output) = 0;
  const Plan& plan() const { return plan_; }

 private:
  const Plan& plan_;
  std::vector<AlignedVector<float>> buffers_;
  std::vector<int> buffer_of_value_;  // value id -> index into buffers_ (-1: the graph input)
  std::vector<Tensor> outputs_;
  std::vector<const void*> input_pointers_;
  std::vector<double> node_ms_;  // empty unless node timing is enabled
};

}  // namespace fu::nn
