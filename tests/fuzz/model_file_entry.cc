#include <cmath>
#include <cstdint>
#include <memory>

#include "base/error.h"
#include "fuzz/fuzz_targets.h"
#include "nn/model.h"
#include "nn/network.h"
#include "nn/plan.h"

namespace fu::fuzz {
namespace {

constexpr char kMagic[8] = {'F', 'U', 'M', 'O', 'D', 'E', 'L', '\0'};
// Models above these bounds are parsed but not run: a run would only measure the machine.
constexpr std::uint64_t kMaxRunElements = std::uint64_t{1} << 20;
constexpr std::uint64_t kMaxRunWork = std::uint64_t{1} << 24;

// Multiply-adds, window reads and element touches of one forward pass, roughly.
std::uint64_t work_of(const nn::Plan& plan) {
  std::uint64_t work = 0;
  for (const nn::PlannedNode& n : plan.nodes) {
    const nn::Shape& out = plan.shapes[n.output];
    const std::uint64_t elements = out.size();
    const nn::Window2d* window = nullptr;
    std::uint64_t per_output = 1;
    if (n.op == nn::OpType::kConv2d) {
      window = &n.conv.window;
      per_output = static_cast<std::uint64_t>(n.conv.in_channels);
    } else if (n.op == nn::OpType::kDepthwiseConv2d) {
      window = &n.depthwise.window;
    } else if (n.op == nn::OpType::kMaxPool2d || n.op == nn::OpType::kAvgPool2d) {
      window = &n.pool.window;
    } else if (n.op == nn::OpType::kFullyConnected) {
      per_output = static_cast<std::uint64_t>(n.fully_connected.in_features);
    }
    if (window) per_output *= static_cast<std::uint64_t>(window->kernel_h) * window->kernel_w;
    for (int id : n.inputs) work += plan.shapes[id].size();
    work += elements * per_output;
  }
  return work;
}

void run(const std::shared_ptr<const nn::Model>& model, nn::Backend backend) {
  nn::NetworkOptions options;
  options.backend = backend;
  nn::Network network(model, options);
  nn::Tensor input(network.input_shape());
  for (std::size_t i = 0; i < input.size(); ++i) {
    input[i] = static_cast<float>(static_cast<int>(i % 17) - 8) * 0.125f;
  }
  const std::vector<nn::Tensor>& outputs = network.run(input);
  require(outputs.size() == network.output_count(), "a run gives every output");
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    require(outputs[k].shape() == network.output_shape(k), "an output has its planned shape");
  }
}

}  // namespace

bool parse_model_bytes(const std::uint8_t* data, std::size_t size) {
  // The same body under both versions the reader knows: float models are written as version 1,
  // int8 ones as version 2, so both layouts are live input.
  std::shared_ptr<const nn::Model> model;
  for (std::uint32_t version : {nn::kModelFormatVersion, std::uint32_t{1}}) {
    const std::vector<std::uint8_t> file = as_file(kMagic, version, "model file", data, size);
    try {
      model = std::make_shared<const nn::Model>(nn::parse_model(file.data(), file.size(), "fuzz"));
      break;
    } catch (const Error&) {
    }
  }
  if (!model) return false;
  // What the reader accepts, the writer reproduces.
  const std::vector<std::uint8_t> again = nn::serialize_model(*model);
  try {
    nn::parse_model(again.data(), again.size(), "fuzz round trip");
  } catch (const Error& e) {
    require(false, std::string("a parsed model serialises to a file that parses: ") + e.what());
  }

  // "A model that loads is a model that runs": it may still be refused by a backend with
  // fu::Error (e.g. a size it does not support), but never crash.
  const nn::Plan plan = nn::make_plan(model->graph, model->metadata.input_shape());
  std::uint64_t elements = 0;
  for (const nn::Shape& s : plan.shapes) elements += s.size();
  if (elements > kMaxRunElements || work_of(plan) > kMaxRunWork) return true;
  for (nn::Backend backend : {nn::Backend::kReference, nn::Backend::kSimd}) {
    try {
      run(model, backend);
    } catch (const Error&) {
    }
  }
  return true;
}

}  // namespace fu::fuzz
