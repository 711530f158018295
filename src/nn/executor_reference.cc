// The reference backend: every node through its op's reference forward (nn/ops/), the plain
// loops of nn/reference/.
#include "nn/node_interpreter.h"
#include "nn/ops/op.h"

namespace fu::nn {

namespace {

class ReferenceExecutor : public NodeInterpreter {
 public:
  explicit ReferenceExecutor(const Plan& plan) : NodeInterpreter(plan) {
    for (const PlannedNode& n : plan.nodes) {
      std::vector<Shape> shapes;
      for (int id : n.inputs) shapes.push_back(plan.shapes[id]);
      input_shapes_.push_back(std::move(shapes));
    }
  }

 protected:
  void run_node(std::size_t index, const std::vector<const void*>& in, void* out) override {
    const PlannedNode& n = plan().nodes[index];
    if (n.quantized) {
      op_def(n.op).forward_qs8({n, in, input_shapes_[index], plan().shapes[n.output], out});
      return;
    }
    float_inputs_.clear();
    for (const void* p : in) float_inputs_.push_back(static_cast<const float*>(p));
    op_def(n.op).forward({n, float_inputs_, input_shapes_[index], plan().shapes[n.output],
                          static_cast<float*>(out)});
  }

 private:
  std::vector<std::vector<Shape>> input_shapes_;
  std::vector<const float*> float_inputs_;
};

}  // namespace

std::unique_ptr<Executor> create_reference_executor(const Plan& plan) {
  return std::make_unique<ReferenceExecutor>(plan);
}

}  // namespace fu::nn
