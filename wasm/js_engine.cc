#include "js_engine.h"

#include <emscripten/html5.h>

#include <algorithm>
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
#include "js_threads.h"
#include "unlock/embedder_identity.h"
#include "unlock/security_level.h"

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

face::PipelineOptions pipeline_options(int threads, std::shared_ptr<const nn::Model> landmarks) {
  face::PipelineOptions options;
  // The rest stays at FacePipeline's defaults (refined keypoints, mirror averaging of templates),
  // which the native CLI uses too: templates enrolled in either place must match in the other.
  options.choice = face::FaceChoice::kMostProminent;
  // Frames come from a camera: a still face keeps an earlier frame's refined keypoints.
  options.track = true;
  // Above 1 only in faceunlock_core_mt (js_threads.h checked it).
  options.network.threads = threads;
  options.network.batch = 1;
  // Null: the detector's keypoints, as before the landmark path existed.
  options.landmarks = std::move(landmarks);
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

val faces_to_js(const face::FaceAnalysis& analysis) {
  val faces = val::array();
  for (const face::Face& f : analysis.faces) faces.call<void>("push", face_to_js(f));
  return faces;
}

val timings_to_js(const face::StageTimings& t) {
  val timings = val::object();
  timings.set("detect", t.detect);
  timings.set("refine", t.refine);
  timings.set("quality", t.quality);
  timings.set("align", t.align);
  timings.set("embed", t.embed);
  return timings;
}

val match_to_js(const unlock::Decision& d) {
  val match = val::object();
  match.set("user", user_or_null(d.user));
  match.set("score", d.user.empty() ? val::null() : val(d.score));
  match.set("accepted", d.accepted);
  match.set("threshold", d.threshold);
  return match;
}

val fused_to_js(const unlock::FusedDecision& d, const unlock::DecisionFusion& fusion) {
  val fused = val::object();
  fused.set("user", user_or_null(d.user));
  fused.set("accepted", d.accepted);
  fused.set("frames", d.frames);
  fused.set("required", fusion.required());
  fused.set("window", fusion.window());
  return fused;
}

const char* status_name(unlock::SessionUpdate::Status status) {
  switch (status) {
    case unlock::SessionUpdate::Status::kUnlocked:
      return "unlocked";
    case unlock::SessionUpdate::Status::kRejected:
      return "rejected";
    case unlock::SessionUpdate::Status::kRunning:
      break;
  }
  return "running";
}

val update_to_js(const unlock::SessionUpdate& u, const unlock::UnlockSession& session) {
  val out = val::object();
  out.set("status", std::string(status_name(u.status)));
  out.set("reason", u.running() ? val::null() : val(u.reason_name));
  out.set("user", user_or_null(u.user));
  out.set("score", u.score ? val(*u.score) : val::null());
  out.set("hint", u.hint);
  out.set("match", u.match ? match_to_js(*u.match) : val::null());
  out.set("fused", u.fused ? fused_to_js(*u.fused, session.fusion()) : val::null());
  val challenge = val::null();
  if (u.challenge) {
    challenge = val::object();
    challenge.set("turn", std::string(unlock::turn_direction_name(u.turn)));
    challenge.set("turnsDone", u.turns_done);
    challenge.set("turnsTotal", u.turns_total);
    if (u.measure && u.measure->valid) {
      challenge.set("lateral", u.measure->lateral);
      challenge.set("parallax", u.measure->parallax);
      challenge.set("scale", u.measure->scale);
      challenge.set("aspect", u.measure->aspect);
      challenge.set("squeeze", u.measure->squeeze);
    }
  }
  out.set("challenge", challenge);
  out.set("retryAfterMs", u.retry_after_ms);
  out.set("lockoutChanged", u.lockout_changed);
  return out;
}

// A number option: absent keeps `current`; anything but a finite number is an error.
double number_option(const val& options, const char* key, double current,
                     const std::string& object) {
  const val value = options[key];
  if (value.isUndefined()) return current;
  if (value.typeOf().as<std::string>() != "number" || !std::isfinite(value.as<double>())) {
    throw Error(object + ": " + key + " is " + describe(value) + ", expected a finite number");
  }
  return value.as<double>();
}

int whole_option(const val& options, const char* key, int current, const std::string& object) {
  const double value = number_option(options, key, current, object);
  if (std::floor(value) != value || std::fabs(value) > 1e9) {
    throw Error(object + ": " + key + " is " + std::to_string(value) + ", expected a whole number");
  }
  return static_cast<int>(value);
}

bool is_count(const val& v) {
  if (v.typeOf().as<std::string>() != "number") return false;
  const double d = v.as<double>();
  return std::isfinite(d) && d >= 0 && std::floor(d) == d && d <= 9007199254740991.0;
}

bool is_time(const val& v) {
  return v.typeOf().as<std::string>() == "number" && std::isfinite(v.as<double>()) &&
         v.as<double>() >= 0;
}

// The layout version of lockout_state(); the JavaScript library wrote the same layout before the
// policy moved here, so states stored by it still restore.
constexpr int kLockoutStateVersion = 1;

}  // namespace

JsEngine* JsEngine::create(const val& detector_bytes, const val& embedder_bytes,
                           const val& options) {
  return with_js_errors([&] {
    const std::string object = "cannot create engine";
    int threads = 1;
    std::shared_ptr<const nn::Model> landmarks;
    if (!options.isUndefined() && !options.isNull()) {
      if (options.typeOf().as<std::string>() != "object") {
        throw Error(object + ": options is " + describe(options) + ", expected an object");
      }
      threads = threads_from_js(options["threads"], object);
      const val landmark_bytes = options["landmarks"];
      if (!landmark_bytes.isUndefined() && !landmark_bytes.isNull()) {
        landmarks = load(landmark_bytes, "landmark model bytes");
      }
    }
    return new JsEngine(load(detector_bytes, "detector model bytes"),
                        load(embedder_bytes, "embedder model bytes"), std::move(landmarks),
                        threads);
  });
}

JsEngine::JsEngine(std::shared_ptr<const nn::Model> detector,
                   std::shared_ptr<const nn::Model> embedder,
                   std::shared_ptr<const nn::Model> landmarks, int threads)
    : threads_(threads),
      pipeline_(std::move(detector), embedder, pipeline_options(threads, std::move(landmarks))),
      keypoints_(unlock::keypoint_source_of(pipeline_.options())),
      // The identity of the model as given: the pipeline runs nn::inference_model of it, whose
      // folded weights would hash to another identity than the templates stored under it.
      embedder_identity_(unlock::embedder_identity(*embedder)),
      templates_identity_(
          unlock::templates_identity(embedder_identity_, unlock::keypoint_source_name(keypoints_))),
      gallery_(static_cast<std::size_t>(pipeline_.embedder().dimension()), templates_identity_) {
  const nn::ModelMetadata& metadata = pipeline_.embedder().model().metadata;
  unlock::CalibratedLevels levels(metadata);
  unlock::SessionOptions options;
  // A model calibrated without false-accept rates still works at its own threshold.
  if (levels.levels().empty()) {
    if (!levels.model_threshold()) {
      throw Error("cannot use model as a face embedder (" + metadata.name +
                  "): it carries no thresholds; run 'faceunlock calibrate' on it");
    }
    options.threshold = levels.model_threshold();
  } else {
    options.level = levels.levels().front().name;
  }
  // The challenge measures the points the pipeline gives, with the bounds calibrated on them.
  options.liveness.bounds = unlock::liveness_bounds(keypoints_);
  options.challenge_identity = unlock::default_challenge_identity(keypoints_);
  session_ = std::make_unique<unlock::UnlockSession>(gallery_, std::move(levels), options,
                                                     pipeline_.detector().keypoint_names(),
                                                     [this] { return now(); });
}

double JsEngine::now() const {
  if (clock_.isUndefined() || clock_.isNull()) return emscripten_date_now();
  const val t = clock_();
  if (t.typeOf().as<std::string>() != "number" || !std::isfinite(t.as<double>())) {
    throw Error("cannot read the clock (" + describe(t) + "): the function given to setClock " +
                "must return milliseconds as a finite number");
  }
  return t.as<double>();
}

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

const image::ImageView JsEngine::checked_frame(double width, double height,
                                               const std::string& object) const {
  if (width != frame_width_ || height != frame_height_ || frame_.empty()) {
    throw Error(object + ": the frame buffer is " + std::to_string(frame_width_) + "x" +
                std::to_string(frame_height_) + "; call frameView(width, height) first");
  }
  return image::ImageView(frame_.data(), frame_width_, frame_height_, 4);
}

val JsEngine::process_frame(double width, double height, const val& js_options) {
  return with_js_errors([&] {
    const std::string object = "cannot process frame (" + size_text(width, height) + ")";
    const image::ImageView frame = checked_frame(width, height, object);
    const FrameOptions options = frame_options(js_options, object);
    const Clock::time_point frame_start = Clock::now();
    // A frame that is not matched is being enrolled (web/lib/faceunlock.js enroll()).
    const face::FaceAnalysis analysis = pipeline_.analyze(
        frame, options.embed, options.require_quality,
        options.match ? face::EmbedPurpose::kProbe : face::EmbedPurpose::kTemplate);
    val timings = timings_to_js(analysis.timings);
    val match = val::null();
    val fused = val::null();
    const Clock::time_point start = Clock::now();
    if (options.match && !analysis.embedding.empty()) {
      const auto [decision, fusion] = session_->match_frame(analysis.embedding, options.threshold);
      match = match_to_js(decision);
      fused = fused_to_js(fusion, session_->fusion());
    }
    timings.set("match", ms_since(start));

    val result = val::object();
    result.set("faces", faces_to_js(analysis));
    result.set("chosen", analysis.chosen);
    result.set("quality", analysis.has_face() ? quality_to_js(analysis.quality) : val::null());
    result.set("embedding",
               analysis.embedding.empty() ? val::null() : float32_array_of(analysis.embedding));
    result.set("refineReused", analysis.refine_reused);
    result.set("detectionReused", analysis.detection_reused);
    result.set("match", match);
    result.set("fused", fused);
    timings.set("total", ms_since(frame_start));
    result.set("timings", timings);
    return result;
  });
}

val JsEngine::begin_unlock() {
  return with_js_errors([&] { return update_to_js(session_->begin(), *session_); });
}

val JsEngine::unlock_frame(double width, double height) {
  return with_js_errors([&] {
    const std::string object = "cannot process unlock frame (" + size_text(width, height) + ")";
    const image::ImageView frame = checked_frame(width, height, object);
    if (!session_->attempt_running()) {
      throw Error(object + ": no unlock attempt is running; call beginUnlock() first");
    }
    const Clock::time_point frame_start = Clock::now();
    const face::FaceAnalysis analysis =
        pipeline_.analyze(frame, true, session_->requires_quality(), face::EmbedPurpose::kProbe);
    val timings = timings_to_js(analysis.timings);
    const Clock::time_point start = Clock::now();
    const unlock::SessionUpdate update = session_->add_frame(analysis);
    timings.set("match", ms_since(start));
    val result = val::object();
    result.set("faces", faces_to_js(analysis));
    result.set("chosen", analysis.chosen);
    result.set("quality", analysis.has_face() ? quality_to_js(analysis.quality) : val::null());
    result.set("update", update_to_js(update, *session_));
    timings.set("total", ms_since(frame_start));
    result.set("timings", timings);
    return result;
  });
}

val JsEngine::end_unlock() {
  return with_js_errors([&] { return update_to_js(session_->end(), *session_); });
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
    session_->reset_fusion();
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
    unlock::Gallery one(gallery_.dimension(), templates_identity_);
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
    session_->reset_fusion();
    return name;
  });
}

val JsEngine::export_gallery() const {
  return with_js_errors([&] { return bytes_to_js(gallery_.serialize()); });
}

void JsEngine::import_gallery(const val& bytes) {
  with_js_errors([&] {
    unlock::Gallery parsed = parse_gallery(bytes, "import gallery");
    // An empty file may lack a dimension; the engine's gallery always has the embedder's. The
    // templates passed parse_gallery's check, so they are this embedder's even when the file
    // did not say so: from now on it does.
    if (parsed.dimension() == 0) parsed = unlock::Gallery(gallery_.dimension());
    parsed.set_embedder(templates_identity_);
    gallery_ = std::move(parsed);
    session_->reset_fusion();
  });
}

unlock::Gallery JsEngine::parse_gallery(const val& bytes, const char* verb) const {
  const std::vector<std::uint8_t> data = bytes_from_js(bytes, "gallery bytes");
  unlock::Gallery parsed = unlock::Gallery::parse(data.data(), data.size(), "gallery bytes");
  // Checked first: it says more than a dimension mismatch would, and catches the 128-d student's
  // templates in a 128-d dlib-resnet engine, which no dimension check can.
  if (parsed.user_count() > 0) {
    unlock::require_embedder(parsed.embedder(), parsed.dimension(), templates_identity_,
                             std::string(verb) + " (gallery bytes)");
  }
  if (parsed.dimension() != 0 && parsed.dimension() != gallery_.dimension()) {
    throw Error(std::string("cannot ") + verb + " (gallery bytes): its templates have " +
                std::to_string(parsed.dimension()) + " values, this embedder's (" +
                pipeline_.embedder().model().metadata.name + ") have " +
                std::to_string(gallery_.dimension()));
  }
  return parsed;
}

val JsEngine::embedder() const {
  return with_js_errors([&] {
    val out = val::object();
    out.set("name", pipeline_.embedder().model().metadata.name);
    out.set("identity", embedder_identity_);
    out.set("dimension", static_cast<unsigned>(gallery_.dimension()));
    out.set("templates", templates_identity_);
    return out;
  });
}

std::string JsEngine::keypoints() const { return unlock::keypoint_source_name(keypoints_); }

val JsEngine::thresholds() const {
  return with_js_errors([&] {
    const unlock::CalibratedLevels& levels = session_->levels();
    val out = val::object();
    out.set("default", levels.model_threshold() ? val(*levels.model_threshold()) : val::null());
    for (const unlock::SecurityLevel& l : levels.levels()) out.set("far_" + l.name, l.threshold);
    return out;
  });
}

val JsEngine::security_levels() const {
  return with_js_errors([&] {
    val list = val::array();
    for (const unlock::SecurityLevel& l : session_->levels().levels()) {
      val entry = val::object();
      entry.set("name", l.name);
      entry.set("falseAcceptRate", l.false_accept_rate);
      entry.set("threshold", l.threshold);
      list.call<void>("push", entry);
    }
    return list;
  });
}

void JsEngine::set_security_level(const std::string& name) {
  with_js_errors([&] { session_->set_level(name); });
}

void JsEngine::reset_fusion() { session_->reset_fusion(); }

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
    session_->set_fusion(static_cast<int>(required), static_cast<int>(window));
  });
}

void JsEngine::set_liveness(const val& js) {
  with_js_errors([&] {
    const std::string object = "cannot set liveness options";
    if (js.typeOf().as<std::string>() != "object" || js.isNull()) {
      throw Error(object + ": options is " + describe(js) + ", expected an object");
    }
    unlock::LivenessOptions o = session_->options().liveness;
    o.enabled = bool_option(js, "enabled", o.enabled, object);
    o.turn_ms = number_option(js, "turnMs", o.turn_ms, object);
    o.bounds.min_lateral = number_option(js, "minLateral", o.bounds.min_lateral, object);
    o.bounds.min_parallax = number_option(js, "minParallax", o.bounds.min_parallax, object);
    o.bounds.min_scale = number_option(js, "minScale", o.bounds.min_scale, object);
    o.bounds.max_scale = number_option(js, "maxScale", o.bounds.max_scale, object);
    o.bounds.min_aspect = number_option(js, "minAspect", o.bounds.min_aspect, object);
    o.bounds.min_squeeze = number_option(js, "minSqueeze", o.bounds.min_squeeze, object);
    o.bounds.max_judged_lateral =
        number_option(js, "maxJudgedLateral", o.bounds.max_judged_lateral, object);
    o.max_start_yaw = number_option(js, "maxStartYaw", o.max_start_yaw, object);
    o.frames_needed = whole_option(js, "framesNeeded", o.frames_needed, object);
    o.identity_misses_allowed =
        whole_option(js, "identityMissesAllowed", o.identity_misses_allowed, object);
    const val seed = js["seed"];
    if (!seed.isUndefined()) {
      if (!is_count(seed)) {
        throw Error(object + ": seed is " + describe(seed) +
                    ", expected a whole number from 0 to 2^53 - 1");
      }
      o.seed = static_cast<std::uint64_t>(seed.as<double>());
    }
    session_->set_liveness(o);
  });
}

val JsEngine::liveness() const {
  const unlock::LivenessOptions& o = session_->options().liveness;
  val out = val::object();
  out.set("enabled", o.enabled);
  out.set("turnMs", o.turn_ms);
  out.set("minLateral", o.bounds.min_lateral);
  out.set("minParallax", o.bounds.min_parallax);
  out.set("minScale", o.bounds.min_scale);
  out.set("maxScale", o.bounds.max_scale);
  out.set("minAspect", o.bounds.min_aspect);
  out.set("minSqueeze", o.bounds.min_squeeze);
  out.set("maxJudgedLateral", o.bounds.max_judged_lateral);
  out.set("maxStartYaw", o.max_start_yaw);
  out.set("framesNeeded", o.frames_needed);
  out.set("identityMissesAllowed", o.identity_misses_allowed);
  out.set("seed", static_cast<double>(o.seed));
  out.set("keypoints", keypoints());
  return out;
}

val JsEngine::next_turns() const {
  return with_js_errors([&] {
    val list = val::array();
    for (unlock::TurnDirection t : session_->next_turns()) {
      list.call<void>("push", std::string(unlock::turn_direction_name(t)));
    }
    return list;
  });
}

void JsEngine::set_lockout(const val& js) {
  with_js_errors([&] {
    if (js.isNull() || js.isFalse()) {
      session_->set_lockout(std::nullopt);
      return;
    }
    const std::string object = "cannot set lockout policy";
    if (js.typeOf().as<std::string>() != "object") {
      throw Error(object + ": policy is " + describe(js) + ", expected an object or null");
    }
    unlock::LockoutPolicy p;
    p.max_attempts = whole_option(js, "maxAttempts", p.max_attempts, object);
    p.lock_ms = number_option(js, "lockMs", p.lock_ms, object);
    // A cap below the first lock would make the first lock the cap; follow lockMs by default so
    // that raising lockMs alone does not silently shorten it.
    p.max_lock_ms = number_option(js, "maxLockMs", std::max(p.max_lock_ms, p.lock_ms), object);
    session_->set_lockout(p);
  });
}

val JsEngine::lockout_status() const {
  return with_js_errors([&] {
    unlock::LockoutStatus s;
    if (const unlock::Lockout* l = session_->lockout()) s = l->status();
    val out = val::object();
    out.set("locked", s.locked);
    out.set("retryAfterMs", s.retry_after_ms);
    out.set("failures", static_cast<double>(s.failures));
    return out;
  });
}

val JsEngine::lockout_state() const {
  const unlock::Lockout* l = session_->lockout();
  if (!l) return val::null();
  const unlock::LockoutState& s = l->state();
  val out = val::object();
  out.set("v", kLockoutStateVersion);
  out.set("seq", static_cast<double>(s.seq));
  out.set("failures", static_cast<double>(s.failures));
  out.set("sinceLock", static_cast<double>(s.since_lock));
  out.set("locks", static_cast<double>(s.locks));
  out.set("lockedAt", s.locked_at);
  out.set("lockMs", s.lock_ms);
  return out;
}

bool JsEngine::restore_lockout(const val& saved) {
  unlock::Lockout* l = session_->lockout();
  if (!l || saved.typeOf().as<std::string>() != "object" || saved.isNull()) return false;
  const val v = saved["v"];
  if (v.typeOf().as<std::string>() != "number" || v.as<double>() != kLockoutStateVersion) {
    return false;
  }
  const val seq = saved["seq"], failures = saved["failures"], since = saved["sinceLock"],
            locks = saved["locks"], at = saved["lockedAt"], ms = saved["lockMs"];
  if (!is_count(seq) || !is_count(failures) || !is_count(since) || !is_count(locks) ||
      !is_time(at) || !is_time(ms)) {
    return false;
  }
  unlock::LockoutState s;
  s.seq = static_cast<std::uint64_t>(seq.as<double>());
  s.failures = static_cast<std::uint64_t>(failures.as<double>());
  s.since_lock = static_cast<std::uint64_t>(since.as<double>());
  s.locks = static_cast<std::uint64_t>(locks.as<double>());
  s.locked_at = at.as<double>();
  s.lock_ms = ms.as<double>();
  return l->restore(s);
}

void JsEngine::set_clock(const val& now) {
  with_js_errors([&] {
    if (!now.isUndefined() && !now.isNull() && now.typeOf().as<std::string>() != "function") {
      throw Error("cannot set clock (" + describe(now) + "): expected a function or undefined");
    }
    clock_ = now;
  });
}

}  // namespace fu::wasm
