// The whole trainable network against PyTorch: the same graph and weights (a MobileFaceNet-style
// branch in miniature: conv, batch norm in training mode, PReLU, depthwise, residual add, global
// depthwise head, projection, L2 normalisation), the same batch of pairs run as one batch [a; b],
// the same contrastive loss. The loss and every parameter's gradient must agree, and a few SGD and
// AdamW steps of the full loop (forward, loss, backward, update) must land on the same weights.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "nn/trainable_network.h"
#include "train/torch_reference.h"
#include "train/architecture.h"
#include "train/contrastive_loss.h"
#include "train/optimizer.h"

namespace fu::train {
namespace {

using torch_ref::relative_error;

constexpr float kMargin = 1.2f;
constexpr int kPairs = 4;

nn::Model small_mobilefacenet() {
  ArchitectureOptions arch;
  arch.name = "mobilefacenet";
  arch.input_size = 32;
  arch.width = 0.125;
  arch.embedding_size = 16;
  arch.seed = 21;
  nn::Model m = build_architecture(arch);
  // Move batch norm and PReLU away from their initial 1/0/0.25 so their gradients are generic.
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(-0.2f, 0.2f);
  for (nn::Node& n : m.graph.nodes) {
    for (auto& [role, w] : n.weights) {
      if (role == "filter") continue;
      for (float& v : w.data) v += role == "variance" ? std::abs(u(rng)) : u(rng);
    }
  }
  return m;
}

struct Batch {
  std::vector<float> a, b, both;
  std::vector<int> labels;
};

Batch random_batch(const nn::Shape& side) {
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Batch batch;
  batch.a.resize(side.size());
  batch.b.resize(side.size());
  for (float& v : batch.a) v = u(rng);
  for (std::size_t i = 0; i < batch.b.size(); ++i) {
    // Same-person pairs: b is a near copy of a, so some pairs sit inside the margin and some not.
    const bool same = (i / (side.size() / side.n)) % 2 == 0;
    batch.b[i] = same ? batch.a[i] + 0.3f * u(rng) : u(rng);
  }
  for (int i = 0; i < side.n; ++i) batch.labels.push_back(i % 2);
  batch.both = batch.a;
  batch.both.insert(batch.both.end(), batch.b.begin(), batch.b.end());
  return batch;
}

// One training step of ours: forward [a; b], loss, backward. Returns the loss.
double our_step(nn::TrainableNetwork& net, const Batch& batch) {
  const float* e = net.forward(batch.both.data(), true);
  const int dim = net.output_shape().c;
  std::vector<float> grad(static_cast<std::size_t>(2) * kPairs * dim);
  const ContrastiveLoss loss = contrastive_loss(e, e + kPairs * dim, batch.labels.data(), kPairs,
                                                dim, kMargin, grad.data(), grad.data() + kPairs * dim);
  net.backward(grad.data());
  return loss.value;
}

TEST(TorchNetwork, LossAndEveryParameterGradientMatchPyTorch) {
  if (auto why = torch_ref::torch_unavailable()) GTEST_SKIP() << *why;
  const nn::Model model = small_mobilefacenet();
  const nn::Shape side = model.metadata.input_shape(kPairs);
  const Batch batch = random_batch(side);
  nlohmann::json request = torch_ref::grad_request(model.graph, {side.n, side.h, side.w, side.c},
                                                   batch.a, batch.b, batch.labels, kMargin);
  request["dtype"] = "float64";  // the tighter reference
  const nlohmann::json result = torch_ref::run_torch_graph(request);

  nn::TrainableNetwork net(model.graph, model.metadata.input_shape(2 * kPairs),
                           nn::TrainingKernels::kReference);
  const double loss = our_step(net, batch);
  EXPECT_NEAR(loss, result["loss"].get<double>(), 1e-4 * std::abs(loss));
  // Gradients that are zero in exact arithmetic (the bias of a batch norm whose every path
  // leads into another batch norm: the shift is normalised away) are float noise on our side and
  // 1e-17 on torch's; for those only their smallness against the network's scale is checked.
  double scale = 0.0;
  for (const nn::TrainableWeight& w : net.weights()) {
    for (std::size_t i = 0; i < w.size; ++i) scale = std::max(scale, double{std::abs(w.grad[i])});
  }
  int checked = 0;
  int vanishing = 0;
  double worst = 0.0;
  for (const nn::TrainableWeight& w : net.weights()) {
    const std::size_t slash = w.name.rfind('/');
    const std::vector<float> theirs =
        torch_ref::torch_gradient(result, w.name.substr(0, slash), w.name.substr(slash + 1));
    const std::vector<float> ours(w.grad, w.grad + w.size);
    double reference = 0.0;
    for (float v : theirs) reference = std::max(reference, double{std::abs(v)});
    if (reference < 1e-9 * scale) {
      for (float v : ours) EXPECT_LT(std::abs(v), 1e-5 * scale) << w.name;
      ++vanishing;
      continue;
    }
    const double error = relative_error(ours, theirs);
    worst = std::max(worst, error);
    EXPECT_LT(error, 1e-4) << w.name;
    ++checked;
  }
  EXPECT_GT(checked, 40);
  std::printf("[          ] %d parameter gradients, worst relative error %.2e (%d vanishing)\n",
              checked, worst, vanishing);
}

void expect_steps_match(OptimizerOptions options, float lr, const char* kind) {
  const nn::Model model = small_mobilefacenet();
  const nn::Shape side = model.metadata.input_shape(kPairs);
  const Batch batch = random_batch(side);
  constexpr int kSteps = 3;
  nlohmann::json request = torch_ref::grad_request(model.graph, {side.n, side.h, side.w, side.c},
                                                   batch.a, batch.b, batch.labels, kMargin);
  request["mode"] = "steps";
  request["dtype"] = "float64";
  request["steps"] = kSteps;
  request["optimizer"] = {{"kind", kind},
                          {"lr", lr},
                          {"momentum", options.momentum},
                          {"beta1", options.beta1},
                          {"beta2", options.beta2},
                          {"epsilon", options.epsilon},
                          {"weight_decay", options.weight_decay}};
  const nlohmann::json result = torch_ref::run_torch_graph(request);

  nn::TrainableNetwork net(model.graph, model.metadata.input_shape(2 * kPairs),
                           nn::TrainingKernels::kReference);
  Optimizer optimizer(options);
  std::set<std::string> vanishing;
  for (int s = 0; s < kSteps; ++s) {
    our_step(net, batch);
    if (s == 0) {
      // Exactly-zero gradients (a batch-norm bias whose every path leads into another batch
      // norm) are float noise, which AdamW normalises into full-size steps on both sides.
      double scale = 0.0;
      for (const nn::TrainableWeight& w : net.weights()) {
        for (std::size_t i = 0; i < w.size; ++i) scale = std::max(scale, double{std::abs(w.grad[i])});
      }
      for (const nn::TrainableWeight& w : net.weights()) {
        double m = 0.0;
        for (std::size_t i = 0; i < w.size; ++i) m = std::max(m, double{std::abs(w.grad[i])});
        if (m < 1e-5 * scale) vanishing.insert(w.name);
      }
    }
    std::vector<ParameterRef> refs;
    for (const nn::TrainableWeight& w : net.weights()) {
      refs.push_back({w.name, w.value, w.grad, w.size, w.decay});
    }
    optimizer.step(refs, lr);
    net.weights_changed();
  }
  double worst = 0.0;
  for (const nn::TrainableWeight& w : net.weights()) {
    if (options.kind == OptimizerKind::kAdamW && vanishing.count(w.name) != 0) continue;
    const std::size_t slash = w.name.rfind('/');
    const nlohmann::json& t = result["weights"][w.name.substr(0, slash)][w.name.substr(slash + 1)];
    const double error =
        relative_error(std::vector<float>(w.value, w.value + w.size), torch_ref::floats(t["data"]));
    worst = std::max(worst, error);
    EXPECT_LT(error, 1e-4) << kind << " " << w.name;
  }
  std::printf("[          ] %s: %d steps, worst relative weight error %.2e\n", kind, kSteps, worst);
}

TEST(TorchNetwork, SgdStepsOfTheFullLoopLandOnTorchsWeights) {
  if (auto why = torch_ref::torch_unavailable()) GTEST_SKIP() << *why;
  OptimizerOptions o;
  o.kind = OptimizerKind::kSgd;
  o.momentum = 0.9f;
  o.weight_decay = 5e-4f;
  expect_steps_match(o, 0.05f, "sgd");
}

TEST(TorchNetwork, AdamWStepsOfTheFullLoopLandOnTorchsWeights) {
  if (auto why = torch_ref::torch_unavailable()) GTEST_SKIP() << *why;
  OptimizerOptions o;
  o.kind = OptimizerKind::kAdamW;
  o.weight_decay = 0.01f;
  expect_steps_match(o, 1e-3f, "adamw");
}

}  // namespace
}  // namespace fu::train
