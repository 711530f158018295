// The shared shell of the backends that run a plan node by node on their own operators
// (reference and SIMD): one buffer per value, outputs copied out at the end. A backend only says
// how to compute one node.
#pragma once

#include <vector>

#include "nn/executor.h"

namespace fu::nn {

class NodeInterpreter : public Executor {
 public:
  explicit NodeInterpreter(const Plan& plan);

  void run(const Tensor& input) override;
  const std::vector<Tensor>& outputs() const override { return outputs_; }

 protected:
  // Computes plan().nodes[index] from `inputs` (one pointer per node input) into `output`.
  virtual void run_node(std::size_t index, const std::vector<const float*>& inputs,
                        float* output) = 0;
  const Plan& plan() const { return plan_; }

 private:
  const Plan& plan_;
  std::vector<Tensor> values_;
  std::vector<Tensor> outputs_;
  std::vector<const float*> input_pointers_;
};

}  // namespace fu::nn
