// Embedding a list of photo files with the unlock path's own code (decode, detect, align, embed),
// in parallel, for evaluation, calibration and (later) the training cache.
//
// A photo where the detector finds no face still gets an embedding, from a fallback face placed
// where faces sat on average in this run's other photos (scaled to the photo's size). Benchmarks
// such as LFW centre their faces, so this is the honest analogue of the "centre crop" other
// pipelines fall back to; every fallback is counted and reported.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "face/pipeline.h"
#include "nn/model.h"

namespace fu::train {

struct EmbeddedImage {
  std::string path;
  std::vector<float> embedding;  // empty when the file could not be read
  int faces_found = 0;
  std::vector<image::Point> keypoints;  // of the face embedded (detector order); empty on fallback
  bool fallback = false;                // no face found: embedded from the average face position
  std::string error;  // why the file could not be read or embedded; empty on success
};

struct EmbedImagesOptions {
  int jobs = 1;  // worker threads, each with its own networks (one thread each)
  nn::Backend backend = nn::default_backend();
  face::DetectOptions detect;  // which faces count
  face::FaceChoice choice = face::FaceChoice::kMostProminent;
  bool mirror_average = true;  // see face::PipelineOptions
  // Optional 68-point landmark model and its crop scale (see face::PipelineOptions).
  std::shared_ptr<const nn::Model> landmarks;
  double landmark_box_scale = face::kDefaultLandmarkBoxScale;
  bool fallback = true;  // embed photos without a detected face from the average position
  // Each photo is shrunk by this factor (antialiased) before the pipeline sees it: in (0, 1],
  // 1 = as stored. Measures how an embedder holds up on a lower-resolution camera, or on faces
  // as small as a training set's.
  double photo_scale = 1.0;
  // Called from worker threads after each photo with (done, total); may be empty.
  std::function<void(std::size_t, std::size_t)> progress;
};

// Results in the order of `paths`. Unreadable files are reported in their entry's `error`, not
// thrown, so one bad file does not lose the work on thousands of others.
std::vector<EmbeddedImage> embed_images(const std::vector<std::string>& paths,
                                        std::shared_ptr<const nn::Model> detector,
                                        std::shared_ptr<const nn::Model> embedder,
                                        const EmbedImagesOptions& options);

}  // namespace fu::train
