// A model made ready to run on one backend at one batch size: the public face of src/nn.
#pragma once

#include <memory>
#include <vector>

#include "nn/executor.h"
#include "nn/model.h"
#include "nn/plan.h"

namespace fu::nn {

// The model as inference runs it: training ops folded (a checkpoint straight from the trainer) and
// every scale_bias after a convolution multiplied into that convolution
// (fold_scale_bias_and_clamps), so a float network runs what its int8 copy runs, without a pass
// over each convolution's output for its batch norm. The model itself when nothing folds; a new
// one otherwise, with the same metadata, whose outputs differ only by float rounding.
std::shared_ptr<const Model> inference_model(std::shared_ptr<const Model> model);

struct NetworkOptions {
  Backend backend = default_backend();
  int batch = 1;
  int threads = 1;
};

class Network {
 public:
  // Runs inference_model(model): hold on to model() (not the model given) to share its weights.
  explicit Network(std::shared_ptr<const Model> model, const NetworkOptions& options = {});

  const Model& model() const { return *model_; }
  const std::shared_ptr<const Model>& shared_model() const { return model_; }
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
  std::shared_ptr<const Model> model_;  // inference_model() of the model given: the plan's graph
  Backend backend_;
  Plan plan_;
  std::unique_ptr<Executor> executor_;
};

}  // namespace fu::nn
