// Reading and writing the model file (docs/model-format.md). The reader validates the header,
// the checksum, every count and size, then plans the graph against the declared input so that
// a model that loads is a model that runs.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <sstream>

#include "base/byte_stream.h"
#include "base/error.h"
#include "base/file_envelope.h"
#include "nn/float16.h"
#include "nn/model.h"
#include "nn/plan.h"

namespace fu::nn {

namespace {

constexpr char kMagic[8] = {'F', 'U', 'M', 'O', 'D', 'E', 'L', '\0'};
// Version 1 files (float32 and uint8-affine weights, no int8 values) still load.
constexpr EnvelopeFormat kFormat = {kMagic, kModelFormatVersion, "model file", 1};
constexpr std::uint8_t kDtypeF32 = 1;
constexpr std::uint8_t kDtypeU8Affine = 2;  // f32 scale, f32 min, then one byte per value
// Version 2 and later:
constexpr std::uint8_t kDtypeF16 = 3;  // two bytes per value, widened to float32 on load
constexpr std::uint8_t kDtypeQs8 = 4;  // u32 channel axis, f32 scale per channel, int8 values
constexpr std::uint8_t kDtypeI32 = 5;  // four bytes per value
// int32 values that all fit in 16 bits, two bytes each (the biases of small int8 networks:
// every one of the int8 student's 4,960): the same values in half the bytes.
constexpr std::uint8_t kDtypeI32AsI16 = 6;
constexpr std::uint8_t kAttrNumber = 1;
constexpr std::uint8_t kAttrString = 2;
constexpr int kMaxInputSide = 4096;
constexpr std::uint32_t kMaxRank = 8;

std::string join_floats(const std::vector<float>& values) {
  std::string s;
  char buf[32];
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%.9g", values[i]);
    s += (i ? "," : "") + std::string(buf);
  }
  return s;
}

std::map<std::string, std::string> metadata_to_pairs(const ModelMetadata& m) {
  std::map<std::string, std::string> pairs = m.properties;
  pairs["name"] = m.name;
  pairs["input_height"] = std::to_string(m.input_height);
  pairs["input_width"] = std::to_string(m.input_width);
  pairs["input_channels"] = std::to_string(m.input_channels);
  pairs["pixel_mean"] = join_floats(m.pixel_mean);
  pairs["pixel_scale"] = join_floats(m.pixel_scale);
  pairs["output_kind"] = m.output_kind;
  pairs["provenance"] = m.provenance;
  pairs["license"] = m.license;
  return pairs;
}

int parse_int(const ByteReader& r, const std::string& key, const std::string& text, int max) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < 1 || v > max) {
    r.fail("metadata '" + key + "' is '" + text + "', expected a whole number from 1 to " +
           std::to_string(max));
  }
  return static_cast<int>(v);
}

std::vector<float> parse_floats(const ByteReader& r, const std::string& key,
                                const std::string& text) {
  std::vector<float> values;
  if (text.empty()) return values;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    const float v = std::strtof(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !std::isfinite(v)) {
      r.fail("metadata '" + key + "' has '" + item + "', expected a finite number");
    }
    values.push_back(v);
  }
  return values;
}

ModelMetadata metadata_from_pairs(const ByteReader& r, std::map<std::string, std::string> pairs) {
  auto take = [&](const char* key) {
    auto it = pairs.find(key);
    if (it == pairs.end()) r.fail(std::string("metadata '") + key + "' is missing");
    std::string v = it->second;
    pairs.erase(it);
    return v;
  };
  ModelMetadata m;
  m.name = take("name");
  m.input_height = parse_int(r, "input_height", take("input_height"), kMaxInputSide);
  m.input_width = parse_int(r, "input_width", take("input_width"), kMaxInputSide);
  m.input_channels = parse_int(r, "input_channels", take("input_channels"), kMaxInputSide);
  m.pixel_mean = parse_floats(r, "pixel_mean", take("pixel_mean"));
  m.pixel_scale = parse_floats(r, "pixel_scale", take("pixel_scale"));
  for (const auto* v : {&m.pixel_mean, &m.pixel_scale}) {
    if (!v->empty() && v->size() != static_cast<std::size_t>(m.input_channels)) {
      r.fail("pixel normalisation has " + std::to_string(v->size()) + " values for " +
             std::to_string(m.input_channels) + " input channels");
    }
  }
  m.output_kind = take("output_kind");
  m.provenance = take("provenance");
  m.license = take("license");
  m.properties = std::move(pairs);
  return m;
}

// The byte q of each value when the weight's quantization reproduces it exactly; empty otherwise.
std::vector<std::uint8_t> exact_uint8_levels(const Weight& weight) {
  if (!weight.quantization || !(weight.quantization->scale > 0.0f)) return {};
  const Uint8Quantization& q = *weight.quantization;
  std::vector<std::uint8_t> levels;
  levels.reserve(weight.data.size());
  for (float v : weight.data) {
    const float level = std::round((v - q.min) / q.scale);
    if (!(level >= 0.0f && level <= 255.0f) || q.min + level * q.scale != v) return {};
    levels.push_back(static_cast<std::uint8_t>(level));
  }
  return levels;
}

bool all_exact_half(const std::vector<float>& values) {
  for (float v : values) {
    if (!is_exact_half(v)) return false;
  }
  return true;
}

// The smallest lossless storage: int8 weights as they are, int32 ones in two bytes each when
// every value fits; a float weight as uint8 levels, else (in a version 2 file) float16, else
// float32, whichever reproduces every value exactly.
void write_weight(ByteWriter& w, const std::string& role, const Weight& weight, bool version2) {
  w.str(role);
  const std::vector<std::uint8_t> levels =
      weight.type == WeightType::kF32 ? exact_uint8_levels(weight) : std::vector<std::uint8_t>{};
  std::uint8_t dtype = kDtypeF32;
  if (weight.type == WeightType::kQs8) {
    dtype = kDtypeQs8;
  } else if (weight.type == WeightType::kI32) {
    const bool fits_i16 = std::all_of(weight.i32.begin(), weight.i32.end(), [](std::int32_t v) {
      return v >= std::numeric_limits<std::int16_t>::min() &&
             v <= std::numeric_limits<std::int16_t>::max();
    });
    dtype = fits_i16 ? kDtypeI32AsI16 : kDtypeI32;
  } else if (!levels.empty()) {
    dtype = kDtypeU8Affine;
  } else if (version2 && all_exact_half(weight.data)) {
    dtype = kDtypeF16;
  }
  w.u8(dtype);
  w.u32(static_cast<std::uint32_t>(weight.dims.size()));
  for (int d : weight.dims) w.u32(static_cast<std::uint32_t>(d));
  switch (dtype) {
    case kDtypeF32:
      for (float v : weight.data) w.f32(v);
      break;
    case kDtypeU8Affine:
      w.f32(weight.quantization->scale);
      w.f32(weight.quantization->min);
      w.raw(levels.data(), levels.size());
      break;
    case kDtypeF16:
      for (float v : weight.data) {
        const std::uint16_t h = float_to_half(v);
        w.u8(static_cast<std::uint8_t>(h & 0xff));
        w.u8(static_cast<std::uint8_t>(h >> 8));
      }
      break;
    case kDtypeQs8:
      w.u32(static_cast<std::uint32_t>(weight.channel_axis));
      for (float scale : weight.channel_scales) w.f32(scale);
      w.raw(weight.qs8.data(), weight.qs8.size());
      break;
    case kDtypeI32:
      for (std::int32_t v : weight.i32) w.u32(static_cast<std::uint32_t>(v));
      break;
    case kDtypeI32AsI16:
      for (std::int32_t v : weight.i32) {
        const std::uint16_t bits = static_cast<std::uint16_t>(v);  // two's complement
        w.u8(static_cast<std::uint8_t>(bits & 0xff));
        w.u8(static_cast<std::uint8_t>(bits >> 8));
      }
      break;
  }
}

// The rest of an int8 weight after its dims: channel axis, one scale per channel, the values.
void read_qs8_values(ByteReader& r, std::size_t count, Weight& weight) {
  const std::uint32_t axis = r.u32("weight channel axis");
  if (axis >= weight.dims.size()) {
    r.fail("int8 weight channel axis " + std::to_string(axis) + " is not below its rank " +
           std::to_string(weight.dims.size()));
  }
  const std::size_t channels = static_cast<std::size_t>(weight.dims[axis]);
  if (channels > r.remaining() / sizeof(float)) {
    r.fail("int8 weight needs " + std::to_string(channels) + " channel scales, more than the " +
           std::to_string(r.remaining()) + " bytes left (truncated or corrupt)");
  }
  weight.channel_axis = static_cast<int>(axis);
  weight.channel_scales.resize(channels);
  for (float& scale : weight.channel_scales) {
    scale = r.f32("weight channel scale");
    if (!std::isfinite(scale) || !(scale > 0.0f)) {
      r.fail("int8 weight channel scale " + std::to_string(scale) + " is not a finite number > 0");
    }
  }
  weight.qs8.resize(count);
  r.raw(weight.qs8.data(), count, "weight data");
  for (std::int8_t q : weight.qs8) {
    // -128 has no symmetric partner: the contract keeps weights in -127..127.
    if (q == -128) r.fail("int8 weight holds -128, outside the symmetric range -127..127");
  }
  weight.type = WeightType::kQs8;
}

Weight read_weight(ByteReader& r, std::uint32_t version) {
  Weight weight;
  const std::uint8_t dtype = r.u8("weight dtype");
  const std::uint8_t newest = version >= 2 ? kDtypeI32AsI16 : kDtypeU8Affine;
  if (dtype < kDtypeF32 || dtype > newest) {
    r.fail("unknown weight dtype " + std::to_string(dtype) + " in a version " +
           std::to_string(version) +
           " file (version 1 reads 1 = float32, 2 = uint8 affine; version 2 adds 3 = float16, "
           "4 = int8 per channel, 5 = int32, 6 = int32 stored in 16 bits)");
  }
  std::size_t value_bytes = 1;
  if (dtype == kDtypeF32 || dtype == kDtypeI32) value_bytes = 4;
  if (dtype == kDtypeF16 || dtype == kDtypeI32AsI16) value_bytes = 2;
  const std::uint32_t rank = r.u32("weight rank");
  if (rank > kMaxRank) {
    r.fail("weight rank " + std::to_string(rank) + " is above " + std::to_string(kMaxRank));
  }
  std::size_t count = 1;
  for (std::uint32_t i = 0; i < rank; ++i) {
    const std::uint32_t d = r.u32("weight dimension");
    if (d == 0 || d > (1u << 24)) {
      r.fail("weight dimension " + std::to_string(d) + " is out of range");
    }
    weight.dims.push_back(static_cast<int>(d));
    count *= d;
    if (count > r.remaining() / value_bytes) {
      r.fail("weight of shape with " + std::to_string(count) + "+ values is larger than the " +
             std::to_string(r.remaining()) + " bytes left (truncated or corrupt)");
    }
  }
  if (dtype == kDtypeQs8) {
    read_qs8_values(r, count, weight);
    return weight;
  }
  if (dtype == kDtypeI32) {
    weight.type = WeightType::kI32;
    weight.i32.resize(count);
    for (std::int32_t& v : weight.i32) v = static_cast<std::int32_t>(r.u32("weight data"));
    return weight;
  }
  if (dtype == kDtypeI32AsI16) {
    weight.type = WeightType::kI32;
    weight.i32.resize(count);
    for (std::int32_t& v : weight.i32) {
      const std::uint16_t low = r.u8("weight data");
      const std::uint16_t high = r.u8("weight data");
      v = static_cast<std::int16_t>(static_cast<std::uint16_t>(low | (high << 8)));
    }
    return weight;
  }
  weight.data.resize(count);
  if (dtype == kDtypeF16) {
    weight.half_storage = true;  // saved again in float16
    for (float& v : weight.data) {
      const std::uint16_t low = r.u8("weight data");
      const std::uint16_t high = r.u8("weight data");
      v = half_to_float(static_cast<std::uint16_t>(low | (high << 8)));
      if (!std::isfinite(v)) r.fail("float16 weight data holds a non-finite value");
    }
    return weight;
  }
  if (dtype == kDtypeF32) {
    for (float& v : weight.data) {
      v = r.f32("weight data");
      if (!std::isfinite(v)) r.fail("weight data holds a non-finite value (NaN or infinity)");
    }
    return weight;
  }
  Uint8Quantization q;
  q.scale = r.f32("weight scale");
  q.min = r.f32("weight minimum");
  if (!std::isfinite(q.scale) || !std::isfinite(q.min) || !(q.scale > 0.0f)) {
    r.fail("uint8 weight has a bad scale or minimum");
  }
  std::vector<std::uint8_t> levels(count);
  r.raw(levels.data(), count, "weight data");
  for (std::size_t i = 0; i < count; ++i) {
    weight.data[i] = q.min + levels[i] * q.scale;
    // Each of scale and minimum may be finite while their sum overflows.
    if (!std::isfinite(weight.data[i])) {
      r.fail("uint8 weight level " + std::to_string(levels[i]) +
             " gives a non-finite value (scale and minimum out of range)");
    }
  }
  weight.quantization = q;
  return weight;
}

// Only int8 models need version 2: float models are written as version 1, byte for byte as
// before, so converters keep reproducing the shipped files and older readers keep reading them.
bool needs_version2(const Graph& graph) {
  if (!graph.quantized_values.empty()) return true;
  for (const Node& node : graph.nodes) {
    for (const auto& [role, weight] : node.weights) {
      if (weight.type != WeightType::kF32) return true;
      // Rounded to float16 on purpose (round_weights_to_half): float16 storage needs version 2.
      if (weight.half_storage && all_exact_half(weight.data)) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::uint8_t> serialize_model(const Model& model) {
  const bool version2 = needs_version2(model.graph);
  ByteWriter body;
  const auto pairs = metadata_to_pairs(model.metadata);
  body.u32(static_cast<std::uint32_t>(pairs.size()));
  for (const auto& [key, value] : pairs) {
    body.str(key);
    body.str(value);
  }
  const Graph& g = model.graph;
  body.u32(static_cast<std::uint32_t>(g.values.size()));
  for (const std::string& name : g.values) body.str(name);
  if (version2) {
    body.u32(static_cast<std::uint32_t>(g.quantized_values.size()));
    for (const auto& [id, q] : g.quantized_values) {
      body.u32(static_cast<std::uint32_t>(id));
      body.f32(q.scale);
      body.u32(static_cast<std::uint32_t>(q.zero_point));
    }
  }
  body.u32(static_cast<std::uint32_t>(g.input));
  body.u32(static_cast<std::uint32_t>(g.outputs.size()));
  for (int id : g.outputs) body.u32(static_cast<std::uint32_t>(id));
  body.u32(static_cast<std::uint32_t>(g.nodes.size()));
  for (const Node& node : g.nodes) {
    body.str(op_type_name(node.op));
    body.str(node.name);
    body.u32(static_cast<std::uint32_t>(node.inputs.size()));
    for (int id : node.inputs) body.u32(static_cast<std::uint32_t>(id));
    body.u32(static_cast<std::uint32_t>(node.output));
    const Attributes& a = node.attributes;
    body.u32(static_cast<std::uint32_t>(a.numbers().size() + a.strings().size()));
    for (const auto& [key, value] : a.numbers()) {
      body.str(key);
      body.u8(kAttrNumber);
      body.f64(value);
    }
    for (const auto& [key, value] : a.strings()) {
      body.str(key);
      body.u8(kAttrString);
      body.str(value);
    }
    body.u32(static_cast<std::uint32_t>(node.weights.size()));
    for (const auto& [role, weight] : node.weights) write_weight(body, role, weight, version2);
  }

  EnvelopeFormat format = kFormat;
  if (!version2) format.version = 1;
  return seal_envelope(format, body.bytes());
}

Model parse_model(const std::uint8_t* data, std::size_t size, const std::string& label) {
  const EnvelopeBody body = open_envelope(kFormat, data, size, label);
  ByteReader r(body.data, body.size, "model file (" + label + ")");
  Model model;
  std::map<std::string, std::string> pairs;
  const std::uint32_t pair_count = r.count("metadata count", 8);
  for (std::uint32_t i = 0; i < pair_count; ++i) {
    std::string key = r.str("metadata key");
    std::string value = r.str("metadata value");
    if (!pairs.emplace(std::move(key), std::move(value)).second) {
      r.fail("metadata key appears twice");
    }
  }
  model.metadata = metadata_from_pairs(r, std::move(pairs));

  Graph& g = model.graph;
  const std::uint32_t value_count = r.count("value count", 4);
  std::set<std::string> names;
  for (std::uint32_t i = 0; i < value_count; ++i) {
    g.values.push_back(r.str("value name"));
    if (!names.insert(g.values.back()).second) {
      r.fail("value name '" + g.values.back() + "' appears twice");
    }
  }
  if (body.version >= 2) {
    const std::uint32_t quantized_count = r.count("quantised value count", 12);
    for (std::uint32_t i = 0; i < quantized_count; ++i) {
      const std::uint32_t id = r.u32("quantised value");
      QuantParams q;
      q.scale = r.f32("quantised value scale");
      q.zero_point = static_cast<std::int32_t>(r.u32("quantised value zero point"));
      if (id >= value_count) {
        r.fail("quantised value " + std::to_string(id) + " is not one of the " +
               std::to_string(value_count) + " values");
      }
      if (!std::isfinite(q.scale) || !(q.scale > 0.0f) || q.zero_point < -128 ||
          q.zero_point > 127) {
        r.fail("value '" + g.values[id] + "' has int8 scale " + std::to_string(q.scale) +
               " and zero point " + std::to_string(q.zero_point) +
               ", expected a finite scale > 0 and a zero point in -128..127");
      }
      if (!g.quantized_values.emplace(static_cast<int>(id), q).second) {
        r.fail("quantised value '" + g.values[id] + "' appears twice");
      }
    }
  }
  auto value_id = [&](const char* field) {
    const std::uint32_t id = r.u32(field);
    if (id >= value_count) {
      r.fail(std::string(field) + " " + std::to_string(id) + " is not one of the " +
             std::to_string(value_count) + " values");
    }
    return static_cast<int>(id);
  };
  g.input = value_id("graph input");
  const std::uint32_t output_count = r.count("output count", 4);
  for (std::uint32_t i = 0; i < output_count; ++i) g.outputs.push_back(value_id("graph output"));
  const std::uint32_t node_count = r.count("node count", 16);
  for (std::uint32_t i = 0; i < node_count; ++i) {
    Node node;
    const std::string op = r.str("node op");
    const auto type = op_type_from_name(op);
    if (!type) r.fail("node " + std::to_string(i) + " has unknown op '" + op + "'");
    node.op = *type;
    node.name = r.str("node name");
    const std::uint32_t input_count = r.count("node input count", 4);
    for (std::uint32_t k = 0; k < input_count; ++k) node.inputs.push_back(value_id("node input"));
    node.output = value_id("node output");
    const std::uint32_t attr_count = r.count("attribute count", 5);
    for (std::uint32_t k = 0; k < attr_count; ++k) {
      const std::string key = r.str("attribute name");
      if (node.attributes.has(key)) r.fail("attribute '" + key + "' appears twice");
      const std::uint8_t kind = r.u8("attribute kind");
      if (kind == kAttrNumber) {
        node.attributes.set(key, r.f64("attribute value"));
      } else if (kind == kAttrString) {
        node.attributes.set(key, r.str("attribute value"));
      } else {
        r.fail("attribute '" + key + "' has unknown kind " + std::to_string(kind));
      }
    }
    const std::uint32_t weight_count = r.count("weight count", 9);
    for (std::uint32_t k = 0; k < weight_count; ++k) {
      std::string role = r.str("weight role");
      if (node.weights.count(role)) r.fail("weight '" + role + "' appears twice");
      node.weights.emplace(std::move(role), read_weight(r, body.version));
    }
    g.nodes.push_back(std::move(node));
  }
  if (r.remaining() != 0) {
    r.fail("corrupt: " + std::to_string(r.remaining()) + " unread bytes after the last node");
  }
  try {
    make_plan(g, model.metadata.input_shape());
  } catch (const Error& e) {
    r.fail(std::string("invalid graph: ") + e.what());
  }
  return model;
}

void save_model(const Model& model, const std::string& path) {
  write_file_atomically(path, serialize_model(model), kFormat.kind);
}

Model load_model(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_whole_file(path, kFormat.kind);
  return parse_model(bytes.data(), bytes.size(), path);
}

}  // namespace fu::nn
