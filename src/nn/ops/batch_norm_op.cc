// batch_norm: y = clamp(scale * (x - mean) / sqrt(variance + epsilon) + bias) per channel.
// Inference uses the running statistics (weights "mean" and "variance"), which is exactly a
// scale_bias; fold_batch_norm (nn/graph_passes.h) turns it into one for shipping. Training uses
// the statistics of the batch over N, H and W (the biased variance, as PyTorch normalises) and
// moves the running ones towards them: running = (1 - momentum) * running + momentum * batch,
// with the unbiased variance, as torch.nn.BatchNorm2d does.
#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "nn/ops/op_support.h"

namespace fu::nn::ops {
namespace {

struct BatchNormAttributes {
  float epsilon;
  float momentum;
};

BatchNormAttributes read_attributes(const Node& node) {
  BatchNormAttributes a{node.attributes.get_float("epsilon", 1e-5f),
                        node.attributes.get_float("momentum", 0.1f)};
  if (!(a.epsilon > 0.0f)) fail(node, "epsilon must be positive");
  if (!(a.momentum >= 0.0f && a.momentum <= 1.0f)) fail(node, "momentum must be in [0, 1]");
  return a;
}

// The per-channel sums below run over every pixel of the batch (hundreds of thousands). Each
// block of this many pixels is summed in float, where the channel loop vectorises four or more
// wide, and folded into double totals: the error stays that of a 128-term float sum, while the
// sums in double of every element took a quarter of a training step.
constexpr std::size_t kSumBlock = 128;

// sum[c] += v, sum_sq[c] += v * v with v = x - origin[c], over `pixels` pixels of `ch` channels.
void add_shifted_moments(const float* __restrict x, const float* __restrict origin,
                         float* __restrict sum, float* __restrict sum_sq, std::size_t pixels,
                         int ch) {
  for (std::size_t p = 0; p < pixels; ++p) {
    const float* xp = x + p * ch;
    for (int c = 0; c < ch; ++c) {
      const float v = xp[c] - origin[c];
      sum[c] += v;
      sum_sq[c] += v * v;
    }
  }
}

// sum_g[c] += g, sum_gx[c] += g * (x - mean[c]) * inv_std[c], over `pixels` pixels.
void add_gradient_sums(const float* __restrict g, const float* __restrict x,
                       const float* __restrict mean, const float* __restrict inv_std,
                       float* __restrict sum_g, float* __restrict sum_gx, std::size_t pixels,
                       int ch) {
  for (std::size_t p = 0; p < pixels; ++p) {
    const float* gp = g + p * ch;
    const float* xp = x + p * ch;
    for (int c = 0; c < ch; ++c) {
      sum_g[c] += gp[c];
      sum_gx[c] += gp[c] * ((xp[c] - mean[c]) * inv_std[c]);
    }
  }
}

// Two per-channel sums over every pixel, in double: add(first_pixel, count, sum_a, sum_b) adds a
// block of at most kSumBlock pixels into float sums, folded into double after each block. The
// blocks are split over the pool's threads, each part summing its own, and the parts are added
// in order.
template <typename Add>
void channel_sums(ThreadPool* pool, std::size_t pixels, int ch, Add&& add,
                  std::vector<double>& total_a, std::vector<double>& total_b) {
  const std::size_t blocks = (pixels + kSumBlock - 1) / kSumBlock;
  const std::size_t width = static_cast<std::size_t>(ch);
  PartSums<double> parts(pool, 2 * width);  // per part: width sums a, then width sums b
  for_parts(pool, blocks, [&](std::size_t begin, std::size_t end, int part) {
    std::vector<float> a(width, 0.0f), b(width, 0.0f);
    double* ta = parts.part(part);
    double* tb = ta + width;
    for (std::size_t k = begin; k < end; ++k) {
      const std::size_t first = k * kSumBlock;
      add(first, std::min(kSumBlock, pixels - first), a.data(), b.data());
      for (std::size_t c = 0; c < width; ++c) {
        ta[c] += a[c];
        tb[c] += b[c];
      }
      std::fill(a.begin(), a.end(), 0.0f);
      std::fill(b.begin(), b.end(), 0.0f);
    }
  });
  std::vector<double> totals(2 * width);
  parts.total(totals.data());
  total_a.assign(totals.begin(), totals.begin() + width);
  total_b.assign(totals.begin() + width, totals.end());
}

// y = clamp(x * scale + shift) per channel, over `pixels` pixels.
void scale_shift_clamp(const float* __restrict x, const float* __restrict scale,
                       const float* __restrict shift, float lowest, float highest,
                       float* __restrict y, std::size_t pixels, int ch) {
  for (std::size_t p = 0; p < pixels; ++p) {
    const float* xp = x + p * ch;
    float* yp = y + p * ch;
    for (int c = 0; c < ch; ++c)
      yp[c] = std::min(std::max(xp[c] * scale[c] + shift[c], lowest), highest);
  }
}

// dx += k_g * g + k_x * x + k_0 per channel, over `pixels` pixels.
void add_affine(const float* __restrict g, const float* __restrict x, const float* __restrict k_g,
                const float* __restrict k_x, const float* __restrict k_0, float* __restrict dx,
                std::size_t pixels, int ch) {
  for (std::size_t p = 0; p < pixels; ++p) {
    const float* gp = g + p * ch;
    const float* xp = x + p * ch;
    float* d = dx + p * ch;
    for (int c = 0; c < ch; ++c) d[c] += k_g[c] * gp[c] + k_x[c] * xp[c] + k_0[c];
  }
}

PlannedNode plan(const Node& node, const std::vector<Shape>& ins, Shape* out) {
  PlannedNode p = planned(node);
  expect_inputs(node, ins, 1);
  for (const char* role : {"scale", "bias", "mean", "variance"}) {
    require_weight(node, role, {ins[0].c});
  }
  const Weight* variance = node.weight("variance");
  for (float v : variance->data) {
    if (!(v >= 0.0f)) fail(node, "weight 'variance' holds a negative or NaN value");
  }
  p.epsilon = read_attributes(node).epsilon;
  p.activation = read_activation(node);
  *out = ins[0];
  return p;
}

float clamp_to(Activation a, double v) {
  return std::min(std::max(static_cast<float>(v), a.min), a.max);
}

void forward(const OpForwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  const int ch = is.c;
  const float* gamma = a.node.weight_data("scale");
  const float* beta = a.node.weight_data("bias");
  const float* mean = a.node.weight_data("mean");
  const float* var = a.node.weight_data("variance");
  std::vector<double> scale(ch), shift(ch);
  for (int c = 0; c < ch; ++c) {
    scale[c] = gamma[c] / std::sqrt(static_cast<double>(var[c]) + a.node.epsilon);
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  const std::size_t pixels = pixels_of(is);
  for (std::size_t p = 0; p < pixels; ++p) {
    for (int c = 0; c < ch; ++c) {
      const std::size_t i = p * ch + c;
      a.output[i] = clamp_to(a.node.activation, a.inputs[0][i] * scale[c] + shift[c]);
    }
  }
}

// saved = [batch mean (C), 1 / sqrt(batch variance + epsilon) (C)].
void forward_training(const OpForwardArgs& a, const OpTrainingState& state) {
  const Shape& is = a.input_shapes[0];
  const int ch = is.c;
  const std::size_t pixels = pixels_of(is);
  if (pixels < 2) {
    throw Error("cannot train node '" + a.node.node->name +
                "' (batch_norm): batch statistics need at least 2 values per channel, the batch "
                "has " +
                std::to_string(pixels));
  }
  const BatchNormAttributes attrs = read_attributes(*a.node.node);
  // One pass for both moments of x - origin, the origin being the first pixel's value: the variance
  // is E[v^2] - E[v]^2, and with v centred near 0 that difference loses nothing to cancellation
  // however far the activations sit from 0.
  const float* x = a.inputs[0];
  const std::vector<float> origin(x, x + ch);
  std::vector<double> sum, sum_sq;
  channel_sums(
      a.pool, pixels, ch,
      [&](std::size_t first, std::size_t count, float* block_sum, float* block_sum_sq) {
        add_shifted_moments(x + first * ch, origin.data(), block_sum, block_sum_sq, count, ch);
      },
      sum, sum_sq);
  std::vector<double> mean(ch), variance(ch);
  for (int c = 0; c < ch; ++c) {
    const double shifted_mean = sum[c] / pixels;
    mean[c] = origin[c] + shifted_mean;
    variance[c] = std::max(sum_sq[c] / pixels - shifted_mean * shifted_mean, 0.0);
  }
  std::vector<float>& saved = *state.saved;
  saved.assign(2 * static_cast<std::size_t>(ch), 0.0f);
  const float* gamma = a.node.weight_data("scale");
  const float* beta = a.node.weight_data("bias");
  std::vector<float> scale(ch), shift(ch);
  for (int c = 0; c < ch; ++c) {
    const double inv_std = 1.0 / std::sqrt(variance[c] + attrs.epsilon);
    saved[c] = static_cast<float>(mean[c]);
    saved[ch + c] = static_cast<float>(inv_std);
    scale[c] = static_cast<float>(gamma[c] * inv_std);
    shift[c] = static_cast<float>(beta[c] - mean[c] * gamma[c] * inv_std);
  }
  const Activation act = a.node.activation;
  for_parts(a.pool, pixels, [&](std::size_t begin, std::size_t end, int) {
    scale_shift_clamp(x + begin * ch, scale.data(), shift.data(), act.min, act.max,
                      a.output + begin * ch, end - begin, ch);
  });
  std::vector<float>& running_mean = state.weights->at("mean").data;
  std::vector<float>& running_var = state.weights->at("variance").data;
  const double m = attrs.momentum;
  for (int c = 0; c < ch; ++c) {
    const double unbiased = variance[c] * pixels / static_cast<double>(pixels - 1);
    running_mean[c] = static_cast<float>((1.0 - m) * running_mean[c] + m * mean[c]);
    running_var[c] = static_cast<float>((1.0 - m) * running_var[c] + m * unbiased);
  }
}

// With xhat = (x - mean) * inv_std and g the gradient before the clamp:
//   d bias = sum g,  d scale = sum g * xhat,
//   training:  dx = scale * inv_std / M * (M * g - sum g - xhat * sum g * xhat),  M = N * H * W
//              (mean and inv_std are the batch's, so they depend on x too);
//   inference: dx = scale * inv_std * g (the running statistics are constants), which is what
//              fine-tuning with frozen statistics needs.
void backward(const OpBackwardArgs& a) {
  const Shape& is = a.input_shapes[0];
  const int ch = is.c;
  const std::size_t pixels = pixels_of(is);
  const bool training = !a.saved.empty();
  if (training && a.saved.size() != 2 * static_cast<std::size_t>(ch)) {
    throw Error("cannot run backward of node '" + a.node.node->name +
                "' (batch_norm): its saved batch statistics do not match the input");
  }
  std::vector<float> running(2 * static_cast<std::size_t>(ch));
  if (!training) {
    const float* mean = a.node.weight_data("mean");
    const float* var = a.node.weight_data("variance");
    for (int c = 0; c < ch; ++c) {
      running[c] = mean[c];
      running[ch + c] =
          static_cast<float>(1.0 / std::sqrt(static_cast<double>(var[c]) + a.node.epsilon));
    }
  }
  const std::vector<float>& stats = training ? a.saved : running;
  std::vector<float> masked;
  const float* g = unclamped_grad(a, masked);
  const float* x = a.inputs[0];
  const float* mean = stats.data();
  const float* inv_std = stats.data() + ch;
  std::vector<double> sum_g, sum_gx;
  channel_sums(
      a.pool, pixels, ch,
      [&](std::size_t first, std::size_t count, float* block_g, float* block_gx) {
        add_gradient_sums(g + first * ch, x + first * ch, mean, inv_std, block_g, block_gx, count,
                          ch);
      },
      sum_g, sum_gx);
  if (float* d_bias = weight_grad(a, "bias")) {
    for (int c = 0; c < ch; ++c) d_bias[c] = static_cast<float>(sum_g[c]);
  }
  if (float* d_scale = weight_grad(a, "scale")) {
    for (int c = 0; c < ch; ++c) d_scale[c] = static_cast<float>(sum_gx[c]);
  }
  float* dx = a.input_grads[0];
  if (dx == nullptr) return;
  // dx is affine in (g, x) per channel: dx = k_g * g + k_x * x + k_0.
  const float* gamma = a.node.weight_data("scale");
  const double count = static_cast<double>(pixels);
  std::vector<float> k_g(ch), k_x(ch), k_0(ch);
  for (int c = 0; c < ch; ++c) {
    const double gi = gamma[c] * static_cast<double>(inv_std[c]);
    if (training) {
      const double slope = gi * inv_std[c] * sum_gx[c] / count;  // d/dx of xhat's term
      k_g[c] = static_cast<float>(gi);
      k_x[c] = static_cast<float>(-slope);
      k_0[c] = static_cast<float>(-gi * sum_g[c] / count + slope * mean[c]);
    } else {
      k_g[c] = static_cast<float>(gi);
      k_x[c] = 0.0f;
      k_0[c] = 0.0f;
    }
  }
  for_parts(a.pool, pixels, [&](std::size_t begin, std::size_t end, int) {
    add_affine(g + begin * ch, x + begin * ch, k_g.data(), k_x.data(), k_0.data(), dx + begin * ch,
               end - begin, ch);
  });
}

}  // namespace

extern const OpDef kBatchNormOp = {
    OpType::kBatchNorm, "batch_norm", plan, forward, forward_training, backward, {"scale", "bias"}};

}  // namespace fu::nn::ops
