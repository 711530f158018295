// Optimisers over flat float parameters, with PyTorch's exact update rules so that a run can be
// checked against torch.optim step by step (tests/train/torch_cross_check_test.cc).
//
// SGD (torch.optim.SGD, dampening 0), per element with gradient g and weight w:
//   g' = g + weight_decay * w                  (coupled L2 decay, only where decay is true)
//   v  = g' on the first step, then v = momentum * v + g'      (no buffer when momentum is 0)
//   w -= lr * (nesterov ? g' + momentum * v : v)
// AdamW (torch.optim.AdamW, amsgrad off), at step t = 1, 2, ...:
//   w *= 1 - lr * weight_decay                 (decoupled decay, only where decay is true)
//   m  = beta1 * m + (1 - beta1) * g;   s = beta2 * s + (1 - beta2) * g^2
//   w -= (lr / (1 - beta1^t)) * m / (sqrt(s) / sqrt(1 - beta2^t) + epsilon)
//
// The parameter list must be the same (names, sizes, order) at every step; the state is created
// on the first step or by load(). Biases, batch norm and PReLU parameters usually take decay =
// false (decaying them towards 0 only hurts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/byte_stream.h"

namespace fu::train {

struct ParameterRef {
  std::string name;  // unique, e.g. "conv1/filter"; checkpoints match state by it
  float* value = nullptr;
  const float* grad = nullptr;  // d loss / d value, same size
  std::size_t size = 0;
  bool decay = true;  // weight decay applies
};

enum class OptimizerKind { kSgd, kAdamW };

const char* optimizer_kind_name(OptimizerKind kind);  // "sgd", "adamw"

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::kSgd;
  float momentum = 0.9f;  // SGD
  bool nesterov = false;  // SGD; needs momentum > 0
  float beta1 = 0.9f;     // AdamW
  float beta2 = 0.999f;   // AdamW
  float epsilon = 1e-8f;  // AdamW
  float weight_decay = 0.0f;
};

class Optimizer {
 public:
  // Throws fu::Error for options outside their ranges (momentum and betas in [0, 1), epsilon > 0,
  // weight decay >= 0, nesterov without momentum).
  explicit Optimizer(const OptimizerOptions& options);

  // One update of every parameter with its gradient at learning rate lr. Throws fu::Error, before
  // changing anything, for a bad lr, a null pointer, a non-finite gradient (named) or a list that
  // differs from the one the state was made for.
  void step(const std::vector<ParameterRef>& params, float lr);

  std::int64_t step_count() const { return steps_; }
  const OptimizerOptions& options() const { return options_; }

  // The state (kind, step count, per-parameter name, size and buffers) for a checkpoint. The
  // hyperparameters are not stored: a resumed run takes the caller's options (the kind must
  // match).
  void save(ByteWriter& out) const;
  // Replaces the state with one written by save(). Throws fu::Error when the stored kind, the
  // parameter names or the sizes differ from `params` (the network being resumed), or the bytes
  // are malformed; on error the optimiser is unchanged.
  void load(ByteReader& in, const std::vector<ParameterRef>& params);

 private:
  struct State {
    std::string name;
    std::size_t size = 0;
    std::vector<float> first;   // SGD momentum buffer, or AdamW's m
    std::vector<float> second;  // AdamW's s (empty for SGD)
  };

  void check(const std::vector<ParameterRef>& params, float lr) const;
  int buffers_per_parameter() const;

  OptimizerOptions options_;
  std::int64_t steps_ = 0;
  std::vector<State> state_;
};

}  // namespace fu::train
