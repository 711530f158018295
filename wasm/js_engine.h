// The object behind the JS `Engine` class (docs/engine-api.md): the whole unlock path of one
// camera frame behind one call. It owns the RGBA frame buffer that JS fills in place, the face
// pipeline, the gallery and the multi-frame fusion. Every public method is an entry point from
// JS and reports failures through with_js_errors(); a failed call changes nothing.
#pragma once

#include <emscripten/val.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "face/pipeline.h"
#include "nn/model.h"
#include "unlock/fusion.h"
#include "unlock/gallery.h"

namespace fu::wasm {

// Largest frame side accepted by frameView(): 4K video is 3840 wide; more is a mistake (or an
// attempt to make the module allocate gigabytes).
constexpr int kMaxFrameSide = 4096;

class JsEngine {
 public:
  // Returns null with a JS Error pending unless both are Uint8Arrays holding valid models, a
  // face detector and a face embedder that fit together.
  static JsEngine* create(const emscripten::val& detector_bytes,
                          const emscripten::val& embedder_bytes);

  // A Uint8Array of width * height * 4 bytes over the C++-owned frame buffer, resized to that
  // size. Sides are 1..kMaxFrameSide; taken again before each frame since memory growth
  // detaches views.
  emscripten::val frame_view(double width, double height);
  // Runs the unlock path on the buffer's current pixels; width and height must be the last
  // frame_view()'s. `options` is undefined or {embed, match, requireQuality, threshold}.
  emscripten::val process_frame(double width, double height, const emscripten::val& options);

  unsigned add_template(const std::string& user, const emscripten::val& embedding);
  emscripten::val users() const;
  bool remove_user(const std::string& user);
  emscripten::val export_user(const std::string& user) const;
  std::string import_user(const emscripten::val& bytes);
  emscripten::val export_gallery() const;
  void import_gallery(const emscripten::val& bytes);
  emscripten::val thresholds() const;

  void reset_fusion();
  // Accept when `required` of the last `window` matched frames agree; forgets earlier frames.
  void set_fusion(double required, double window);

 private:
  JsEngine(std::shared_ptr<const nn::Model> detector, std::shared_ptr<const nn::Model> embedder);
  // The gallery in `bytes`, checked to hold this embedder's templates.
  unlock::Gallery parse_gallery(const emscripten::val& bytes, const char* verb) const;

  face::FacePipeline pipeline_;
  unlock::Gallery gallery_;
  unlock::DecisionFusion fusion_;
  std::vector<std::uint8_t> frame_;  // RGBA, row-major, frame_width_ x frame_height_
  int frame_width_ = 0;
  int frame_height_ = 0;
};

}  // namespace fu::wasm
