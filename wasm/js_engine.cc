#include "js_engine.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>

#include "base/error.h"
#include "face/alignment.h"
#include "face/face.h"
#include "face/quality.h"
#include "image/image.h"
#include "js_bytes.h"
#include "js_error.h"

namespace fu::wasm {

using emscripten::typed_memory_view;
using emscripten::val;

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::shared_ptr<const nn::Model> load(const val& bytes, const char* what) {
  const std::vector<std::uint8_t> copy = bytes_from_js(bytes, what);
  return std::make_shared<const nn::Model>(nn::parse_model(copy.data(), copy.size(), what));
}

face::PipelineOptions pipeline_options() {
  face::PipelineOptions options;
  // The rest stays at FacePipeline's defaults (refined keypoints, mirror averaging), which the
  // native CLI uses too: templates enrolled in either place must match in the other.
  options.choice = face::FaceChoice::kMostProminent;
  options.network.threads = 1;  // the module is built without -pthread
  options.network.batch = 1;
  return options;
}

// A frame side from JS: a whole number of pixels in 1..kMaxFrameSide.
int frame_side(double value, const char* name, const std::string& object) {
  if (!(value >= 1 && value <= kMaxFrameSide) || std::floor(value) != value) {
    char shown[32];
    std::snprintf(shown, sizeof shown, "%g", value);
    throw Error(object + ": " + name + " " + shown + " is not a whole number from 1 to " +
                std::to_string(kMaxFrameSide));
  }
  return static_cast<int>(value);
}

std::string size_text(double width, double height) {
  char text[64];
  std::snprintf(text, sizeof text, "%gx%g", width, height);
  return text;
}

struct FrameOptions {
  bool embed = true;
  bool match = true;
  bool require_quality = true;
  std::optional<float> threshold;
};

bool bool_option(const val& options, const char* key, bool fallback, const std::string& object) {
  const val value = options[key];
  if (value.isUndefined()) return fallback;
  if (value.isTrue()) return true;
  if (value.isFalse()) return false;
  throw Error(object + ": options." + key + " is " + describe(value) + ", expected a boolean");
}

FrameOptions frame_options(const val& options, const std::string& object) {
  FrameOptions result;
  if (options.isUndefined() || options.isNull()) return result;
  if (options.typeOf().as<std::string>() != "object") {
    throw Error(object + ": options is " + describe(options) + ", expected an object");
  }
  result.embed = bool_option(options, "embed", result.embed, object);
  result.match = bool_option(options, "match", result.match, object);
  result.require_quality = bool_option(options, "requireQuality", result.require_quality, object);
  const val threshold = options["threshold"];
  if (!threshold.isUndefined()) {
    const bool number = threshold.typeOf().as<std::string>() == "number";
    if (!number || !std::isfinite(threshold.as<double>())) {
      throw Error(object + ": options.threshold is " +
                  (number ? std::to_string(threshold.as<double>()) : describe(threshold)) +
                  ", expected a finite number");
    }
    result.threshold = static_cast<float>(threshold.as<double>());
  }
  return result;
}

val face_to_js(const face::Face& face) {
  val box = val::array();
  box.call<void>("push", face.box.x, face.box.y, face.box.width, face.box.height);
  val keypoints = val::array();
  for (const image::Point& p : face.keypoints) {
    val point = val::array();
    point.call<void>("push", p.x, p.y);
    keypoints.call<void>("push", point);
  }
  val out = val::object();
  out.set("box", box);
  out.set("score", face.score);
  out.set("keypoints", keypoints);
  return out;
}

val quality_to_js(const face::Quality& q) {
  val out = val::object();
  out.set("ok", q.ok());
  out.set("issue", std::string(face::quality_issue_name(q.issue)));
  out.set("hint", q.reason);
  out.set("faceSize", q.face_size_px);
  out.set("roll", q.roll_degrees);
  out.set("yaw", q.yaw);
  out.set("sharpness", q.sharpness);
  out.set("brightness", q.brightness);
  return out;
}

// null rather than "" and -Infinity when there was nobody to compare with, so that JS can test
// `user === null` and JSON keeps the value.
val user_or_null(const std::string& user) { return user.empty() ? val::null() : val(user); }

}  // namespace

JsEngine* JsEngine::create(const val& detector_bytes, const val& embedder_bytes) {
  return with_js_errors([&] {
    return new JsEngine(load(detector_bytes, "detector model bytes"),
                        load(embedder_bytes, "embedder model bytes"));
  });
}

JsEngine::JsEngine(std::shared_ptr<const nn::Model> detector,
                   std::shared_ptr<const nn::Model> embedder)
    : pipeline_(std::move(detector), std::move(embedder), pipeline_options()),
      gallery_(static_cast<std::size_t>(pipeline_.embedder().dimension())) {}

val JsEngine::frame_view(double width, double height) {
  return with_js_errors([&] {
    const std::string object = "cannot size frame (" + size_text(width, height) + ")";
    const int w = frame_side(width, "width", object);
    const int h = frame_side(height, "height", object);
    frame_.resize(static_cast<std::size_t>(w) * h * 4);
    frame_width_ = w;
    frame_height_ = h;
    return val(typed_memory_view(frame_.size(), frame_.data()));
  });
}

val JsEngine::process_frame(double width, double height, const val& js_options) {
  return with_js_errors([&] {
    const std::string object = "cannot process frame (" + size_text(width, height) + ")";
    if (width != frame_width_ || height != frame_height_) {
      throw Error(object + ": the frame buffer is " + std::to_string(frame_width_) + "x" +
                  std::to_string(frame_height_) + "; call frameView(width, height) first");
    }
    const FrameOptions options = frame_options(js_options, object);
    const image::ImageView frame(frame_.data(), frame_width_, frame_height_, 4);
    const Clock::time_point frame_start = Clock::now();
    const face::FaceAnalysis analysis =
        pipeline_.analyze(frame, options.embed, options.require_quality);
    const std::vector<face::Face>& faces = analysis.faces;
    const int chosen = analysis.chosen;
    const std::vector<float>& embedding = analysis.embedding;
    face::FaceEmbedder& embedder = pipeline_.embedder();
    val timings = val::object();
    timings.set("detect", analysis.timings.detect);
    timings.set("refine", analysis.timings.refine);
    timings.set("quality", analysis.timings.quality);
    timings.set("align", analysis.timings.align);
    timings.set("embed", analysis.timings.embed);

    val match = val::null();
    val fused = val::null();
    Clock::time_point start = Clock::now();
    if (options.match && !embedding.empty()) {
      const std::optional<float> threshold =
          options.threshold ? options.threshold : embedder.default_threshold();
      if (!threshold) {
        throw Error(object + ": the embedder model has no embedder.threshold; pass " +
                    "options.threshold");
      }
      const unlock::Decision best = gallery_.identify(embedding, *threshold, 1).best;
      fusion_.add(unlock::frame_match(best));
      match = val::object();
      match.set("user", user_or_null(best.user));
      match.set("score", best.user.empty() ? val::null() : val(best.score));
      match.set("accepted", best.accepted);
      match.set("threshold", best.threshold);
      const unlock::FusedDecision decision = fusion_.fused();
      fused = val::object();
      fused.set("user", user_or_null(decision.user));
      fused.set("accepted", decision.accepted);
      fused.set("frames", decision.frames);
      fused.set("required", fusion_.required());
      fused.set("window", fusion_.window());
    }
    timings.set("match", ms_since(start));

    val js_faces = val::array();
    for (const face::Face& f : faces) js_faces.call<void>("push", face_to_js(f));
    val result = val::object();
    result.set("faces", js_faces);
    result.set("chosen", chosen);
    result.set("quality", analysis.has_face() ? quality_to_js(analysis.quality) : val::null());
    result.set("embedding", embedding.empty() ? val::null() : float32_array_of(embedding));
    result.set("match", match);
    result.set("fused", fused);
    timings.set("total", ms_since(frame_start));
    result.set("timings", timings);
    return result;
  });
}

unsigned JsEngine::add_template(const std::string& user, const val& embedding) {
  return with_js_errors([&] {
    return static_cast<unsigned>(gallery_.enroll(user, floats_from_js(embedding, "embedding")));
  });
}

val JsEngine::users() const {
  return with_js_errors([&] {
    val list = val::array();
    for (const std::string& name : gallery_.users()) {
      val entry = val::object();
      entry.set("user", name);
      entry.set("templates", static_cast<unsigned>(gallery_.template_count(name)));
      list.call<void>("push", entry);
    }
    return list;
  });
}

bool JsEngine::remove_user(const std::string& user) {
  return with_js_errors([&] {
    if (!gallery_.remove(user)) return false;
    // Frames that matched the removed user must not unlock for them afterwards.
    fusion_.reset();
    return true;
  });
}

val JsEngine::export_user(const std::string& user) const {
  return with_js_errors([&] {
    if (!gallery_.has_user(user)) {
      const std::string problem = unlock::user_name_problem(user);
      throw Error("cannot export user (" + (problem.empty() ? user : "invalid name") +
                  "): " + (problem.empty() ? "not enrolled" : problem));
    }
    unlock::Gallery one(gallery_.dimension());
    one.copy_user(gallery_, user);
    return bytes_to_js(one.serialize());
  });
}

std::string JsEngine::import_user(const val& bytes) {
  return with_js_errors([&] {
    const unlock::Gallery one = parse_gallery(bytes, "import user");
    if (one.user_count() != 1) {
      throw Error("cannot import user (gallery bytes): the gallery holds " +
                  std::to_string(one.user_count()) + " users, expected exactly 1");
    }
    const std::string name = one.users().front();
    gallery_.copy_user(one, name);
    fusion_.reset();
    return name;
  });
}

val JsEngine::export_gallery() const {
  return with_js_errors([&] { return bytes_to_js(gallery_.serialize()); });
}

void JsEngine::import_gallery(const val& bytes) {
  with_js_errors([&] {
    unlock::Gallery parsed = parse_gallery(bytes, "import gallery");
    // An empty file may lack a dimension; the engine's gallery always has the embedder's.
    gallery_ = parsed.dimension() == 0 ? unlock::Gallery(gallery_.dimension()) : std::move(parsed);
    fusion_.reset();
  });
}

unlock::Gallery JsEngine::parse_gallery(const val& bytes, const char* verb) const {
  const std::vector<std::uint8_t> data = bytes_from_js(bytes, "gallery bytes");
  unlock::Gallery parsed = unlock::Gallery::parse(data.data(), data.size(), "gallery bytes");
  if (parsed.dimension() != 0 && parsed.dimension() != gallery_.dimension()) {
    throw Error(std::string("cannot ") + verb + " (gallery bytes): its templates have " +
                std::to_string(parsed.dimension()) + " values, this embedder's (" +
                pipeline_.embedder().model().metadata.name + ") have " +
                std::to_string(gallery_.dimension()));
  }
  return parsed;
}

val JsEngine::thresholds() const {
  return with_js_errors([&] {
    const std::string prefix = "embedder.threshold.";
    val out = val::object();
    const std::optional<float> fallback = pipeline_.embedder().default_threshold();
    out.set("default", fallback ? val(*fallback) : val::null());
    // Every embedder.threshold.<name> that holds a number (far_1e-3, ...); `source` is prose.
    for (const auto& [key, text] : pipeline_.embedder().model().metadata.properties) {
      if (key.compare(0, prefix.size(), prefix) != 0 || text.empty()) continue;
      char* end = nullptr;
      const double value = std::strtod(text.c_str(), &end);
      // Rounded to float like every threshold the engine applies, so that passing one back as
      // options.threshold reports exactly this value in match.threshold.
      if (*end == '\0' && std::isfinite(value)) {
        out.set(key.substr(prefix.size()), static_cast<float>(value));
      }
    }
    return out;
  });
}

void JsEngine::reset_fusion() { fusion_.reset(); }

void JsEngine::set_fusion(double required, double window) {
  with_js_errors([&] {
    // Whole numbers only: Embind would silently truncate 2.5 into an int parameter.
    if (std::floor(required) != required || std::floor(window) != window ||
        !(std::fabs(required) <= unlock::kMaxFusionWindow + 1) ||
        !(std::fabs(window) <= unlock::kMaxFusionWindow + 1)) {
      char shown[64];
      std::snprintf(shown, sizeof shown, "required %g of window %g", required, window);
      throw Error(std::string("cannot set fusion (") + shown + "): expected whole numbers, 1 <= " +
                  "required <= window <= " + std::to_string(unlock::kMaxFusionWindow));
    }
    fusion_ = unlock::DecisionFusion(static_cast<int>(required), static_cast<int>(window));
  });
}

}  // namespace fu::wasm
