// What every converter of TF.js weights shares: reading JSON and the source package's version,
// taking each weight once with its expected rank, and the layout changes from TensorFlow's
// tensors to the runtime's (HWIO conv filters to OHWI, [in, out] dense weights to [out, in]).
// Every layout change is a permutation, so uint8-quantised weights stay exactly representable.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "convert/tfjs_weights.h"
#include "nn/graph.h"
#include "nn/graph_builder.h"

namespace fu::tools {

// Throws fu::Error naming the file when it is missing or not JSON.
nlohmann::json read_json_file(const std::string& path);

// The "version" of <package_dir>/package.json; throws unless its "name" is `expected_name`.
std::string npm_package_version(const std::string& package_dir, const std::string& expected_name);

// TensorFlow's conv filter [kh, kw, in, out] as the runtime's [out, kh, kw, in].
std::vector<float> hwio_to_ohwi(const std::vector<float>& hwio, int kh, int kw, int in, int out);

// The weights of one package, handed out once each, so that what is left at the end shows a
// network the converter does not know. `converter` names it in errors:
// "cannot convert <converter> (<weight>): <reason>".
class TfjsWeightPool {
 public:
  TfjsWeightPool(std::map<std::string, TfjsWeight> weights, std::string converter)
      : weights_(std::move(weights)), converter_(std::move(converter)) {}

  [[noreturn]] void fail(const std::string& value, const std::string& reason) const;

  TfjsWeight take(const std::string& name, std::size_t rank);
  nn::Weight as_is(const std::string& name, std::size_t rank);
  nn::Weight conv_filter(const std::string& name);       // HWIO -> OHWI
  nn::Weight depthwise_filter(const std::string& name);  // [kh,kw,C,1] -> [1,kh,kw,C]
  nn::Weight dense_filter(const std::string& name);      // [in, out] -> [out, in]
  // Throws when weights were left over: the package holds a different network.
  void expect_all_used() const;

 private:
  std::map<std::string, TfjsWeight> weights_;
  std::string converter_;
};

}  // namespace fu::tools
