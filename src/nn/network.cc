#include "nn/network.h"

#include "base/error.h"
#include "nn/graph_passes.h"

namespace fu::nn {

Network::Network(std::shared_ptr<const Model> model, const NetworkOptions& options)
    : model_(std::move(model)), backend_(options.backend) {
  if (!model_) throw Error("cannot create network (null model): no model given");
  if (options.batch < 1 || options.batch > 4096) {
    throw Error("cannot create network (batch " + std::to_string(options.batch) +
                "): batch must be 1 to 4096");
  }
  // A checkpoint straight from the trainer still carries batch_norm and dropout: run what it
  // would export (the exported file itself needs no folding).
  const Graph* graph = &model_->graph;
  if (has_training_ops(*graph)) {
    folded_ = std::make_shared<const Graph>(fold_training_ops(*graph));
    graph = folded_.get();
  }
  plan_ = make_plan(*graph, model_->metadata.input_shape(options.batch));
  ExecutorOptions executor_options;
  executor_options.threads = options.threads;
  executor_ = create_executor(backend_, plan_, executor_options);
}

const std::vector<Tensor>& Network::run(const Tensor& input) {
  if (input.shape() != input_shape()) {
    throw Error("cannot run network '" + model_->metadata.name + "' (input " + input.shape().str() +
                "): expected input shape " + input_shape().str());
  }
  executor_->run(input);
  return executor_->outputs();
}

}  // namespace fu::nn
