// Scoring every pair of a labelled set of embeddings, for TAR at low FAR over "all same-identity
// and all different-identity pairs" (about 87 million pairs for LFW's 13,233 images).
//
// Storing 87 million scores would take a gigabyte, so the scores go into a histogram instead:
// 2^16 bins over [-1, 1], bin width 2^-15 (about 3.1e-5). A score s falls into bin
// floor(s * 2^15) + 2^15, computed exactly in float, so "score >= lower edge of bin b" holds for
// exactly the pairs in bins >= b: the histogram's ROC is exact at every bin edge. What it loses
// is thresholds inside a bin, so its TAR at a FAR can be lower than the exact one by at most the
// same-identity pairs that share the bin where the exact threshold lies. Scores outside [-1, 1]
// (rounding of unit vectors) are counted in the first or last bin.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "train/metrics.h"

namespace fu::train {

class ScoreHistogram {
 public:
  static constexpr int kBins = 1 << 16;

  ScoreHistogram() : same_(kBins, 0), different_(kBins, 0) {}

  static int bin_of(float score) {
    if (!(score > -1.0f)) return 0;  // also NaN, so a bad score cannot index outside
    if (score >= 1.0f) return kBins - 1;
    return static_cast<int>(std::floor(score * (kBins / 2))) + kBins / 2;
  }
  // Exact in float: a multiple of 2^-15.
  static float lower_edge(int bin) {
    return static_cast<float>(bin - kBins / 2) / static_cast<float>(kBins / 2);
  }

  void add(float score, bool same) { ++(same ? same_ : different_)[bin_of(score)]; }
  void merge(const ScoreHistogram& other);

  std::uint64_t same_pairs() const;
  std::uint64_t different_pairs() const;
  const std::vector<std::uint64_t>& same() const { return same_; }
  const std::vector<std::uint64_t>& different() const { return different_; }

  // One operating point per non-empty bin, at threshold = the bin's lower edge (and the
  // accept-nothing point at +infinity first), so tar_at_far() and friends work on it.
  RocCurve roc() const;

 private:
  std::vector<std::uint64_t> same_;
  std::vector<std::uint64_t> different_;
};

// Row-major embeddings: `count` rows of `dimension` floats, each row L2-normalised by the caller;
// `labels[i]` is row i's identity.
struct LabeledEmbeddings {
  const float* data = nullptr;
  std::size_t count = 0;
  std::size_t dimension = 0;
  const std::vector<int>* labels = nullptr;
};

// Every unordered pair i < j scored (dot product) into a histogram, split over `threads` threads
// (1 = the calling thread only). Throws fu::Error when the labels do not match the rows.
ScoreHistogram score_all_pairs_histogram(const LabeledEmbeddings& set, int threads = 1);

// Every unordered pair i < j with its score, for sets small enough to hold all pairs (it refuses
// more than 50 million), in row-major order (0,1), (0,2) ... (1,2) ...; the scores are
// bit-identical to the histogram's. `fold` is 0.
std::vector<ScoredPair> score_all_pairs(const LabeledEmbeddings& set);

}  // namespace fu::train
