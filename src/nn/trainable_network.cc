#include "nn/trainable_network.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "base/thread_pool.h"
#include "nn/operators/conv2d.h"
#include "nn/operators/depthwise_conv2d.h"
#include "nn/operators/fully_connected.h"

namespace fu::nn {

namespace {

constexpr std::size_t kSlack = kTensorPaddingBytes / sizeof(float);

bool decays(OpType op, const std::string& role) {
  return role == "filter" &&
         (op == OpType::kConv2d || op == OpType::kDepthwiseConv2d || op == OpType::kFullyConnected);
}

}  // namespace

struct TrainableNetwork::Operators {
  std::vector<std::unique_ptr<Conv2dOperator>> convs;
  std::vector<std::unique_ptr<DepthwiseConv2dOperator>> depthwise;
  std::vector<std::unique_ptr<FullyConnectedOperator>> fully_connected;
};

TrainableNetwork::TrainableNetwork(Graph graph, const Shape& input_shape, TrainingKernels kernels)
    : graph_(std::move(graph)),
      kernels_(kernels),
      operators_(std::make_unique<Operators>()),
      frozen_(graph_.nodes.size(), false) {
  if (!graph_.quantized_values.empty()) {
    throw Error("cannot train network (" + std::to_string(graph_.quantized_values.size()) +
                " int8 values): int8 graphs are for inference; train the float model and "
                "quantize it again");
  }
  // Weights that arrived quantised stop being so once they learn.
  for (Node& node : graph_.nodes) {
    for (const char* role : op_def(node.op).trainable) {
      auto it = node.weights.find(role);
      if (it != node.weights.end()) it->second.quantization.reset();
    }
  }
  replan(input_shape);
}

TrainableNetwork::~TrainableNetwork() = default;

void TrainableNetwork::replan(const Shape& input_shape) {
  PlanOptions options;
  options.fuse_activations = false;  // one planned node per graph node: backward walks both
  plan_ = make_plan(graph_, input_shape, options);
  input_shapes_.clear();
  for (const PlannedNode& n : plan_.nodes) {
    std::vector<Shape> shapes;
    for (int id : n.inputs) shapes.push_back(plan_.shapes[id]);
    input_shapes_.push_back(std::move(shapes));
  }
  values_.assign(plan_.shapes.size(), {});
  value_grads_.assign(plan_.shapes.size(), {});
  for (std::size_t id = 0; id < plan_.shapes.size(); ++id) {
    if (plan_.shapes[id].size() > 0) values_[id].assign(plan_.shapes[id].size() + kSlack, 0.0f);
  }
  saved_.assign(plan_.nodes.size(), {});
  weight_grads_.assign(plan_.nodes.size(), {});
  for (std::size_t i = 0; i < plan_.nodes.size(); ++i) {
    const Node& node = graph_.nodes[i];
    if (frozen_[i]) continue;
    for (const char* role : op_def(node.op).trainable) {
      const Weight* w = node.weight(role);
      if (w != nullptr) weight_grads_[i][role].assign(w->data.size(), 0.0f);
    }
  }
  have_training_forward_ = false;
  weights_dirty_ = true;
}

void TrainableNetwork::set_batch(int batch) {
  if (batch == input_shape().n) return;
  Shape shape = input_shape();
  shape.n = batch;
  replan(shape);
}

void TrainableNetwork::set_threads(int threads) {
  pool_ = threads > 1 ? ThreadPool::shared(threads) : nullptr;
}

void TrainableNetwork::freeze(const std::function<bool(const std::string&)>& frozen) {
  for (std::size_t i = 0; i < graph_.nodes.size(); ++i) {
    frozen_[i] = frozen(graph_.nodes[i].name);
    if (frozen_[i]) weight_grads_[i].clear();
  }
}

std::vector<TrainableWeight> TrainableNetwork::weights() {
  std::vector<TrainableWeight> list;
  for (std::size_t i = 0; i < graph_.nodes.size(); ++i) {
    Node& node = graph_.nodes[i];
    for (auto& [role, grad] : weight_grads_[i]) {
      Weight& w = node.weights.at(role);
      list.push_back({node.name + "/" + role, w.data.data(), grad.data(), w.data.size(),
                      decays(node.op, role)});
    }
  }
  return list;
}

void TrainableNetwork::refresh_operators() {
  const std::size_t count = plan_.nodes.size();
  Operators& ops = *operators_;
  ops.convs.resize(count);
  ops.depthwise.resize(count);
  ops.fully_connected.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    const PlannedNode& n = plan_.nodes[i];
    const float* filter = n.weight_data("filter");
    const float* bias = n.weight_data("bias");
    if (n.op == OpType::kConv2d) {
      // Kept across steps: its indirection buffer depends only on sizes.
      if (ops.convs[i]) {
        ops.convs[i]->set_weights(filter, bias);
      } else {
        ops.convs[i] = std::make_unique<Conv2dOperator>(n.conv, filter, bias, n.activation);
      }
    } else if (n.op == OpType::kDepthwiseConv2d) {
      ops.depthwise[i] =
          std::make_unique<DepthwiseConv2dOperator>(n.depthwise, filter, bias, n.activation);
    } else if (n.op == OpType::kFullyConnected) {
      ops.fully_connected[i] =
          std::make_unique<FullyConnectedOperator>(n.fully_connected, filter, bias, n.activation);
    }
  }
  weights_dirty_ = false;
}

void TrainableNetwork::run_node(std::size_t index, bool training, std::uint64_t seed) {
  const PlannedNode& n = plan_.nodes[index];
  std::vector<const float*> inputs;
  for (int id : n.inputs) inputs.push_back(values_[id].data());
  float* out = values_[n.output].data();
  const Shape& is = input_shapes_[index][0];
  const OpDef& def = op_def(n.op);
  if (kernels_ == TrainingKernels::kSimd) {
    Operators& ops = *operators_;
    switch (n.op) {
      case OpType::kConv2d:
        ops.convs[index]->run(inputs[0], is.n, is.h, is.w, out, pool_.get());
        return;
      case OpType::kDepthwiseConv2d:
        ops.depthwise[index]->run(inputs[0], is.n, is.h, is.w, out, pool_.get());
        return;
      case OpType::kFullyConnected:
        ops.fully_connected[index]->run(inputs[0], is.n, out);
        return;
      default:
        break;
    }
  }
  const OpForwardArgs args{n,   inputs,     input_shapes_[index], plan_.shapes[n.output],
                           out, pool_.get()};
  // A frozen batch norm keeps its running statistics: it normalises as it will at inference.
  const bool frozen_statistics = frozen_[index] && n.op == OpType::kBatchNorm;
  if (training && def.forward_training != nullptr && !frozen_statistics) {
    OpTrainingState state;
    state.weights = &graph_.nodes[index].weights;
    state.saved = &saved_[index];
    state.seed = seed ^ (0x9e3779b97f4a7c15ULL * (index + 1));
    def.forward_training(args, state);
  } else {
    saved_[index].clear();
    def.forward(args);
  }
}

const float* TrainableNetwork::forward(const float* input, bool training, std::uint64_t seed) {
  if (weights_dirty_ && kernels_ == TrainingKernels::kSimd) refresh_operators();
  std::vector<float>& in = values_[plan_.input];
  std::copy(input, input + input_shape().size(), in.begin());
  for (std::size_t i = 0; i < plan_.nodes.size(); ++i) run_node(i, training, seed);
  have_training_forward_ = training;
  return values_[plan_.outputs[0]].data();
}

int TrainableNetwork::find_value(const std::string& name) const {
  const auto it = std::find(graph_.values.begin(), graph_.values.end(), name);
  return it == graph_.values.end() ? -1 : static_cast<int>(it - graph_.values.begin());
}

void TrainableNetwork::backward(const float* output_grad, const std::vector<InnerGradient>& inner) {
  if (!have_training_forward_) {
    throw Error("cannot run backward (no forward): call forward with training on first");
  }
  for (const InnerGradient& g : inner) {
    if (g.value < 0 || g.value >= static_cast<int>(plan_.shapes.size()) || g.grad == nullptr) {
      throw Error("cannot run backward: an inner gradient names value " + std::to_string(g.value) +
                  ", which the network does not have");
    }
  }
  // PyTorch's requires_grad, propagated forward: a value carries a gradient only when some
  // trainable weight lies upstream of it, so a frozen backbone costs no backward at all.
  std::vector<bool> carries(plan_.shapes.size(), false);
  std::vector<bool> runs(plan_.nodes.size(), false);
  for (std::size_t k = 0; k < plan_.nodes.size(); ++k) {
    const PlannedNode& n = plan_.nodes[k];
    bool r = !weight_grads_[k].empty();
    for (int id : n.inputs) r = r || carries[id];
    runs[k] = r;
    carries[n.output] = r;
  }
  for (std::size_t id = 0; id < plan_.shapes.size(); ++id) {
    std::vector<float>& g = value_grads_[id];
    if (carries[id]) {
      // memset, not assign: these buffers are tens of megabytes a step, and glibc's memset
      // streams them past the cache where the element loop of assign reads every line first.
      g.resize(plan_.shapes[id].size());
      float* data = g.data();
      for_parts(pool_.get(), g.size(), [data](std::size_t begin, std::size_t end, int) {
        std::memset(data + begin, 0, (end - begin) * sizeof(float));
      });
    } else {
      g.clear();
    }
  }
  const int out_id = plan_.outputs[0];
  if (!carries[out_id]) return;  // nothing trainable reaches the output
  std::copy(output_grad, output_grad + plan_.shapes[out_id].size(), value_grads_[out_id].begin());
  // Every consumer of a value runs after it, so what is added here before the walk back is
  // simply summed with what they add; a value nothing trainable precedes takes no gradient.
  for (const InnerGradient& g : inner) {
    std::vector<float>& to = value_grads_[g.value];
    for (std::size_t i = 0; i < to.size(); ++i) to[i] += g.grad[i];
  }
  for (std::size_t k = plan_.nodes.size(); k-- > 0;) {
    if (!runs[k]) continue;
    const PlannedNode& n = plan_.nodes[k];
    std::vector<const float*> inputs;
    std::vector<float*> input_grads;
    for (int id : n.inputs) {
      inputs.push_back(values_[id].data());
      input_grads.push_back(value_grads_[id].empty() ? nullptr : value_grads_[id].data());
    }
    op_def(n.op).backward({n, inputs, input_shapes_[k], values_[n.output].data(),
                           plan_.shapes[n.output], value_grads_[n.output].data(), input_grads,
                           weight_grads_[k], saved_[k], pool_.get()});
  }
}

}  // namespace fu::nn
