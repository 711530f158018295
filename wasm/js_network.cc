#include "js_network.h"

#include <memory>
#include <utility>

#include "base/error.h"
#include "js_bytes.h"
#include "js_error.h"
#include "js_threads.h"
#include "nn/model.h"

namespace fu::wasm {

using emscripten::val;

namespace {

nn::Backend backend_named(const std::string& name) {
  const auto backend = nn::backend_from_name(name);
  if (backend && nn::backend_available(*backend)) return *backend;
  std::string names;
  for (nn::Backend b : nn::available_backends()) {
    names += (names.empty() ? "" : ", ") + std::string(nn::backend_name(b));
  }
  throw Error("cannot create network (backend '" + name + "'): this build has " + names);
}

std::shared_ptr<const nn::Model> load(const std::vector<std::uint8_t>& bytes) {
  return std::make_shared<const nn::Model>(
      nn::parse_model(bytes.data(), bytes.size(), "model bytes"));
}

nn::NetworkOptions options_for(nn::Backend backend, int threads) {
  nn::NetworkOptions options;
  options.backend = backend;
  options.batch = 1;
  options.threads = threads;
  return options;
}

val floats_to_js(const std::vector<float>& values) {
  val array = val::array();
  for (float v : values) array.call<void>("push", v);
  return array;
}

}  // namespace

JsNetwork* JsNetwork::create(const val& model_bytes, const std::string& backend,
                             const val& threads) {
  return with_js_errors([&] {
    const nn::Backend b = backend_named(backend);
    const int count = threads_from_js(threads, "cannot create network");
    return new JsNetwork(bytes_from_js(model_bytes, "model bytes"), b, count);
  });
}

JsNetwork::JsNetwork(const std::vector<std::uint8_t>& model_bytes, nn::Backend backend, int threads)
    : network_(load(model_bytes), options_for(backend, threads)), input_(network_.input_shape()) {}

val JsNetwork::input_shape() const {
  return with_js_errors([&] { return shape_to_js(network_.input_shape()); });
}

unsigned JsNetwork::output_count() const { return static_cast<unsigned>(network_.output_count()); }

val JsNetwork::output_shape(int index) const {
  return with_js_errors([&] {
    return shape_to_js(network_.output_shape(checked_output(index, "read the shape of")));
  });
}

std::string JsNetwork::backend() const { return nn::backend_name(network_.backend()); }

val JsNetwork::metadata() const {
  return with_js_errors([&] {
    const nn::ModelMetadata& m = network_.model().metadata;
    val properties = val::object();
    for (const auto& [key, value] : m.properties) properties.set(key, value);
    val out = val::object();
    out.set("name", m.name);
    out.set("inputHeight", m.input_height);
    out.set("inputWidth", m.input_width);
    out.set("inputChannels", m.input_channels);
    out.set("pixelMean", floats_to_js(m.pixel_mean));
    out.set("pixelScale", floats_to_js(m.pixel_scale));
    out.set("outputKind", m.output_kind);
    out.set("provenance", m.provenance);
    out.set("license", m.license);
    out.set("properties", properties);
    return out;
  });
}

val JsNetwork::input_view() const {
  return with_js_errors([&] { return float_view(input_); });
}

void JsNetwork::run() {
  with_js_errors([&] { outputs_ = &network_.run(input_); });
}

val JsNetwork::output_view(int index) const {
  return with_js_errors([&] {
    const std::size_t i = checked_output(index, "view");
    if (outputs_ == nullptr) {
      throw Error("cannot view output (" + std::to_string(index) +
                  "): run() has not been called yet");
    }
    return float_view((*outputs_)[i]);
  });
}

std::size_t JsNetwork::checked_output(int index, const char* verb) const {
  if (index < 0 || static_cast<std::size_t>(index) >= network_.output_count()) {
    throw Error(std::string("cannot ") + verb + " output (" + std::to_string(index) +
                "): the network has " + std::to_string(network_.output_count()) + " output(s)");
  }
  return static_cast<std::size_t>(index);
}

}  // namespace fu::wasm
