#include "nn/network.h"

#include <algorithm>

#include "base/error.h"
#include "nn/graph_passes.h"

namespace fu::nn {

std::shared_ptr<const Model> inference_model(std::shared_ptr<const Model> model) {
  if (!model) return model;
  const Graph& graph = model->graph;
  const bool training = has_training_ops(graph);
  const bool scale_bias = std::any_of(graph.nodes.begin(), graph.nodes.end(),
                                      [](const Node& n) { return n.op == OpType::kScaleBias; });
  if (!training && !scale_bias) return model;
  Graph folded = fold_scale_bias_and_clamps(training ? fold_training_ops(graph) : graph);
  // Nothing folded (a scale_bias after an add, say): the model as it is, so that a model this
  // returned comes back unchanged, with no second copy of its weights.
  if (!training && folded.nodes.size() == graph.nodes.size()) return model;
  auto out = std::make_shared<Model>();
  out->metadata = model->metadata;
  out->graph = std::move(folded);
  return out;
}

Network::Network(std::shared_ptr<const Model> model, const NetworkOptions& options)
    : model_(inference_model(std::move(model))), backend_(options.backend) {
  if (!model_) throw Error("cannot create network (null model): no model given");
  if (options.batch < 1 || options.batch > 4096) {
    throw Error("cannot create network (batch " + std::to_string(options.batch) +
                "): batch must be 1 to 4096");
  }
  plan_ = make_plan(model_->graph, model_->metadata.input_shape(options.batch));
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
