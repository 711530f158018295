#include "evaluation_report.h"

#include <chrono>
#include <cstdlib>

#include "base/error.h"
#include "face_cli.h"
#include "unlock/similarity.h"

namespace fu::tools {

std::vector<FlagSpec> landmark_flags() {
  return {{"--landmarks", "FILE", "take eye, nose and mouth keypoints from this 68-point model"},
          {"--landmark-box-scale", "X",
           "crop side for --landmarks, times the face box (default 1.15)"}};
}

LandmarkStage load_landmark_stage(const ParsedArgs& parsed) {
  LandmarkStage stage;
  if (parsed.has("--landmarks")) {
    stage.model = std::make_shared<const nn::Model>(nn::load_model(parsed.get("--landmarks", "")));
  }
  if (parsed.has("--landmark-box-scale")) {
    const std::string text = parsed.get("--landmark-box-scale", "");
    char* end = nullptr;
    stage.box_scale = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(stage.box_scale > 0.25 && stage.box_scale < 4.0)) {
      throw UsageError("--landmark-box-scale: '" + text + "' is not a scale from 0.25 to 4");
    }
  }
  return stage;
}

EmbeddedSet embed_set(std::vector<std::string> paths, std::vector<int> labels,
                      std::shared_ptr<const nn::Model> detector,
                      std::shared_ptr<const nn::Model> embedder, nn::Backend backend, int jobs,
                      const LandmarkStage& landmarks) {
  EmbeddedSet set;
  set.paths = std::move(paths);
  set.labels = std::move(labels);
  ProgressBar progress("embedding " + std::to_string(set.paths.size()) + " photos", true);
  train::EmbedImagesOptions options;
  options.jobs = jobs;
  options.backend = backend;
  // Benchmark photos are cropped around their subject; other faces are bystanders.
  options.choice = face::FaceChoice::kNearestCentre;
  options.landmarks = landmarks.model;
  options.landmark_box_scale = landmarks.box_scale;
  options.progress = [&](std::size_t done, std::size_t total) { progress.update(done, total); };
  const auto start = std::chrono::steady_clock::now();
  set.photos = train::embed_images(set.paths, std::move(detector), std::move(embedder), options);
  set.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::string failures;
  std::size_t failed = 0;
  for (const train::EmbeddedImage& p : set.photos) {
    if (p.embedding.empty()) {
      if (++failed <= 3) failures += "\n  " + p.error;
      continue;
    }
    set.no_face += p.fallback ? 1 : 0;
    set.several_faces += p.faces_found > 1 ? 1 : 0;
  }
  if (failed > 0) {
    throw Error("cannot embed photos (" + std::to_string(failed) + " of " +
                std::to_string(set.paths.size()) + "): " + failures);
  }
  return set;
}

train::ScoreHistogram score_set(const EmbeddedSet& set, int jobs) {
  const std::size_t dimension = set.photos.empty() ? 0 : set.photos[0].embedding.size();
  std::vector<float> rows;
  rows.reserve(set.photos.size() * dimension);
  for (const train::EmbeddedImage& p : set.photos) {
    rows.insert(rows.end(), p.embedding.begin(), p.embedding.end());
  }
  train::LabeledEmbeddings embeddings;
  embeddings.data = rows.data();
  embeddings.count = set.photos.size();
  embeddings.dimension = dimension;
  embeddings.labels = &set.labels;
  return train::score_all_pairs_histogram(embeddings, jobs);
}

float dot(const std::vector<float>& a, const std::vector<float>& b) {
  return unlock::cosine_similarity(a, b);
}

}  // namespace fu::tools
