#include "train/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "base/byte_stream.h"
#include "base/error.h"
#include "train/lr_schedule.h"

namespace fu::train {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Optimizer, SgdMomentumWeightDecayByHand) {
  OptimizerOptions o;
  o.kind = OptimizerKind::kSgd;
  o.momentum = 0.5f;
  o.weight_decay = 0.1f;
  Optimizer opt(o);
  std::vector<float> w = {1.0f, 2.0f}, bias = {1.0f};
  const std::vector<float> g = {0.5f, -1.0f}, gb = {0.5f};
  const std::vector<ParameterRef> params = {{"w", w.data(), g.data(), 2, true},
                                            {"b", bias.data(), gb.data(), 1, false}};
  opt.step(params, 0.1f);
  // g' = g + 0.1 w = {0.6, -0.8}; v = g'; w -= 0.1 v. Bias: no decay, v = 0.5.
  EXPECT_FLOAT_EQ(w[0], 1.0f - 0.06f);
  EXPECT_FLOAT_EQ(w[1], 2.0f + 0.08f);
  EXPECT_FLOAT_EQ(bias[0], 0.95f);
  opt.step(params, 0.1f);
  // w0: g' = 0.5 + 0.094 = 0.594; v = 0.5 * 0.6 + 0.594 = 0.894; w = 0.94 - 0.0894.
  EXPECT_NEAR(w[0], 0.94 - 0.0894, 1e-6);
  // bias: v = 0.25 + 0.5 = 0.75; b = 0.95 - 0.075.
  EXPECT_NEAR(bias[0], 0.875, 1e-6);
  EXPECT_EQ(opt.step_count(), 2);
}

TEST(Optimizer, SgdNesterovAndPlain) {
  OptimizerOptions o;
  o.momentum = 0.9f;
  o.nesterov = true;
  Optimizer opt(o);
  std::vector<float> w = {0.0f};
  const std::vector<float> g = {1.0f};
  const std::vector<ParameterRef> params = {{"w", w.data(), g.data(), 1, true}};
  opt.step(params, 1.0f);  // v = 1, update g + 0.9 v = 1.9
  EXPECT_FLOAT_EQ(w[0], -1.9f);
  opt.step(params, 1.0f);  // v = 1.9, update 1 + 1.71 = 2.71
  EXPECT_FLOAT_EQ(w[0], -1.9f - 2.71f);

  o.momentum = 0.0f;
  o.nesterov = false;
  Optimizer plain(o);
  w[0] = 1.0f;
  plain.step(params, 0.25f);
  plain.step(params, 0.25f);
  EXPECT_FLOAT_EQ(w[0], 0.5f);
}

TEST(Optimizer, AdamWByHand) {
  OptimizerOptions o;
  o.kind = OptimizerKind::kAdamW;
  o.beta1 = 0.9f;
  o.beta2 = 0.99f;
  o.epsilon = 1e-8f;
  o.weight_decay = 0.5f;
  Optimizer opt(o);
  std::vector<float> w = {1.0f}, b = {1.0f};
  std::vector<float> g = {2.0f}, gb = {2.0f};
  const std::vector<ParameterRef> params = {{"w", w.data(), g.data(), 1, true},
                                            {"b", b.data(), gb.data(), 1, false}};
  opt.step(params, 0.1f);
  // Step 1: bias-corrected m/sqrt(s) = g/|g| = 1, so w = 1 * (1 - 0.05) - 0.1.
  EXPECT_NEAR(w[0], 0.95 - 0.1, 1e-6);
  EXPECT_NEAR(b[0], 1.0 - 0.1, 1e-6);
  g[0] = -1.0f;
  opt.step(params, 0.1f);
  // Step 2: m = 0.9*0.2 - 0.1 = 0.08, s = 0.99*0.04 + 0.01 = 0.0496;
  // update = (0.08 / 0.19) / (sqrt(0.0496) / sqrt(0.0199)).
  const double m_hat = 0.08 / (1 - 0.81);
  const double s_hat = 0.0496 / (1 - 0.9801);
  const double expected = 0.85 * (1 - 0.05) - 0.1 * m_hat / (std::sqrt(s_hat) + 1e-8);
  EXPECT_NEAR(w[0], expected, 1e-6);
}

TEST(Optimizer, SaveLoadResumesIdentically) {
  OptimizerOptions o;
  o.kind = OptimizerKind::kAdamW;
  o.weight_decay = 0.01f;
  std::vector<float> w1 = {0.3f, -0.2f, 0.1f}, w2 = w1;
  std::vector<float> g = {0.1f, 0.2f, -0.3f};
  Optimizer a(o);
  const std::vector<ParameterRef> p1 = {{"w", w1.data(), g.data(), 3, true}};
  const std::vector<ParameterRef> p2 = {{"w", w2.data(), g.data(), 3, true}};
  a.step(p1, 0.01f);
  ByteWriter out;
  a.save(out);
  Optimizer b(o);
  w2 = w1;
  ByteReader in(out.bytes().data(), out.bytes().size(), "optimizer state (test)");
  b.load(in, p2);
  EXPECT_EQ(b.step_count(), 1);
  EXPECT_EQ(in.remaining(), 0u);
  for (int i = 0; i < 3; ++i) {
    g[i] *= -0.5f;
    a.step(p1, 0.01f);
    b.step(p2, 0.01f);
  }
  EXPECT_EQ(w1, w2);  // bit for bit

  // Wrong names, sizes, kind and truncation are refused with the reason, state untouched.
  std::vector<float> other(4);
  const std::vector<ParameterRef> renamed = {{"v", w2.data(), g.data(), 3, true}};
  const std::vector<ParameterRef> resized = {{"w", other.data(), other.data(), 4, true}};
  auto load_into = [&](Optimizer& opt, const std::vector<ParameterRef>& params, std::size_t size) {
    ByteReader r(out.bytes().data(), size, "optimizer state (test)");
    opt.load(r, params);
  };
  EXPECT_EQ(error_of([&] { load_into(b, renamed, out.bytes().size()); }),
            "cannot read optimizer state (test): parameter 0 is 'w' of size 3 in the state, 'v' "
            "of size 3 in the network");
  EXPECT_NE(error_of([&] { load_into(b, resized, out.bytes().size()); }).find("of size 4"),
            std::string::npos);
  EXPECT_NE(error_of([&] { load_into(b, p2, out.bytes().size() - 1); }).find("truncated"),
            std::string::npos);
  OptimizerOptions sgd_options;
  Optimizer sgd(sgd_options);
  EXPECT_EQ(error_of([&] { load_into(sgd, p2, out.bytes().size()); }),
            "cannot read optimizer state (test): the optimizer state is adamw, this optimizer is "
            "sgd");
  EXPECT_EQ(b.step_count(), 4);
}

TEST(Optimizer, SgdStateRoundTripAndBufferMismatch) {
  OptimizerOptions o;
  o.momentum = 0.9f;
  std::vector<float> w1 = {1.0f, -1.0f}, w2;
  const std::vector<float> g = {0.5f, 0.25f};
  const std::vector<ParameterRef> p1 = {{"w", w1.data(), g.data(), 2, true}};
  Optimizer a(o);
  // A state saved before any step holds no parameters and loads into any network.
  ByteWriter empty;
  a.save(empty);
  Optimizer fresh(o);
  ByteReader empty_reader(empty.bytes().data(), empty.bytes().size(), "optimizer state (empty)");
  fresh.load(empty_reader, p1);
  EXPECT_EQ(fresh.step_count(), 0);
  a.step(p1, 0.1f);
  a.step(p1, 0.1f);
  ByteWriter out;
  a.save(out);
  w2 = w1;
  const std::vector<ParameterRef> p2 = {{"w", w2.data(), g.data(), 2, true}};
  Optimizer b(o);
  ByteReader in(out.bytes().data(), out.bytes().size(), "optimizer state (sgd)");
  b.load(in, p2);
  a.step(p1, 0.1f);
  b.step(p2, 0.1f);
  EXPECT_EQ(w1, w2);
  EXPECT_EQ(b.step_count(), 3);
  // Momentum 0 keeps no buffer, so a momentum state cannot resume it.
  OptimizerOptions plain;
  plain.momentum = 0.0f;
  Optimizer c(plain);
  ByteReader again(out.bytes().data(), out.bytes().size(), "optimizer state (sgd)");
  EXPECT_NE(error_of([&] { c.load(again, p2); }).find("1 buffers per parameter"),
            std::string::npos);
}

TEST(Optimizer, StepErrors) {
  Optimizer opt(OptimizerOptions{});
  std::vector<float> w = {1.0f}, g = {std::numeric_limits<float>::quiet_NaN()};
  const std::vector<ParameterRef> params = {{"conv/filter", w.data(), g.data(), 1, true}};
  EXPECT_EQ(error_of([&] { opt.step(params, 0.1f); }),
            "cannot step optimizer (parameter 'conv/filter', element 0): the gradient is not "
            "finite");
  EXPECT_EQ(w[0], 1.0f);
  EXPECT_EQ(opt.step_count(), 0);
  g[0] = 1.0f;
  EXPECT_THROW(opt.step(params, -1.0f), Error);
  opt.step(params, 0.1f);
  const std::vector<ParameterRef> changed = {{"conv/bias", w.data(), g.data(), 1, false}};
  EXPECT_NE(error_of([&] { opt.step(changed, 0.1f); }).find("the same parameter list"),
            std::string::npos);
  OptimizerOptions bad;
  bad.momentum = 1.0f;
  EXPECT_THROW(Optimizer{bad}, Error);
  bad.momentum = 0.0f;
  bad.nesterov = true;
  EXPECT_THROW(Optimizer{bad}, Error);
  OptimizerOptions bad_eps;
  bad_eps.kind = OptimizerKind::kAdamW;
  bad_eps.epsilon = 0.0f;
  EXPECT_THROW(Optimizer{bad_eps}, Error);
}

TEST(LrSchedule, WarmupThenCosine) {
  LrSchedule s;
  s.base_lr = 0.1f;
  s.warmup_steps = 10;
  s.warmup_start_fraction = 0.1f;
  s.total_steps = 110;
  s.final_fraction = 0.01f;
  EXPECT_FLOAT_EQ(learning_rate(s, 0), 0.01f);
  EXPECT_FLOAT_EQ(learning_rate(s, 5), 0.1f * (0.1f + 0.9f * 0.5f));
  EXPECT_FLOAT_EQ(learning_rate(s, 10), 0.1f);                           // the peak, end of warm-up
  EXPECT_FLOAT_EQ(learning_rate(s, 60), 0.1f * (0.01f + 0.99f * 0.5f));  // half way
  EXPECT_FLOAT_EQ(learning_rate(s, 110), 0.001f);
  EXPECT_FLOAT_EQ(learning_rate(s, 1000), 0.001f);
  for (int step = 1; step <= 10; ++step)
    EXPECT_GT(learning_rate(s, step), learning_rate(s, step - 1));
  for (int step = 11; step <= 110; ++step) {
    EXPECT_LT(learning_rate(s, step), learning_rate(s, step - 1)) << step;
  }
  s.kind = LrScheduleKind::kConstant;
  EXPECT_FLOAT_EQ(learning_rate(s, 5), 0.1f * (0.1f + 0.9f * 0.5f));
  EXPECT_FLOAT_EQ(learning_rate(s, 10), 0.1f);
  EXPECT_FLOAT_EQ(learning_rate(s, 5000), 0.1f);
  s.warmup_steps = 0;
  EXPECT_FLOAT_EQ(learning_rate(s, 0), 0.1f);
}

TEST(LrSchedule, Errors) {
  LrSchedule s;
  s.total_steps = 5;
  s.warmup_steps = 6;
  EXPECT_EQ(error_of([&] { learning_rate(s, 0); }),
            "cannot use learning-rate schedule (warmup_steps 6 > total_steps 5): the warm-up must "
            "fit in the run");
  s.warmup_steps = 1;
  EXPECT_THROW(learning_rate(s, -1), Error);
  s.final_fraction = 1.5f;
  EXPECT_THROW(validate_lr_schedule(s), Error);
  s.final_fraction = 0.0f;
  s.base_lr = std::numeric_limits<float>::infinity();
  EXPECT_THROW(validate_lr_schedule(s), Error);
}

}  // namespace
}  // namespace fu::train
