#include "train/optimizer.h"

#include <cmath>
#include <string>

#include "base/error.h"

namespace fu::train {
namespace {

// "FUOP" little-endian: the optimiser state inside a training checkpoint.
constexpr std::uint32_t kStateMagic = 0x504f5546;
constexpr std::uint32_t kStateVersion = 1;

[[noreturn]] void fail(const std::string& verb_object, const std::string& value,
                       const std::string& reason) {
  throw Error("cannot " + verb_object + " (" + value + "): " + reason);
}

void check_fraction(const char* name, float v) {
  if (!(v >= 0.0f && v < 1.0f)) {
    fail("create optimizer", std::string(name) + " " + std::to_string(v), "must be in [0, 1)");
  }
}

}  // namespace

const char* optimizer_kind_name(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kSgd:
      return "sgd";
    case OptimizerKind::kAdamW:
      return "adamw";
  }
  return "unknown";
}

Optimizer::Optimizer(const OptimizerOptions& options) : options_(options) {
  if (options.kind != OptimizerKind::kSgd && options.kind != OptimizerKind::kAdamW) {
    fail("create optimizer", "kind " + std::to_string(static_cast<int>(options.kind)),
         "unknown kind");
  }
  check_fraction("momentum", options.momentum);
  check_fraction("beta1", options.beta1);
  check_fraction("beta2", options.beta2);
  if (!(options.epsilon > 0.0f) || !std::isfinite(options.epsilon)) {
    fail("create optimizer", "epsilon " + std::to_string(options.epsilon),
         "must be finite and positive");
  }
  if (!(options.weight_decay >= 0.0f) || !std::isfinite(options.weight_decay)) {
    fail("create optimizer", "weight_decay " + std::to_string(options.weight_decay),
         "must be finite and not negative");
  }
  if (options.kind == OptimizerKind::kSgd && options.nesterov && options.momentum == 0.0f) {
    fail("create optimizer", "nesterov with momentum 0", "Nesterov momentum needs momentum > 0");
  }
}

int Optimizer::buffers_per_parameter() const {
  if (options_.kind == OptimizerKind::kAdamW) return 2;
  return options_.momentum > 0.0f ? 1 : 0;
}

void Optimizer::check(const std::vector<ParameterRef>& params, float lr) const {
  if (!std::isfinite(lr) || lr < 0.0f) {
    fail("step optimizer", "lr " + std::to_string(lr), "the learning rate must be finite and >= 0");
  }
  if (!state_.empty() && state_.size() != params.size()) {
    fail("step optimizer", std::to_string(params.size()) + " parameters",
         "the state holds " + std::to_string(state_.size()) +
             "; pass the same parameter list at every step");
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const ParameterRef& p = params[i];
    if (p.value == nullptr || p.grad == nullptr) {
      fail("step optimizer", "parameter '" + p.name + "'", "null value or gradient");
    }
    if (!state_.empty() && (state_[i].name != p.name || state_[i].size != p.size)) {
      fail("step optimizer",
           "parameter " + std::to_string(i) + " '" + p.name + "' of size " + std::to_string(p.size),
           "the state has '" + state_[i].name + "' of size " + std::to_string(state_[i].size) +
               " there; pass the same parameter list at every step");
    }
    for (std::size_t k = 0; k < p.size; ++k) {
      if (!std::isfinite(p.grad[k])) {
        fail("step optimizer", "parameter '" + p.name + "', element " + std::to_string(k),
             "the gradient is not finite");
      }
    }
  }
}

void Optimizer::step(const std::vector<ParameterRef>& params, float lr) {
  check(params, lr);
  if (state_.empty()) {
    const int buffers = buffers_per_parameter();
    state_.resize(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      state_[i].name = params[i].name;
      state_[i].size = params[i].size;
      // Zero buffers make the first SGD step v = g', as PyTorch's clone of the first gradient.
      if (buffers >= 1) state_[i].first.assign(params[i].size, 0.0f);
      if (buffers >= 2) state_[i].second.assign(params[i].size, 0.0f);
    }
  }
  ++steps_;
  const OptimizerOptions& o = options_;
  if (o.kind == OptimizerKind::kSgd) {
    const float mu = o.momentum;
    for (std::size_t i = 0; i < params.size(); ++i) {
      const ParameterRef& p = params[i];
      const float wd = p.decay ? o.weight_decay : 0.0f;
      float* v = state_[i].first.data();
      for (std::size_t k = 0; k < p.size; ++k) {
        float g = p.grad[k];
        if (wd != 0.0f) g += wd * p.value[k];
        if (mu > 0.0f) {
          v[k] = mu * v[k] + g;
          g = o.nesterov ? g + mu * v[k] : v[k];
        }
        p.value[k] -= lr * g;
      }
    }
    return;
  }
  // AdamW; the scalar factors in double as PyTorch computes them in Python.
  const double t = static_cast<double>(steps_);
  const double correction1 = 1.0 - std::pow(static_cast<double>(o.beta1), t);
  const double correction2_sqrt = std::sqrt(1.0 - std::pow(static_cast<double>(o.beta2), t));
  const float step_size = static_cast<float>(lr / correction1);
  const float sqrt_correction2 = static_cast<float>(correction2_sqrt);
  const float b1 = o.beta1;
  const float b2 = o.beta2;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const ParameterRef& p = params[i];
    const float shrink =
        static_cast<float>(1.0 - static_cast<double>(lr) * (p.decay ? o.weight_decay : 0.0f));
    float* m = state_[i].first.data();
    float* s = state_[i].second.data();
    for (std::size_t k = 0; k < p.size; ++k) {
      const float g = p.grad[k];
      float w = p.value[k] * shrink;
      m[k] = m[k] * b1 + g * (1.0f - b1);
      s[k] = s[k] * b2 + g * g * (1.0f - b2);
      const float denom = std::sqrt(s[k]) / sqrt_correction2 + o.epsilon;
      w -= step_size * (m[k] / denom);
      p.value[k] = w;
    }
  }
}

void Optimizer::save(ByteWriter& out) const {
  out.u32(kStateMagic);
  out.u32(kStateVersion);
  out.u8(static_cast<std::uint8_t>(options_.kind));
  out.u8(static_cast<std::uint8_t>(buffers_per_parameter()));
  out.u64(static_cast<std::uint64_t>(steps_));
  out.u32(static_cast<std::uint32_t>(state_.size()));
  for (const State& s : state_) {
    out.str(s.name);
    out.u64(s.size);
    if (!s.first.empty()) out.raw(s.first.data(), s.first.size() * sizeof(float));
    if (!s.second.empty()) out.raw(s.second.data(), s.second.size() * sizeof(float));
  }
}

void Optimizer::load(ByteReader& in, const std::vector<ParameterRef>& params) {
  if (in.u32("optimizer magic") != kStateMagic) in.fail("not an optimizer state (bad magic)");
  const std::uint32_t version = in.u32("optimizer version");
  if (version != kStateVersion) {
    in.fail("optimizer state version " + std::to_string(version) + " is not supported (expected " +
            std::to_string(kStateVersion) + ")");
  }
  const std::uint8_t kind = in.u8("optimizer kind");
  if (kind != static_cast<std::uint8_t>(options_.kind)) {
    const char* stored = kind <= 1 ? optimizer_kind_name(static_cast<OptimizerKind>(kind)) : "?";
    in.fail(std::string("the optimizer state is ") + stored + ", this optimizer is " +
            optimizer_kind_name(options_.kind));
  }
  const int buffers = in.u8("optimizer buffers");
  if (buffers != buffers_per_parameter()) {
    in.fail("the optimizer state has " + std::to_string(buffers) +
            " buffers per parameter, these options need " +
            std::to_string(buffers_per_parameter()) + " (momentum on one side only?)");
  }
  const std::uint64_t steps = in.u64("optimizer step count");
  if (steps > static_cast<std::uint64_t>(INT64_MAX)) in.fail("step count out of range");
  // A state saved before the first step holds no parameters.
  const std::uint32_t count = in.count("optimizer parameters", 12);
  if (count != 0 && count != params.size()) {
    in.fail("the optimizer state holds " + std::to_string(count) + " parameters, the network has " +
            std::to_string(params.size()));
  }
  std::vector<State> state(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    State& s = state[i];
    s.name = in.str("parameter name");
    s.size = static_cast<std::size_t>(in.u64("parameter size"));
    if (s.name != params[i].name || s.size != params[i].size) {
      in.fail("parameter " + std::to_string(i) + " is '" + s.name + "' of size " +
              std::to_string(s.size) + " in the state, '" + params[i].name + "' of size " +
              std::to_string(params[i].size) + " in the network");
    }
    if (buffers > 0 && s.size > in.remaining() / (sizeof(float) * buffers)) {
      in.fail("truncated buffers of parameter '" + s.name + "'");
    }
    if (buffers >= 1) {
      s.first.resize(s.size);
      in.raw(s.first.data(), s.size * sizeof(float), "optimizer buffer");
    }
    if (buffers >= 2) {
      s.second.resize(s.size);
      in.raw(s.second.data(), s.size * sizeof(float), "optimizer buffer");
    }
  }
  steps_ = static_cast<std::int64_t>(steps);
  state_ = std::move(state);
}

}  // namespace fu::train
