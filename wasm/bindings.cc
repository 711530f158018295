// The JavaScript API of faceunlock_core (an ES module whose default export is the factory
// createFaceUnlockCore), listed in wasm/README.md. A thin shell: each entry point converts its
// arguments, calls src/ and reports C++ exceptions as JS Errors through with_js_errors().
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image/decode.h"
#include "js_bytes.h"
#include "js_engine.h"
#include "js_error.h"
#include "js_network.h"
#include "js_threads.h"
#include "nn/executor.h"
#include "nn/model.h"
#include "nn/sample_networks.h"

namespace fu::wasm {
namespace {

using emscripten::val;

// Embind picks a constructor by argument count: new Network(bytes[, backend[, threads]]) and
// new Engine(detectorBytes, embedderBytes[, options]).
JsNetwork* create_network(const val& model_bytes) {
  return JsNetwork::create(model_bytes, nn::backend_name(nn::default_backend()), val::undefined());
}

JsNetwork* create_network_on(const val& model_bytes, const std::string& backend) {
  return JsNetwork::create(model_bytes, backend, val::undefined());
}

JsEngine* create_engine(const val& detector_bytes, const val& embedder_bytes) {
  return JsEngine::create(detector_bytes, embedder_bytes, val::undefined());
}

val available_backends() {
  val names = val::array();
  for (nn::Backend b : nn::available_backends()) names.call<void>("push", val(nn::backend_name(b)));
  return names;
}

val sample_network_names() {
  val names = val::array();
  for (const nn::SampleNetwork& s : nn::sample_networks()) names.call<void>("push", val(s.name));
  return names;
}

val make_sample_model(const std::string& name, std::uint32_t seed) {
  return with_js_errors(
      [&] { return bytes_to_js(nn::serialize_model(nn::make_sample_network(name, seed))); });
}

double multiply_adds(const val& model_bytes) {
  return with_js_errors([&] {
    const std::vector<std::uint8_t> bytes = bytes_from_js(model_bytes, "model bytes");
    const nn::Model model = nn::parse_model(bytes.data(), bytes.size(), "model bytes");
    // Exact as a JS number: a double holds every integer up to 2^53.
    return static_cast<double>(nn::count_multiply_adds(model));
  });
}

// {width, height, rgba}: a photo as the RGBA pixels Engine.frameView() takes. Browsers decode
// with their own codecs; this serves Node and tests, which have none.
val decode_image(const val& encoded) {
  return with_js_errors([&] {
    const std::vector<std::uint8_t> bytes = bytes_from_js(encoded, "image bytes");
    image::DecodeOptions options;
    options.channels = image::Channels::kRgba;
    const image::Image decoded = image::decode_image(bytes, "image bytes", options);
    val out = val::object();
    out.set("width", decoded.width());
    out.set("height", decoded.height());
    out.set("rgba", val::global("Uint8Array")
                        .new_(emscripten::typed_memory_view(decoded.size_bytes(), decoded.data())));
    return out;
  });
}

}  // namespace
}  // namespace fu::wasm

EMSCRIPTEN_BINDINGS(faceunlock_core) {
  using fu::wasm::JsEngine;
  using fu::wasm::JsNetwork;
  namespace em = emscripten;

  em::class_<JsNetwork>("Network")
      .constructor(&fu::wasm::create_network)
      .constructor(&fu::wasm::create_network_on)
      .constructor(&JsNetwork::create)
      .function("inputShape", &JsNetwork::input_shape)
      .function("outputCount", &JsNetwork::output_count)
      .function("outputShape", &JsNetwork::output_shape)
      .function("backend", &JsNetwork::backend)
      .function("metadata", &JsNetwork::metadata)
      .function("inputView", &JsNetwork::input_view)
      .function("run", &JsNetwork::run)
      .function("outputView", &JsNetwork::output_view);

  em::class_<JsEngine>("Engine")
      .constructor(&fu::wasm::create_engine)
      .constructor(&JsEngine::create)
      .function("threads", &JsEngine::threads)
      .function("frameView", &JsEngine::frame_view)
      .function("processFrame", &JsEngine::process_frame)
      .function("addTemplate", &JsEngine::add_template)
      .function("users", &JsEngine::users)
      .function("removeUser", &JsEngine::remove_user)
      .function("exportUser", &JsEngine::export_user)
      .function("importUser", &JsEngine::import_user)
      .function("exportGallery", &JsEngine::export_gallery)
      .function("importGallery", &JsEngine::import_gallery)
      .function("embedder", &JsEngine::embedder)
      .function("keypoints", &JsEngine::keypoints)
      .function("thresholds", &JsEngine::thresholds)
      .function("securityLevels", &JsEngine::security_levels)
      .function("setSecurityLevel", &JsEngine::set_security_level)
      .function("securityLevel", &JsEngine::security_level)
      .function("threshold", &JsEngine::threshold)
      .function("resetFusion", &JsEngine::reset_fusion)
      .function("setFusion", &JsEngine::set_fusion)
      .function("beginUnlock", &JsEngine::begin_unlock)
      .function("unlockFrame", &JsEngine::unlock_frame)
      .function("endUnlock", &JsEngine::end_unlock)
      .function("setLiveness", &JsEngine::set_liveness)
      .function("liveness", &JsEngine::liveness)
      .function("nextTurns", &JsEngine::next_turns)
      .function("setLockout", &JsEngine::set_lockout)
      .function("lockoutStatus", &JsEngine::lockout_status)
      .function("lockoutState", &JsEngine::lockout_state)
      .function("restoreLockout", &JsEngine::restore_lockout)
      .function("setClock", &JsEngine::set_clock);

  // Not overloaded: js_error.post.js wraps these by name (see the note there).
  em::function("availableBackends", &fu::wasm::available_backends);
  // 1 in faceunlock_core, more in faceunlock_core_mt: what Engine and Network accept as threads.
  em::function("maxThreads", &fu::wasm::max_threads);
  em::function("sampleNetworkNames", &fu::wasm::sample_network_names);
  em::function("makeSampleModel", &fu::wasm::make_sample_model);
  em::function("multiplyAdds", &fu::wasm::multiply_adds);
  em::function("decodeImage", &fu::wasm::decode_image);
}
