// A network is data: a list of nodes in execution order over named values. Nodes carry their
// parameters as named attributes and their weights by role ("filter", "bias", "scale", "slope"),
// so the model file stays readable and extensible without positional fields.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nn/quant_params.h"

namespace fu::nn {

enum class OpType {
  kConv2d,           // weights: filter [O,kh,kw,I], bias [O]
  kDepthwiseConv2d,  // weights: filter [1,kh,kw,C], bias [C]
  kFullyConnected,   // weights: filter [O,I], bias [O]; input flattened in NHWC order
  kScaleBias,        // weights: scale [C], bias [C] (batch norm folded)
  kRelu,
  kRelu6,
  kPRelu,  // weights: slope [C]
  kAdd,    // two inputs of equal shape
  kMaxPool2d,
  kAvgPool2d,  // divides by the number of non-padded pixels in the window
  kGlobalAvgPool,
  kPad,          // spatial and channel constant padding
  kConcat,       // along channels
  kReshape,      // to [N, height, width, channels] keeping NHWC element order
  kL2Normalize,  // over channels, per pixel
  // Training ops: nn/graph_passes.h folds them away before a graph runs for inference.
  kBatchNorm,  // weights: scale, bias, mean, variance [C]; attributes epsilon, momentum
  kDropout,    // attribute rate; the identity at inference
  // int8 boundaries: a float32 value to its int8 form and back, with the int8 value's
  // quantisation from the graph's value table.
  kQuantize,
  kDequantize,
};

const char* op_type_name(OpType op);
std::optional<OpType> op_type_from_name(std::string_view name);

// Named scalar parameters. Numbers are stored as double; integer attributes must be integral.
class Attributes {
 public:
  void set(const std::string& name, double value) { numbers_[name] = value; }
  void set(const std::string& name, int value) { numbers_[name] = value; }
  void set(const std::string& name, const std::string& value) { strings_[name] = value; }
  void set(const std::string& name, const char* value) { strings_[name] = value; }

  bool has(const std::string& name) const;
  // Each getter throws fu::Error naming the attribute when it is present but invalid.
  int get_int(const std::string& name, int fallback, int min_value, int max_value) const;
  float get_float(const std::string& name, float fallback) const;
  std::string get_string(const std::string& name, const std::string& fallback) const;

  const std::map<std::string, double>& numbers() const { return numbers_; }
  const std::map<std::string, std::string>& strings() const { return strings_; }

 private:
  std::map<std::string, double> numbers_;
  std::map<std::string, std::string> strings_;
};

// When every value of a weight is exactly min + q * scale for a whole q in 0..255 (weights that
// came uint8-quantised, as TF.js models ship them), the model file stores q in one byte instead
// of four, losslessly.
struct Uint8Quantization {
  float scale = 0.0f;
  float min = 0.0f;
};

// How a weight's values are held in memory. Float weights live in `data` (whatever their storage
// in the file: float32, float16 or uint8 affine, all widened on load); int8 weights in `qs8`
// with one scale per channel along `channel_axis` (real = channel_scales[c] * q, q in
// [-127, 127]); int32 biases in `i32`, in units of input scale times the channel's weight scale.
enum class WeightType { kF32, kQs8, kI32 };

const char* weight_type_name(WeightType type);

struct Weight {
  Weight() = default;
  // A float32 weight (the common case, and how converters and tests build them).
  Weight(std::vector<int> dims_, std::vector<float> data_,
         std::optional<Uint8Quantization> quantization_ = std::nullopt)
      : dims(std::move(dims_)), data(std::move(data_)), quantization(quantization_) {}

  std::vector<int> dims;
  std::vector<float> data;
  std::optional<Uint8Quantization> quantization;
  WeightType type = WeightType::kF32;
  std::vector<std::int8_t> qs8;
  std::vector<float> channel_scales;
  int channel_axis = 0;
  std::vector<std::int32_t> i32;
  // A float weight whose values were rounded to float16 on purpose (round_weights_to_half, or
  // read from float16 storage): the writer stores it in two bytes per value, in a version 2
  // file, for as long as every value is still exactly a float16.
  bool half_storage = false;

  std::size_t element_count() const;  // product of dims (1 for rank 0)
  std::size_t stored_count() const;   // values held for the weight's type
};

struct Node {
  OpType op = OpType::kRelu;
  std::string name;
  std::vector<int> inputs;  // value ids
  int output = -1;          // value id
  Attributes attributes;
  std::map<std::string, Weight> weights;

  const Weight* weight(const std::string& role) const;
};

struct Graph {
  std::vector<std::string> values;  // value id -> name
  // Value id -> its int8 quantisation; a value absent here is float32. The graph's input and
  // outputs are always float32: quantize/dequantize nodes mark where int8 starts and ends.
  std::map<int, QuantParams> quantized_values;
  int input = -1;
  std::vector<int> outputs;
  std::vector<Node> nodes;  // in execution order: every input is produced before it is used
};

}  // namespace fu::nn
