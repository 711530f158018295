#include "convert/tfjs_layers.h"

#include <fstream>

#include "base/error.h"

namespace fu::tools {

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open JSON file (" + path + "): no such file or not readable");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error("cannot parse JSON file (" + path + "): not valid JSON");
  return j;
}

std::string npm_package_version(const std::string& package_dir, const std::string& expected_name) {
  const std::string path = package_dir + "/package.json";
  const nlohmann::json j = read_json_file(path);
  if (!j.is_object() || j.value("name", "") != expected_name || !j.contains("version") ||
      !j["version"].is_string()) {
    throw Error("cannot convert from package (" + package_dir + "): it is not " + expected_name);
  }
  return j["version"].get<std::string>();
}

std::vector<float> hwio_to_ohwi(const std::vector<float>& hwio, int kh, int kw, int in, int out) {
  std::vector<float> ohwi(hwio.size());
  for (int y = 0; y < kh; ++y) {
    for (int x = 0; x < kw; ++x) {
      for (int i = 0; i < in; ++i) {
        for (int o = 0; o < out; ++o) {
          ohwi[((static_cast<std::size_t>(o) * kh + y) * kw + x) * in + i] =
              hwio[((static_cast<std::size_t>(y) * kw + x) * in + i) * out + o];
        }
      }
    }
  }
  return ohwi;
}

void TfjsWeightPool::fail(const std::string& value, const std::string& reason) const {
  throw Error("cannot convert " + converter_ + " (" + value + "): " + reason);
}

TfjsWeight TfjsWeightPool::take(const std::string& name, std::size_t rank) {
  auto it = weights_.find(name);
  if (it == weights_.end()) fail(name, "the package has no such weight");
  TfjsWeight w = std::move(it->second);
  weights_.erase(it);
  if (w.shape.size() != rank) {
    fail(name, "rank " + std::to_string(w.shape.size()) + ", expected " + std::to_string(rank));
  }
  return w;
}

nn::Weight TfjsWeightPool::as_is(const std::string& name, std::size_t rank) {
  TfjsWeight w = take(name, rank);
  nn::Weight out;
  out.dims = w.shape;
  out.data = std::move(w.values);
  out.quantization = w.quantization;
  return out;
}

nn::Weight TfjsWeightPool::conv_filter(const std::string& name) {
  TfjsWeight w = take(name, 4);
  const int kh = w.shape[0], kw = w.shape[1], in = w.shape[2], out = w.shape[3];
  nn::Weight f;
  f.dims = {out, kh, kw, in};
  f.data = hwio_to_ohwi(w.values, kh, kw, in, out);
  f.quantization = w.quantization;
  return f;
}

nn::Weight TfjsWeightPool::depthwise_filter(const std::string& name) {
  TfjsWeight w = take(name, 4);
  if (w.shape[3] != 1) {
    fail(name, "depth multiplier " + std::to_string(w.shape[3]) + ", expected 1");
  }
  nn::Weight f;
  // [kh,kw,C,1] and [1,kh,kw,C] list the values in the same order.
  f.dims = {1, w.shape[0], w.shape[1], w.shape[2]};
  f.data = std::move(w.values);
  f.quantization = w.quantization;
  return f;
}

nn::Weight TfjsWeightPool::dense_filter(const std::string& name) {
  TfjsWeight w = take(name, 2);
  const int in = w.shape[0], out = w.shape[1];
  nn::Weight f;
  f.dims = {out, in};
  f.data.resize(w.values.size());
  for (int i = 0; i < in; ++i) {
    for (int o = 0; o < out; ++o) {
      f.data[static_cast<std::size_t>(o) * in + i] =
          w.values[static_cast<std::size_t>(i) * out + o];
    }
  }
  f.quantization = w.quantization;
  return f;
}

void TfjsWeightPool::expect_all_used() const {
  if (!weights_.empty()) {
    fail(weights_.begin()->first, "the package holds " + std::to_string(weights_.size()) +
                                      " weights this network does not use; is it a different "
                                      "model?");
  }
}

}  // namespace fu::tools
