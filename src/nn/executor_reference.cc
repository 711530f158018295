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
  void run_node(std::size_t index, const std::vector<const float*>& in, float* out) override {
    const PlannedNode& n = plan().nodes[index];
    op_def(n.op).forward({n, in, input_shapes_[index], plan().shapes[n.output], out});
  }

 private:
  std::vector<std::vector<Shape>> input_shapes_;
};

}  // namespace

std::unique_ptr<Executor> create_reference_executor(const Plan& plan) {
  return std::make_unique<ReferenceExecutor>(plan);
}

}  // namespace fu::nn
