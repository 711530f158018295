#include "nn/graph.h"

#include <cmath>

#include "base/error.h"
#include "nn/ops/op.h"

namespace fu::nn {

const char* op_type_name(OpType op) {
  for (const OpDef* def : all_ops()) {
    if (def->op == op) return def->name;
  }
  return "unknown";
}

std::optional<OpType> op_type_from_name(std::string_view name) {
  for (const OpDef* def : all_ops()) {
    if (name == def->name) return def->op;
  }
  return std::nullopt;
}

bool Attributes::has(const std::string& name) const {
  return numbers_.count(name) != 0 || strings_.count(name) != 0;
}

int Attributes::get_int(const std::string& name, int fallback, int min_value, int max_value) const {
  auto it = numbers_.find(name);
  if (it == numbers_.end()) return fallback;
  const double v = it->second;
  if (!std::isfinite(v) || std::floor(v) != v || v < min_value || v > max_value) {
    throw Error("cannot read attribute '" + name + "' (" + std::to_string(v) +
                "): expected a whole number from " + std::to_string(min_value) + " to " +
                std::to_string(max_value));
  }
  return static_cast<int>(v);
}

float Attributes::get_float(const std::string& name, float fallback) const {
  auto it = numbers_.find(name);
  if (it == numbers_.end()) return fallback;
  if (std::isnan(it->second)) {
    throw Error("cannot read attribute '" + name + "' (nan): expected a number");
  }
  return static_cast<float>(it->second);
}

std::string Attributes::get_string(const std::string& name, const std::string& fallback) const {
  auto it = strings_.find(name);
  return it == strings_.end() ? fallback : it->second;
}

std::size_t Weight::element_count() const {
  std::size_t count = 1;
  for (int d : dims) count *= static_cast<std::size_t>(d < 0 ? 0 : d);
  return count;
}

std::size_t Weight::stored_count() const {
  switch (type) {
    case WeightType::kF32:
      return data.size();
    case WeightType::kQs8:
      return qs8.size();
    case WeightType::kI32:
      return i32.size();
  }
  return 0;
}

const char* weight_type_name(WeightType type) {
  switch (type) {
    case WeightType::kF32:
      return "float32";
    case WeightType::kQs8:
      return "int8";
    case WeightType::kI32:
      return "int32";
  }
  return "unknown";
}

const Weight* Node::weight(const std::string& role) const {
  auto it = weights.find(role);
  return it == weights.end() ? nullptr : &it->second;
}

}  // namespace fu::nn
