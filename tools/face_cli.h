// What the face subcommands (detect, embed, enroll, verify, identify, eval, calibrate) share:
// the model flags and where the default models are found, and a progress bar.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "nn/model.h"

namespace fu::tools {

// --detector, --model, --backend: every face subcommand takes them.
std::vector<FlagSpec> face_model_flags();
// --detector, --backend: the commands whose embedder is a positional argument or none.
std::vector<FlagSpec> detector_flags();
// --jobs: the commands that work through many photos.
FlagSpec jobs_flag();
int parse_jobs(const ParsedArgs& parsed);

// Where the shipped models are found, first match wins: the folder $FACEUNLOCK_MODELS names (an
// error if the file is not there); the models installed with the program
// (<bin>/../share/faceunlock/models, see cmake/install.cmake); a models/ folder above the current
// directory, then above the program (a build tree inside the source tree).
std::string default_model_path(const std::string& file_name);
constexpr const char kDefaultDetector[] = "blazeface-short.fum";
constexpr const char kDefaultEmbedder[] = "dlib-resnet.fum";
// The 68-point landmark model a gallery enrolled with --landmarks is matched with by default.
constexpr const char kDefaultLandmarks[] = "face-landmarks-68.fum";

std::shared_ptr<const nn::Model> load_detector(const ParsedArgs& parsed);
std::shared_ptr<const nn::Model> load_embedder(const ParsedArgs& parsed);
nn::Backend selected_backend(const ParsedArgs& parsed);

// A one-line progress bar on stderr, drawn only when stderr is a terminal and only for work that
// has already taken more than a second, so scripts and quick runs see nothing.
class ProgressBar {
 public:
  ProgressBar(std::string label, bool enabled);
  ~ProgressBar();
  // Thread-safe; cheap when called often.
  void update(std::size_t done, std::size_t total);

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace fu::tools
