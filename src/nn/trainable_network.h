// A network that learns: it owns a mutable graph, runs it forward keeping every activation
// (backward needs them; the inference executors reuse buffers instead), and runs it backward
// node by node through each op's backward (nn/ops/), producing the gradient of every trainable
// weight. The forward is the shipping code: convolutions, depthwise convolutions and fully
// connected layers run on the own SIMD operators that the WebAssembly build runs, every other
// op through its reference forward (or its training-mode forward for batch_norm and dropout).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nn/graph.h"
#include "nn/ops/op.h"
#include "nn/plan.h"
#include "nn/tensor.h"

namespace fu::nn {

// One trainable weight: its values live in the graph, its gradient in the network.
struct TrainableWeight {
  std::string name;  // "<node>/<role>"
  float* value = nullptr;
  const float* grad = nullptr;
  std::size_t size = 0;
  bool decay = false;  // filters take weight decay; biases, scales and slopes do not
};

enum class TrainingKernels {
  kSimd,       // the shipping kernels (fast)
  kReference,  // the reference forward everywhere (double accumulation: for gradient checks)
};

class TrainableNetwork {
 public:
  // Throws fu::Error when the graph does not plan for `input_shape` (the batch is its n).
  TrainableNetwork(Graph graph, const Shape& input_shape,
                   TrainingKernels kernels = TrainingKernels::kSimd);
  ~TrainableNetwork();
  TrainableNetwork(const TrainableNetwork&) = delete;
  TrainableNetwork& operator=(const TrainableNetwork&) = delete;

  const Graph& graph() const { return graph_; }
  const Shape& input_shape() const { return plan_.shapes[plan_.input]; }
  const Shape& output_shape() const { return plan_.shapes[plan_.outputs[0]]; }
  // Replans for another batch size (the last batch of an epoch may be smaller).
  void set_batch(int batch);
  // Threads for the forward's convolutions and the per-element passes of forward and backward
  // (batch norm, PReLU, clearing gradients); 1 (the default) runs them on the calling thread.
  // The split changes the order of some sums, so results depend on the count, never on timing.
  // Throws fu::Error like ThreadPool.
  void set_threads(int threads);

  // Nodes for which `frozen(name)` is true keep their weights (transfer learning). Must be
  // called before weights() is read.
  void freeze(const std::function<bool(const std::string& node_name)>& frozen);
  std::vector<TrainableWeight> weights();

  // training: batch_norm uses (and updates) batch statistics, dropout drops with masks drawn
  // from `seed`. Returns the first graph output; valid until the next forward.
  const float* forward(const float* input, bool training, std::uint64_t seed = 0);
  // The id of the value called `name` (a node's output or the input), -1 when there is none.
  int find_value(const std::string& name) const;
  // Value `id` as the last forward left it (NHWC at the current batch), and its shape.
  const float* value(int id) const { return values_[id].data(); }
  const Shape& value_shape(int id) const { return plan_.shapes[id]; }

  // A loss on an inner value (feature hints): d loss / d value, added to what flows back there.
  struct InnerGradient {
    int value = -1;
    const float* grad = nullptr;  // value_shape(value).size() floats
  };
  // After forward(training = true): d loss / d (first output) in, plus any inner gradients,
  // every trainable weight's gradient (TrainableWeight::grad) assigned. Throws fu::Error when no
  // forward preceded it or an inner gradient names no value.
  void backward(const float* output_grad, const std::vector<InnerGradient>& inner = {});
  // Call after changing weights through TrainableWeight::value, before the next forward.
  void weights_changed() { weights_dirty_ = true; }

 private:
  void replan(const Shape& input_shape);
  void refresh_operators();
  void run_node(std::size_t index, bool training, std::uint64_t seed);

  struct Operators;  // the SIMD operators of the weight-carrying nodes (kSimd)

  Graph graph_;
  TrainingKernels kernels_;
  std::unique_ptr<Operators> operators_;
  std::vector<bool> frozen_;  // per graph node
  Plan plan_;
  std::vector<std::vector<Shape>> input_shapes_;  // per planned node
  std::vector<std::vector<float>> values_;        // value id -> activation (kept for backward)
  std::vector<std::vector<float>> value_grads_;   // value id -> d loss / d value
  std::vector<std::vector<float>> saved_;         // per node: what forward_training kept
  std::vector<WeightGrads> weight_grads_;         // per graph node: gradient per trainable role
  bool weights_dirty_ = true;
  bool have_training_forward_ = false;
  std::shared_ptr<ThreadPool> pool_;  // null: one thread
};

}  // namespace fu::nn
