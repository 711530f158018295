#include "face_cli.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "base/error.h"

namespace fu::tools {

namespace fs = std::filesystem;

namespace {

std::mutex progress_mutex;

std::string find_upwards(const fs::path& start, const std::string& file_name) {
  std::error_code ec;
  for (fs::path dir = start; !dir.empty(); dir = dir.parent_path()) {
    const fs::path candidate = dir / "models" / file_name;
    if (fs::exists(candidate, ec)) return candidate.string();
    if (dir == dir.parent_path()) break;
  }
  return "";
}

}  // namespace

std::vector<FlagSpec> face_model_flags() {
  return {
      {"--detector", "FILE",
       std::string("face detector model (default: models/") + kDefaultDetector + ")"},
      {"--model", "FILE",
       std::string("face embedder model (default: models/") + kDefaultEmbedder + ")"},
      {"--backend", "NAME", "reference, simd or xnnpack (default: the fastest built in)"},
  };
}

std::vector<FlagSpec> detector_flags() {
  std::vector<FlagSpec> flags;
  for (FlagSpec& f : face_model_flags()) {
    if (f.name != "--model") flags.push_back(f);
  }
  return flags;
}

FlagSpec jobs_flag() {
  return {"--jobs", "N", "photos processed in parallel (default: the number of cores)"};
}

int parse_jobs(const ParsedArgs& parsed) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return static_cast<int>(parsed.get_int("--jobs", cores, 1, 256));
}

std::string installed_models_dir() {
#ifdef FACEUNLOCK_MODELS_FROM_BIN
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const fs::path dir = (exe.parent_path() / FACEUNLOCK_MODELS_FROM_BIN).lexically_normal();
  return fs::is_directory(dir, ec) ? dir.string() : "";
#else
  return "";
#endif
}

std::string default_model_path(const std::string& file_name) {
  if (const char* dir = std::getenv("FACEUNLOCK_MODELS"); dir != nullptr && *dir != '\0') {
    const fs::path path = fs::path(dir) / file_name;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      throw Error("cannot find model (" + path.string() + "): FACEUNLOCK_MODELS is '" + dir +
                  "' and holds no " + file_name + "; fix or unset the variable");
    }
    return path.string();
  }
  // An installed program uses the models installed with it, wherever the prefix was moved.
  if (const std::string dir = installed_models_dir(); !dir.empty()) {
    const fs::path path = fs::path(dir) / file_name;
    std::error_code ec;
    if (fs::exists(path, ec)) return path.string();
  }
  std::error_code ec;
  std::string found = find_upwards(fs::current_path(ec), file_name);
  if (found.empty()) {
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) found = find_upwards(exe.parent_path(), file_name);
  }
  if (found.empty()) {
    throw Error("cannot find model (" + file_name +
                "): not installed beside the program (PREFIX/share/faceunlock/models) nor in a "
                "models/ folder above the current directory or the program; pass the file with "
                "--detector/--model or set FACEUNLOCK_MODELS to the folder holding it");
  }
  return found;
}

std::shared_ptr<const nn::Model> load_detector(const ParsedArgs& parsed) {
  const std::string path = parsed.has("--detector") ? parsed.get("--detector", "")
                                                    : default_model_path(kDefaultDetector);
  return std::make_shared<const nn::Model>(nn::load_model(path));
}

std::shared_ptr<const nn::Model> load_embedder(const ParsedArgs& parsed) {
  const std::string path =
      parsed.has("--model") ? parsed.get("--model", "") : default_model_path(kDefaultEmbedder);
  return std::make_shared<const nn::Model>(nn::load_model(path));
}

nn::Backend selected_backend(const ParsedArgs& parsed) {
  return parsed.has("--backend") ? parse_backend(parsed.get("--backend", ""))
                                 : nn::default_backend();
}

ProgressBar::ProgressBar(std::string label, bool enabled)
    : label_(std::move(label)),
      enabled_(enabled && isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::cerr << "\n";
}

void ProgressBar::update(std::size_t done, std::size_t total) {
  if (!enabled_ || total == 0) return;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(progress_mutex);
  const bool finished = done >= total;
  if (now - start_ < std::chrono::seconds(1) ||
      (!finished && now - last_draw_ < std::chrono::milliseconds(100))) {
    return;
  }
  last_draw_ = now;
  constexpr int kWidth = 30;
  const double fraction = static_cast<double>(done) / static_cast<double>(total);
  const int filled = static_cast<int>(fraction * kWidth);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = done > 0 ? elapsed * (total - done) / done : 0.0;
  char line[256];
  std::snprintf(line, sizeof line, "\r%s [%s%s] %zu/%zu  %.0f s elapsed, %.0f s left ",
                label_.c_str(), std::string(filled, '#').c_str(),
                std::string(kWidth - filled, '.').c_str(), done, total, elapsed, eta);
  std::cerr << line << std::flush;
  drawn_ = true;
}

}  // namespace fu::tools
