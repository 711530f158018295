#include "convert/tfjs_weights.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>

#include "base/error.h"

// Shards are little-endian and are read as raw memory.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the TF.js weight reader assumes a little-endian host; add byte swapping to port it");

namespace fu::tools {
namespace {

using nlohmann::json;

// A manifest group's shards, concatenated: TF.js cuts the weight stream into files of at most
// 4 MB regardless of weight boundaries, so a weight may start in one shard and end in the next.
struct GroupBytes {
  std::string label;  // the shard paths, for messages
  std::vector<std::uint8_t> bytes;
};

std::string join_path(const std::string& directory, const std::string& file) {
  if (directory.empty()) return file;
  return directory.back() == '/' ? directory + file : directory + "/" + file;
}

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open TF.js weight shard (" + path + "): " + std::strerror(errno));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  if (in.bad())
    throw Error("cannot read TF.js weight shard (" + path + "): " + std::strerror(errno));
  return bytes;
}

const json& member(const json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) {
    throw Error("cannot read TF.js weights manifest (" + where + "): no \"" + key + "\" entry");
  }
  return object.at(key);
}

std::string string_member(const json& object, const char* key, const std::string& where) {
  const json& v = member(object, key, where);
  if (!v.is_string()) {
    throw Error("cannot read TF.js weights manifest (" + where + "): \"" + key +
                "\" is not a string");
  }
  return v.get<std::string>();
}

double number_member(const json& object, const char* key, const std::string& where) {
  const json& v = member(object, key, where);
  if (!v.is_number() || !std::isfinite(v.get<double>())) {
    throw Error("cannot read TF.js weights manifest (" + where + "): \"" + key +
                "\" is not a finite number");
  }
  return v.get<double>();
}

GroupBytes read_group(const json& group, const std::string& directory, std::size_t index) {
  const std::string where = "group " + std::to_string(index);
  const json& paths = member(group, "paths", where);
  if (!paths.is_array()) {
    throw Error("cannot read TF.js weights manifest (" + where + "): \"paths\" is not an array");
  }
  GroupBytes out;
  for (const json& p : paths) {
    if (!p.is_string()) {
      throw Error("cannot read TF.js weights manifest (" + where + "): a path is not a string");
    }
    const std::string path = join_path(directory, p.get<std::string>());
    const std::vector<std::uint8_t> shard = read_file(path);
    out.bytes.insert(out.bytes.end(), shard.begin(), shard.end());
    out.label += (out.label.empty() ? "" : ", ") + path;
  }
  return out;
}

// IEEE 754 half to single precision; every half value, subnormals included, is exact in float.
float half_to_float(std::uint16_t h) {
  const float sign = (h & 0x8000u) ? -1.0f : 1.0f;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);
  if (exponent == 31) return mantissa == 0 ? sign * INFINITY : NAN;
  return sign * std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
}

template <typename T>
T load(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Decodes one weight from `data`, which holds exactly its bytes.
void decode(const json& spec, const std::string& where, const std::string& dtype,
            const std::uint8_t* data, TfjsWeight& w) {
  const std::size_t count = w.values.size();
  if (!spec.contains("quantization")) {
    for (std::size_t i = 0; i < count; ++i) {
      if (dtype == "float32") w.values[i] = load<float>(data + 4 * i);
      if (dtype == "int32") w.values[i] = static_cast<float>(load<std::int32_t>(data + 4 * i));
      if (dtype == "bool") w.values[i] = data[i] != 0 ? 1.0f : 0.0f;
    }
    return;
  }
  const json& q = spec.at("quantization");
  const std::string qtype = string_member(q, "dtype", where + " quantization");
  if (qtype == "float16") {
    if (dtype != "float32") {
      throw Error("cannot read TF.js weight (" + where + "): float16 quantisation of a " + dtype +
                  " weight");
    }
    for (std::size_t i = 0; i < count; ++i) {
      w.values[i] = half_to_float(load<std::uint16_t>(data + 2 * i));
    }
    return;
  }
  const double scale = number_member(q, "scale", where + " quantization");
  const double min = number_member(q, "min", where + " quantization");
  const bool is_uint8 = qtype == "uint8";
  for (std::size_t i = 0; i < count; ++i) {
    const unsigned level = is_uint8 ? data[i] : load<std::uint16_t>(data + 2 * i);
    const double value = level * scale + min;
    w.values[i] =
        dtype == "int32" ? static_cast<float>(std::round(value)) : static_cast<float>(value);
  }
  if (is_uint8 && dtype == "float32" && scale > 0.0) {
    // Recomputed in float32 from float32 parameters, the way the model file decodes them, so the
    // stored byte reproduces the value exactly; this differs from TF.js's double arithmetic by
    // at most an ulp or two.
    nn::Uint8Quantization u8;
    u8.scale = static_cast<float>(scale);
    u8.min = static_cast<float>(min);
    for (std::size_t i = 0; i < count; ++i) {
      w.values[i] = u8.min + static_cast<float>(data[i]) * u8.scale;
    }
    w.quantization = u8;
  }
}

std::size_t bytes_per_value(const json& spec, const std::string& where, const std::string& dtype) {
  if (dtype != "float32" && dtype != "int32" && dtype != "bool") {
    throw Error("cannot read TF.js weight (" + where + "): unsupported dtype \"" + dtype +
                "\" (float32, int32 and bool are read)");
  }
  if (!spec.contains("quantization")) return dtype == "bool" ? 1 : 4;
  const std::string qtype =
      string_member(spec.at("quantization"), "dtype", where + " quantization");
  if (qtype == "uint8") return 1;
  if (qtype == "uint16" || qtype == "float16") return 2;
  throw Error("cannot read TF.js weight (" + where + "): unknown quantisation dtype \"" + qtype +
              "\" (uint8, uint16 and float16 are read)");
}

}  // namespace

std::map<std::string, TfjsWeight> read_tfjs_weights(const nlohmann::json& manifest,
                                                    const std::string& directory) {
  if (!manifest.is_array()) {
    throw Error("cannot read TF.js weights manifest (" + directory +
                "): expected a JSON array of {paths, weights} groups");
  }
  std::map<std::string, TfjsWeight> out;
  for (std::size_t g = 0; g < manifest.size(); ++g) {
    const json& group = manifest[g];
    const GroupBytes shards = read_group(group, directory, g);
    const json& specs = member(group, "weights", "group " + std::to_string(g));
    if (!specs.is_array()) {
      throw Error("cannot read TF.js weights manifest (" + shards.label +
                  "): \"weights\" is not an array");
    }
    std::size_t offset = 0;
    for (const json& spec : specs) {
      TfjsWeight w;
      w.name = string_member(spec, "name", shards.label);
      const std::string where = w.name + " in " + shards.label;
      const std::string dtype = string_member(spec, "dtype", where);
      const json& shape = member(spec, "shape", where);
      if (!shape.is_array()) {
        throw Error("cannot read TF.js weight (" + where + "): \"shape\" is not an array");
      }
      std::size_t count = 1;
      for (const json& d : shape) {
        if (!d.is_number_integer() || d.get<std::int64_t>() < 0 ||
            d.get<std::int64_t>() > (1 << 28)) {
          throw Error("cannot read TF.js weight (" + where + "): bad dimension " + d.dump());
        }
        w.shape.push_back(d.get<int>());
        count *= static_cast<std::size_t>(w.shape.back());
        if (count > (std::size_t{1} << 28)) {
          throw Error("cannot read TF.js weight (" + where + "): more than 2^28 values");
        }
      }
      const std::size_t bytes = count * bytes_per_value(spec, where, dtype);
      if (bytes > shards.bytes.size() - offset) {
        throw Error("cannot read TF.js weight (" + where + "): it needs " + std::to_string(bytes) +
                    " bytes at offset " + std::to_string(offset) + " but the shards hold " +
                    std::to_string(shards.bytes.size()));
      }
      w.values.resize(count);
      decode(spec, where, dtype, shards.bytes.data() + offset, w);
      offset += bytes;
      if (out.count(w.name) != 0) {
        throw Error("cannot read TF.js weight (" + where + "): the name appears twice");
      }
      out.emplace(w.name, std::move(w));
    }
    if (offset != shards.bytes.size()) {
      throw Error("cannot read TF.js weights (" + shards.label + "): the shards hold " +
                  std::to_string(shards.bytes.size()) + " bytes but the manifest's weights take " +
                  std::to_string(offset));
    }
  }
  return out;
}

}  // namespace fu::tools
