// Post-training int8 quantisation of a float graph: the graph rewrite and the value ranges it
// needs. Choosing sample inputs (calibration data) is the caller's business (src/train).
//
// The rewrite follows the int8 contract (docs/model-format.md): filters become int8 with one
// symmetric scale per output channel (max |w| / 127), biases int32 in units of input scale times
// channel scale, activations int8 with a per-tensor scale and zero point covering the value's
// calibrated range (widened to include 0, so that 0 and zero padding are exact).
#pragma once

#include <limits>
#include <vector>

#include "nn/executor.h"
#include "nn/graph.h"
#include "nn/plan.h"
#include "nn/value_tap.h"

namespace fu::nn {

struct ValueRange {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();

  bool observed() const { return min <= max; }
};

// The affine int8 quantisation of [min, max] widened to include 0, onto the levels -128..127
// (bits 8) or 0..127 (bits 7: every level a non-negative byte, as relaxed SIMD's int8 dot product
// needs of one operand; docs/kernels.md "Relaxed SIMD"). An empty or degenerate range gets a tiny
// positive scale (every value then quantises to the zero point). Throws fu::Error for other bits.
QuantParams quant_params_for_range(const ValueRange& range, int bits = 8);

// How a value's range is chosen from the samples.
enum class RangeRule {
  kMinMax,          // the smallest and largest value seen in any sample
  kMeanOfExtremes,  // the mean over samples of each sample's smallest and largest value: an
                    // outlier of one sample widens the grid of every sample less
};

// Runs a float graph (no int8 values) on sample inputs and records each value's range.
class ValueRangeRecorder {
 public:
  ValueRangeRecorder(const Graph& graph, const Shape& input_shape, Backend backend);
  void observe(const Tensor& input);
  // value id -> range; unobserved (never computed) values have observed() == false.
  std::vector<ValueRange> ranges(RangeRule rule = RangeRule::kMinMax) const;
  int samples() const { return samples_; }

 private:
  void add(int value, const float* data, std::size_t count);

  ValueTap tap_;
  std::vector<ValueRange> min_max_;
  std::vector<double> sum_of_min_;  // per value, over samples
  std::vector<double> sum_of_max_;
  int samples_ = 0;
};

struct QuantizeGraphOptions {
  // Round the weights that stay float (PReLU slopes, unfolded scale_bias, ...) to float16, so the
  // model file stores them in two bytes.
  bool float16_storage = true;
  // Keep the last weighted layer before each output in float (its weights in float16): the
  // embedding is then not rounded to 256 levels. Off by default; `faceunlock quantize
  // --float-last-layer` turns it on.
  bool float_last_layer = false;
  // 8: each activation's range spans the int8 levels -128..127; 7: the levels 0..127
  // (quant_params_for_range). The int8 contract and every kernel are the same for both.
  int activation_bits = 8;
};

// `graph` is an inference graph (nn/graph_passes.h: fold_training_ops and
// fold_scale_bias_and_clamps already applied) and `ranges` its values' ranges. Every node with
// an int8 form (conv2d, depthwise_conv2d, fully_connected, add, max/avg pooling,
// global_avg_pool, prelu, and reshape or a zero pad after int8) becomes int8; quantize / dequantize
// nodes are inserted where float and int8 meet. Value ids of the float graph keep their meaning
// (the output ids are unchanged); int8 twins are appended as "<name>/qs8". Throws fu::Error when a
// value that must be quantised has no observed range.
Graph quantize_graph(const Graph& graph, const std::vector<ValueRange>& ranges,
                     const QuantizeGraphOptions& options = {});

}  // namespace fu::nn
