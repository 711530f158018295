// Training data: `--data DIR` (repeatable) turned into aligned face chips with identities.
//
// Each root is a folder of identity folders, ROOT/IDENTITY/IMAGE with IMAGE a .jpg, .jpeg, .png,
// .pgm, .ppm or .bmp file (any case). Two modes (train/face_cache.h, DatasetMode):
// - photos: each image goes through the unlock path's own detector and aligner (FaceDetector,
//   the most prominent face, FaceDetector::refine, face::align_face with the caller's template),
//   so training sees faces exactly as unlock will;
// - aligned: already aligned crops (../shared/data/celeba-align-10k, att-faces) are only resized
//   (bilinear) to the template's size; their own alignment is kept, whatever it is.
// Chips are RGB uint8 (grey sources are copied into R, G and B).
//
// Bad data never ends the load: an unreadable file, a photo without a face, several faces (the
// most prominent is taken), an identity with one usable image (kept: it still serves in
// different-identity pairs) and an identity with none (dropped) are each counted and reported
// with their path. What the user must fix is refused with fu::Error: a root that is missing, has
// no identity folders, or yields no usable image at all.
//
// Everything comes out in a fixed order (roots as given, then identity folders and files sorted
// by name), whatever the thread count, so a seeded run sees the same samples every time.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "face/alignment.h"
#include "face/detector.h"
#include "image/image.h"
#include "nn/model.h"
#include "nn/network.h"
#include "train/face_cache.h"

namespace fu::train {

struct FaceDatasetOptions {
  DatasetMode mode = DatasetMode::kPhotos;
  // The chip: width and height in both modes; keypoint indices (into the detector's keypoints)
  // and target points in photos mode. face::make_alignment_template builds it from an embedder.
  face::AlignmentTemplate alignment;
  // Photos mode only (required there). Each worker thread builds its own network from it.
  std::shared_ptr<const nn::Model> detector;
  face::DetectOptions detect;
  bool refine_keypoints = true;  // as face::PipelineOptions::refine_keypoints
  nn::Backend backend = nn::default_backend();
  int jobs = 1;  // decoding (and detection) threads; below 1 counts as 1
  // Empty: no cache. Otherwise the chips are reused from this file when its key matches (per
  // file: changed, added or removed files are redone, the rest reused) and the file is rewritten
  // when anything changed. A missing, stale or corrupt cache is rebuilt, never an error.
  std::string cache_path;
  std::size_t max_problems = 20;  // problems of each kind the summary keeps (all are counted)
  // Called from worker threads after each image processed in this call with (done, total).
  std::function<void(std::size_t, std::size_t)> progress;
};

struct FaceIdentity {
  std::string name;  // the folder's name; "ROOT/name" when two roots have a folder of that name
  std::string root;  // the root it came from, as given
  std::size_t samples = 0;
};

struct FaceSample {
  int identity = 0;  // index into FaceDataset::identities
  std::string path;
  image::Image chip;  // RGB, alignment.width x alignment.height
};

enum class ProblemKind {
  kUnreadable,      // the file could not be read or decoded: skipped
  kNoFace,          // no face detected: skipped
  kSeveralFaces,    // several faces detected: the most prominent (largest) was used
  kSingleSample,    // an identity with one usable image: kept, for different-identity pairs
  kEmptyIdentity,   // an identity folder without any usable image: dropped
  kOutsideFolders,  // an image directly in a root, not in an identity folder: ignored
};

const char* problem_kind_name(ProblemKind kind);

struct DatasetProblem {
  ProblemKind kind = ProblemKind::kUnreadable;
  std::string path;  // the file, or the identity folder for identity-level problems
  std::string message;
};

struct DatasetSummary {
  std::size_t roots = 0;
  std::size_t identity_folders = 0;
  std::size_t image_files = 0;  // in identity folders, with an image file name
  std::size_t samples = 0;      // chips in the data set
  std::size_t identities = 0;   // identities with at least one chip
  std::size_t unreadable = 0;
  std::size_t no_face = 0;
  std::size_t several_faces = 0;
  std::size_t single_sample_identities = 0;
  std::size_t empty_identities = 0;
  std::size_t ignored_files = 0;  // not images, nested folders, images outside identity folders
  std::size_t from_cache = 0;     // chips reused from the cache
  std::size_t computed = 0;       // images decoded (and detected) in this call
  // What happened to the cache, for the user: why it was rebuilt (stale key, corrupt file), or
  // that it could not be written. Empty without a cache.
  std::string cache_note;
  std::vector<DatasetProblem> problems;  // the first max_problems of each kind, in file order
  std::size_t problem_count = 0;         // all problems, including those not kept

  // A few lines for the console: the counts, the cache note, the kept problems.
  std::string text() const;
};

struct FaceDataset {
  int chip_width = 0;
  int chip_height = 0;
  std::vector<FaceIdentity> identities;  // ids 0..K-1, each with at least one sample
  std::vector<FaceSample> samples;       // grouped by identity, in file order
  DatasetSummary summary;

  // samples[i].identity for every i: what the pair sampler needs.
  std::vector<int> sample_identities() const;
};

// Throws fu::Error "cannot load training data (<root>): <reason>" for no roots, a root that is not
// a folder, is given twice, has no identity folders or gives no usable image, and
// "cannot load training data (<mode> mode): <reason>" for a template or detector that cannot make
// chips (photos mode without a detector, template indices the detector does not have, fewer than
// 2 points, a bad size).
FaceDataset load_face_dataset(const std::vector<std::string>& roots,
                              const FaceDatasetOptions& options);

}  // namespace fu::train
