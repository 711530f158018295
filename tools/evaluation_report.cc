#include "evaluation_report.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

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
                      const LandmarkStage& landmarks, bool mirror_average, double photo_scale) {
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
  options.mirror_average = mirror_average;
  options.photo_scale = photo_scale;
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

train::ScoreHistogram score_set(const EmbeddedSet& templates, const EmbeddedSet& probes, int jobs) {
  if (templates.paths != probes.paths || templates.photos.size() != probes.photos.size()) {
    throw Error("cannot score templates against probes (" +
                std::to_string(templates.photos.size()) + " and " +
                std::to_string(probes.photos.size()) + " photos): they must be the same photos");
  }
  const std::size_t count = templates.photos.size();
  const int threads = std::max(1, std::min<int>(jobs, static_cast<int>(count)));
  std::vector<train::ScoreHistogram> partial(threads);
  std::vector<std::thread> workers;
  // Rows interleaved across threads: row i has count - i - 1 pairs, so blocks would be uneven.
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (std::size_t i = t; i < count; i += threads) {
        const std::vector<float>& a = templates.photos[i].embedding;
        for (std::size_t j = i + 1; j < count; ++j) {
          partial[t].add(dot(a, probes.photos[j].embedding),
                         templates.labels[i] == templates.labels[j]);
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  for (int t = 1; t < threads; ++t) partial[0].merge(partial[t]);
  return std::move(partial[0]);
}

float dot(const std::vector<float>& a, const std::vector<float>& b) {
  return unlock::cosine_similarity(a, b);
}

}  // namespace fu::tools
