// A model made ready to run on one backend at one batch size: the public face of src/nn.
#pragma once

#include <memory>
#include <vector>

#include "nn/executor.h"
#include "nn/model.h"
#include "nn/plan.h"

namespace fu::nn {

struct NetworkOptions {
  Backend backend = default_backend();
  int batch = 1;
  int threads = 1;
};

class Network {
 public:
  explicit Network(std::shared_ptr<const Model> model, const NetworkOptions& options = {});

  const Model& model() const { return *model_; }
  Backend backend() const { return backend_; }
  const Shape& input_shape() const { return plan_.shapes[plan_.input]; }
  Shape output_shape(std::size_t index) const { return plan_.shapes.at(plan_.outputs.at(index)); }
  std::size_t output_count() const { return plan_.outputs.size(); }

  // Throws fu::Error when the input's shape is not input_shape(). The outputs stay valid until
  // the next call.
  const std::vector<Tensor>& run(const Tensor& input);

  // The plan the backend runs (node order, kinds, shapes): what node_milliseconds() indexes.
  const Plan& plan() const { return plan_; }
  // See Executor::enable_node_timing and Executor::node_milliseconds.
  bool enable_node_timing() { return executor_->enable_node_timing(); }
  std::vector<double> node_milliseconds() const { return executor_->node_milliseconds(); }

 private:
  std::shared_ptr<const Model> model_;
  Backend backend_;
  std::shared_ptr<const Graph> folded_;  // the graph planned when the model's needs folding
  Plan plan_;
  std::unique_ptr<Executor> executor_;
};

}  // namespace fu::nn
