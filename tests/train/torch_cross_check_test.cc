// Cross-checks against PyTorch (tools/reference/torch_graph.py): the forward pass of our
// reference executor, the contrastive loss and the gradient of the last layer, and optimiser
// steps. Skipped with a message when /usr/bin/python3 or torch is missing.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "nn/model.h"
#include "nn/network.h"
#include "train/contrastive_loss.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"
#include "train/torch_reference.h"

namespace fu::train {
namespace {

using nlohmann::json;
using torch_ref::floats;
using torch_ref::graph_json;
using torch_ref::relative_error;
using torch_ref::run_torch_graph;
using torch_ref::torch_unavailable;

constexpr int kPairs = 6;
constexpr int kHeight = 6;
constexpr int kWidth = 6;
constexpr int kChannels = 3;
constexpr int kEmbedding = 8;

nn::Weight random_weight(std::mt19937& rng, std::vector<int> dims, float stddev, float mean = 0) {
  std::normal_distribution<float> normal(mean, stddev);
  nn::Weight w;
  w.dims = std::move(dims);
  w.data.resize(w.element_count());
  for (float& v : w.data) v = normal(rng);
  return w;
}

nn::Node node(nn::OpType op, const std::string& name, std::vector<int> inputs, int output) {
  nn::Node n;
  n.op = op;
  n.name = name;
  n.inputs = std::move(inputs);
  n.output = output;
  return n;
}

// conv2d (same, stride 2) -> scale_bias -> prelu -> depthwise (explicit pads) -> add (residual)
// -> global_avg_pool -> fully_connected -> l2_normalize. Outputs: the embedding, then the pooled
// features that feed the last layer (so the test can form the last layer's gradient itself).
nn::Graph siamese_graph() {
  std::mt19937 rng(11);
  nn::Graph g;
  g.values = {"input", "conv1", "bn1", "act1", "dw2", "res2", "pool", "fc", "embedding"};
  g.input = 0;
  g.outputs = {8, 6};
  nn::Node conv = node(nn::OpType::kConv2d, "conv1", {0}, 1);
  conv.attributes.set("stride_h", 2);
  conv.attributes.set("stride_w", 2);
  conv.attributes.set("padding", "same");
  conv.weights["filter"] = random_weight(rng, {4, 3, 3, kChannels}, 0.4f);
  conv.weights["bias"] = random_weight(rng, {4}, 0.1f);
  g.nodes.push_back(conv);
  nn::Node bn = node(nn::OpType::kScaleBias, "bn1", {1}, 2);
  bn.weights["scale"] = random_weight(rng, {4}, 0.2f, 1.0f);
  bn.weights["bias"] = random_weight(rng, {4}, 0.1f);
  g.nodes.push_back(bn);
  nn::Node act = node(nn::OpType::kPRelu, "act1", {2}, 3);
  act.weights["slope"] = random_weight(rng, {4}, 0.05f, 0.25f);
  g.nodes.push_back(act);
  nn::Node dw = node(nn::OpType::kDepthwiseConv2d, "dw2", {3}, 4);
  for (const char* pad : {"pad_top", "pad_bottom", "pad_left", "pad_right"}) {
    dw.attributes.set(pad, 1);
  }
  dw.weights["filter"] = random_weight(rng, {1, 3, 3, 4}, 0.4f);
  dw.weights["bias"] = random_weight(rng, {4}, 0.1f);
  g.nodes.push_back(dw);
  g.nodes.push_back(node(nn::OpType::kAdd, "res2", {3, 4}, 5));
  g.nodes.push_back(node(nn::OpType::kGlobalAvgPool, "pool", {5}, 6));
  nn::Node fc = node(nn::OpType::kFullyConnected, "fc", {6}, 7);
  fc.weights["filter"] = random_weight(rng, {kEmbedding, 4}, 0.5f);
  fc.weights["bias"] = random_weight(rng, {kEmbedding}, 0.1f);
  g.nodes.push_back(fc);
  g.nodes.push_back(node(nn::OpType::kL2Normalize, "norm", {7}, 8));
  return g;
}

std::shared_ptr<const nn::Model> model_of(const nn::Graph& graph) {
  auto model = std::make_shared<nn::Model>();
  model->metadata.name = "torch-cross-check";
  model->metadata.input_height = kHeight;
  model->metadata.input_width = kWidth;
  model->metadata.input_channels = kChannels;
  model->metadata.output_kind = "test";
  model->graph = graph;
  return model;
}

std::vector<float> random_values(std::mt19937& rng, std::size_t n) {
  std::normal_distribution<float> normal;
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

TEST(TorchCrossCheck, LossAndLastLayerGradient) {
  if (auto why = torch_unavailable()) GTEST_SKIP() << *why;
  const nn::Graph graph = siamese_graph();
  std::mt19937 rng(5);
  const std::size_t side = static_cast<std::size_t>(kPairs) * kHeight * kWidth * kChannels;
  const std::vector<float> a = random_values(rng, side);
  const std::vector<float> b = random_values(rng, side);
  const std::vector<int> labels = {0, 1, 0, 1, 1, 0};
  const float margin = 1.2f;

  // Ours: the reference executor on the batch [a; b] of 2N, as the trainer runs it.
  nn::Network net(model_of(graph), {nn::Backend::kReference, 2 * kPairs, 1});
  nn::Tensor input(net.input_shape());
  std::copy(a.begin(), a.end(), input.data());
  std::copy(b.begin(), b.end(), input.data() + side);
  const std::vector<nn::Tensor>& outs = net.run(input);
  const float* emb = outs[0].data();
  const float* pooled = outs[1].data();
  const int features = outs[1].shape().c;
  std::vector<float> ga(kPairs * kEmbedding), gb(kPairs * kEmbedding);
  const ContrastiveLoss loss = contrastive_loss(emb, emb + kPairs * kEmbedding, labels.data(),
                                                kPairs, kEmbedding, margin, ga.data(), gb.data());
  ASSERT_GT(loss.different_inside_margin, 0) << "the batch must exercise the hinge";

  // The last layer's gradient by hand: e = z / |z|, z = W h + bias; d z = (g - e (e . g)) / |z|.
  const nn::Weight& w = *graph.nodes[6].weight("filter");
  const nn::Weight& bias = *graph.nodes[6].weight("bias");
  std::vector<double> dw(w.data.size(), 0.0), db(bias.data.size(), 0.0);
  for (int s = 0; s < 2 * kPairs; ++s) {
    const float* h = pooled + s * features;
    const float* g = s < kPairs ? &ga[s * kEmbedding] : &gb[(s - kPairs) * kEmbedding];
    std::vector<double> z(kEmbedding);
    double norm2 = 0.0;
    for (int o = 0; o < kEmbedding; ++o) {
      z[o] = bias.data[o];
      for (int i = 0; i < features; ++i)
        z[o] += static_cast<double>(w.data[o * features + i]) * h[i];
      norm2 += z[o] * z[o];
    }
    const double norm = std::sqrt(norm2);
    double eg = 0.0;
    for (int o = 0; o < kEmbedding; ++o) eg += z[o] / norm * g[o];
    for (int o = 0; o < kEmbedding; ++o) {
      const double dz = (g[o] - z[o] / norm * eg) / norm;
      db[o] += dz;
      for (int i = 0; i < features; ++i) dw[o * features + i] += dz * h[i];
    }
  }

  const json torch = run_torch_graph(
      torch_ref::grad_request(graph, {kPairs, kHeight, kWidth, kChannels}, a, b, labels, margin));

  const double loss_error =
      std::abs(loss.value - torch["loss"].get<double>()) / std::abs(torch["loss"].get<double>());
  EXPECT_LT(loss_error, 1e-4) << "ours " << loss.value << ", torch " << torch["loss"];
  EXPECT_EQ(loss.same_pairs, torch["same_pairs"].get<int>());
  EXPECT_EQ(loss.different_inside_margin, torch["different_inside_margin"].get<int>());
  const std::vector<float> ours_a(emb, emb + kPairs * kEmbedding);
  const std::vector<float> ours_b(emb + kPairs * kEmbedding, emb + 2 * kPairs * kEmbedding);
  const double emb_error = std::max(relative_error(ours_a, floats(torch["embeddings_a"])),
                                    relative_error(ours_b, floats(torch["embeddings_b"])));
  EXPECT_LT(emb_error, 1e-5);
  const std::vector<float> dw_f(dw.begin(), dw.end()), db_f(db.begin(), db.end());
  const double dw_error = relative_error(dw_f, torch_ref::torch_gradient(torch, "fc", "filter"));
  const double db_error = relative_error(db_f, torch_ref::torch_gradient(torch, "fc", "bias"));
  EXPECT_EQ(torch["gradients"]["fc"]["filter"]["dims"], json(w.dims));
  EXPECT_LT(dw_error, 1e-4);
  EXPECT_LT(db_error, 1e-4);
  // Every trainable weight of the network got a gradient, in our layouts.
  EXPECT_EQ(torch["gradients"]["conv1"]["filter"]["dims"], json({4, 3, 3, kChannels}));
  EXPECT_EQ(torch["gradients"]["dw2"]["filter"]["dims"], json({1, 3, 3, 4}));
  EXPECT_EQ(torch["gradients"]["act1"]["slope"]["data"].size(), 4u);
  std::cout << "torch cross-check: loss " << loss.value << " relative error " << loss_error
            << ", embeddings " << emb_error << ", fc/filter grad " << dw_error << ", fc/bias grad "
            << db_error << "\n";
}

// Every op of a second graph, forward only: our reference executor against PyTorch.
TEST(TorchCrossCheck, ForwardOfEveryInferenceOp) {
  if (auto why = torch_unavailable()) GTEST_SKIP() << *why;
  std::mt19937 rng(2);
  nn::Graph g;
  g.values = {"input", "c1", "mp", "pd", "cat", "ap", "r6", "rs", "fc", "relu", "out"};
  g.input = 0;
  g.outputs = {10};
  nn::Node c1 = node(nn::OpType::kConv2d, "c1", {0}, 1);
  c1.attributes.set("dilation_h", 2);
  c1.attributes.set("pad_top", 2);
  c1.attributes.set("pad_left", 1);
  c1.attributes.set("pad_right", 1);
  c1.attributes.set("output_min", -0.8);
  c1.attributes.set("output_max", 0.9);
  c1.weights["filter"] = random_weight(rng, {5, 3, 3, kChannels}, 0.4f);
  g.nodes.push_back(c1);
  nn::Node mp = node(nn::OpType::kMaxPool2d, "mp", {1}, 2);
  mp.attributes.set("kernel_h", 3);
  mp.attributes.set("kernel_w", 3);
  mp.attributes.set("stride_h", 2);
  mp.attributes.set("stride_w", 2);
  mp.attributes.set("padding", "same");
  g.nodes.push_back(mp);
  nn::Node pd = node(nn::OpType::kPad, "pd", {2}, 3);
  pd.attributes.set("pad_bottom", 1);
  pd.attributes.set("pad_right", 1);
  pd.attributes.set("pad_channels_after", 2);
  pd.attributes.set("value", 0.25);
  g.nodes.push_back(pd);
  nn::Node cat = node(nn::OpType::kConcat, "cat", {3, 3}, 4);
  g.nodes.push_back(cat);
  nn::Node ap = node(nn::OpType::kAvgPool2d, "ap", {4}, 5);
  ap.attributes.set("kernel_h", 2);
  ap.attributes.set("kernel_w", 2);
  ap.attributes.set("pad_top", 1);
  ap.attributes.set("pad_left", 1);
  g.nodes.push_back(ap);
  g.nodes.push_back(node(nn::OpType::kRelu6, "r6", {5}, 6));
  nn::Node rs = node(nn::OpType::kReshape, "rs", {6}, 7);
  // [N, 3, 4, 14] (after pad/concat/pool) -> [N, 1, 12, 14].
  rs.attributes.set("height", 1);
  rs.attributes.set("width", 12);
  rs.attributes.set("channels", 14);
  g.nodes.push_back(rs);
  nn::Node fc = node(nn::OpType::kFullyConnected, "fc", {7}, 8);
  fc.weights["filter"] = random_weight(rng, {6, 12 * 14}, 0.3f);
  fc.weights["bias"] = random_weight(rng, {6}, 0.1f);
  g.nodes.push_back(fc);
  g.nodes.push_back(node(nn::OpType::kRelu, "relu", {8}, 9));
  nn::Node norm = node(nn::OpType::kL2Normalize, "norm", {9}, 10);
  norm.attributes.set("epsilon", 1e-6);
  g.nodes.push_back(norm);

  const int batch = 3;
  nn::Network net(model_of(g), {nn::Backend::kReference, batch, 1});
  nn::Tensor input(net.input_shape());
  const std::vector<float> x = random_values(rng, input.size());
  std::copy(x.begin(), x.end(), input.data());
  const nn::Tensor& out = net.run(input)[0];
  const std::vector<float> ours(out.data(), out.data() + out.size());

  const json torch = run_torch_graph({{"mode", "forward"},
                                      {"graph", graph_json(g, {batch, kHeight, kWidth, kChannels})},
                                      {"input", x}});
  EXPECT_EQ(torch["shapes"][0], json({batch, 1, 1, 6}));
  const double error = relative_error(ours, floats(torch["outputs"][0]));
  EXPECT_LT(error, 1e-5);
  std::cout << "torch forward cross-check: relative error " << error << "\n";
}

// The script's own check of every op (and the loss) against numpy loops on hand cases.
TEST(TorchCrossCheck, ScriptOpsMatchNumpyLoops) {
  if (auto why = torch_unavailable()) GTEST_SKIP() << *why;
  const torch_ref::CommandResult r = torch_ref::run_command(
      std::string(torch_ref::kPython) + " " + torch_ref::torch_graph_script() + " --self-test");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("all ops match"), std::string::npos) << r.output;
}

struct StepCase {
  const char* label;
  OptimizerOptions options;
  json torch_options;
};

TEST(TorchCrossCheck, OptimizerStepsMatchTorchOptim) {
  if (auto why = torch_unavailable()) GTEST_SKIP() << *why;
  const nn::Graph graph = siamese_graph();
  LrSchedule schedule;
  schedule.base_lr = 0.05f;
  schedule.warmup_steps = 2;
  schedule.warmup_start_fraction = 0.2f;
  schedule.total_steps = 5;
  schedule.final_fraction = 0.1f;
  constexpr int kSteps = 5;
  std::vector<float> lrs;
  for (int s = 0; s < kSteps; ++s) lrs.push_back(learning_rate(schedule, s));

  std::vector<StepCase> cases;
  {
    OptimizerOptions o;
    o.kind = OptimizerKind::kSgd;
    o.momentum = 0.9f;
    o.weight_decay = 0.01f;
    cases.push_back({"sgd", o, {{"kind", "sgd"}, {"momentum", 0.9}, {"weight_decay", 0.01}}});
    o.nesterov = true;
    cases.push_back(
        {"sgd nesterov",
         o,
         {{"kind", "sgd"}, {"momentum", 0.9}, {"nesterov", true}, {"weight_decay", 0.01}}});
    OptimizerOptions adam;
    adam.kind = OptimizerKind::kAdamW;
    adam.beta1 = 0.8f;
    adam.beta2 = 0.95f;
    adam.epsilon = 1e-6f;
    adam.weight_decay = 0.1f;
    cases.push_back({"adamw",
                     adam,
                     {{"kind", "adamw"},
                      {"beta1", 0.8},
                      {"beta2", 0.95},
                      {"epsilon", 1e-6},
                      {"weight_decay", 0.1}}});
  }
  // Ours first, case by case, on copies of the graph's weights with fixed random gradients.
  std::vector<nn::Graph> results;
  json requests = json::array();
  for (StepCase& c : cases) {
    nn::Graph ours = graph;
    std::mt19937 rng(9);
    std::vector<std::vector<float>> grads;
    json fixed = json::object();
    std::vector<ParameterRef> params;
    for (nn::Node& n : ours.nodes) {
      for (auto& [role, w] : n.weights) {
        grads.push_back(random_values(rng, w.data.size()));
        fixed[n.name][role] = grads.back();
      }
    }
    std::size_t k = 0;
    for (nn::Node& n : ours.nodes) {
      for (auto& [role, w] : n.weights) {
        // Decay on filters only, the convention torch_graph.py's parameter groups follow.
        params.push_back({n.name + "/" + role, w.data.data(), grads[k++].data(), w.data.size(),
                          role == "filter"});
      }
    }
    Optimizer optimizer(c.options);
    for (int s = 0; s < kSteps; ++s) optimizer.step(params, lrs[s]);
    results.push_back(std::move(ours));

    json options = c.torch_options;
    options["lr"] = lrs;
    requests.push_back({{"mode", "steps"},
                        {"graph", graph_json(graph, {kPairs, kHeight, kWidth, kChannels})},
                        {"optimizer", options},
                        {"steps", kSteps},
                        {"fixed_gradients", fixed}});
  }
  const json torch = run_torch_graph(requests);
  ASSERT_EQ(torch.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].label);
    double worst = 0.0;
    for (const nn::Node& n : results[i].nodes) {
      for (const auto& [role, w] : n.weights) {
        const std::vector<float> reference = floats(torch[i]["weights"][n.name][role]["data"]);
        const double e = relative_error(w.data, reference);
        EXPECT_LT(e, 1e-6) << n.name << "/" << role;
        worst = std::max(worst, e);
        // The steps must have moved the weights, or matching them proves nothing.
        EXPECT_GT(
            relative_error(graph.nodes[&n - results[i].nodes.data()].weight(role)->data, reference),
            1e-3)
            << n.name << "/" << role;
      }
    }
    std::cout << "torch optimizer cross-check (" << cases[i].label << ", " << kSteps
              << " steps): worst relative error " << worst << "\n";
  }
}

}  // namespace
}  // namespace fu::train
