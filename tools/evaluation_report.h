// Embedding the photos an evaluation or a calibration names and scoring them: shared by
// `faceunlock eval` and `faceunlock calibrate`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "nn/model.h"
#include "train/embed_images.h"
#include "train/pair_scores.h"

namespace fu::tools {

struct EmbeddedSet {
  std::vector<std::string> paths;
  std::vector<int> labels;  // identity per photo
  std::vector<train::EmbeddedImage> photos;
  std::size_t no_face = 0;        // photos embedded through the fallback
  std::size_t several_faces = 0;  // photos where more than one face was found
  double seconds = 0.0;           // wall-clock time of the embedding
};

// The optional landmark stage (face::PipelineOptions::landmarks) an evaluation runs with.
struct LandmarkStage {
  std::shared_ptr<const nn::Model> model;  // null: the detector's keypoints
  double box_scale = face::kDefaultLandmarkBoxScale;
};

// --landmarks FILE and --landmark-box-scale X, for commands that embed photos.
std::vector<FlagSpec> landmark_flags();
// Throws UsageError for a malformed scale, fu::Error for an unreadable model.
LandmarkStage load_landmark_stage(const ParsedArgs& parsed);

// Embeds `paths` (identity `labels`) with `jobs` threads and a progress bar, each photo averaged
// with its mirror image unless `mirror_average` is false and shrunk by `photo_scale`
// (train::EmbedImagesOptions). Throws fu::Error listing the first unreadable photos if any photo
// could not be embedded at all.
EmbeddedSet embed_set(std::vector<std::string> paths, std::vector<int> labels,
                      std::shared_ptr<const nn::Model> detector,
                      std::shared_ptr<const nn::Model> embedder, nn::Backend backend, int jobs,
                      const LandmarkStage& landmarks = {}, bool mirror_average = true,
                      double photo_scale = 1.0);

// Every pair of the set's photos scored into a histogram (train::score_all_pairs_histogram).
train::ScoreHistogram score_set(const EmbeddedSet& set, int jobs);
// The same pairs when each photo has a template embedding and a probe embedding (the same photos
// in the same order, embedded differently): pair i < j scores templates[i] against probes[j], as
// the unlock path compares a stored template with a camera frame. Throws fu::Error when the sets
// do not hold the same photos.
train::ScoreHistogram score_set(const EmbeddedSet& templates, const EmbeddedSet& probes, int jobs);

// The score of a pair: the gallery's own similarity (unlock::cosine_similarity), so evaluation and
// calibration measure exactly what unlocking compares.
float dot(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace fu::tools
