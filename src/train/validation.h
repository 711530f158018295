// Validation during training: the model as it would ship, through the unlock path's own
// pipeline (detect, refine, align, embed with mirror averaging), on labelled pairs of photos
// that the training never sees (e.g. LFW View 1's pairsDevTest.txt; never View 2).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/model.h"
#include "train/lfw_pairs.h"

namespace fu::train {

struct ValidationSet {
  std::vector<LfwPair> pairs;
  std::vector<std::string> paths;  // every photo the pairs name, once
  std::vector<int> identity;       // per path, for all-pairs scoring
  std::vector<int> pair_a;         // per pair: index into paths
  std::vector<int> pair_b;
};

// Throws fu::Error for an unreadable pairs file (see read_lfw_pairs).
ValidationSet load_validation_set(const std::string& pairs_file, const std::string& data_root);

struct ValidationResult {
  double accuracy = 0.0;   // of the pairs, at the threshold that decides them best (k-fold
                           // cross-validated when the file has folds)
  float threshold = 0.0f;  // that threshold (on all pairs)
  // TAR at FAR 1e-3 over all same- and different-identity pairs of the photos.
  bool tar_measurable = false;
  double tar_at_far_1e3 = 0.0;
  std::size_t photos = 0;
  std::size_t unreadable = 0;  // photos that could not be read (their pairs are left out)
  std::size_t fallbacks = 0;   // photos without a detected face (embedded from the mean position)
  double seconds = 0.0;
};

ValidationResult validate(const ValidationSet& set, std::shared_ptr<const nn::Model> detector,
                          std::shared_ptr<const nn::Model> embedder, int jobs);

}  // namespace fu::train
