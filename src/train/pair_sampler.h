// Pairs of samples for the contrastive loss: balanced same/different, seeded, resumable, with
// optional hard-negative mining.
//
// Labels follow DESIGN.md: y = 0 for the same person, y = 1 for different people.
//
// Draws (all from one std::mt19937_64 through train/random.h, so a seed gives the same pairs on
// every platform):
// - same pair (probability same_fraction): an anchor uniform over the samples of identities
//   with two or more samples, its partner uniform over the anchor's other samples. Every photo
//   is an anchor equally often, whatever the size of its identity.
// - different pair: an anchor uniform over all samples; its partner uniform over the samples of
//   all other identities (exactly, in O(1): samples are indexed by identity, so "all others" is
//   two contiguous ranges).
// - hard different pair (probability hard_fraction among different pairs, only after
//   set_embeddings): for the random anchor, `candidates` random samples of other identities are
//   drawn, and the partner is uniform among the `k` of them most similar to the anchor (cosine).
//   Cost per hard pair: O(candidates x dimension) for the similarities plus
//   O(candidates log candidates) to sort; candidates = 0 mines among all N samples instead,
//   exact but O(N x dimension) per pair (O(N^2 x dimension) for an epoch of N pairs). Mining
//   among a random subset keeps an epoch at O(N x candidates x dimension): measured, 2,000 mined
//   pairs with 256 candidates among 10,000 128-d embeddings take 0.07-0.09 s on the 2-core
//   development machine (PairSamplerTest.MiningCostIsPerCandidateNotPerSample).
//   Embeddings go stale as the network learns: refresh them (e.g. once an epoch).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "train/random.h"

namespace fu::train {

struct SamplePair {
  int a = 0;  // sample indices
  int b = 0;
  bool same = false;
  bool hard = false;  // mined (a hard different pair)
  // The contrastive loss's y: 0 same person, 1 different.
  int label() const { return same ? 0 : 1; }
};

struct PairSamplerOptions {
  std::uint64_t seed = 1;
  double same_fraction = 0.5;  // in [0, 1]
  double hard_fraction = 0.0;  // in [0, 1]: share of different pairs that are mined
  int hard_k = 5;              // >= 1: the partner is one of the k most similar candidates
  int hard_candidates = 256;   // >= 0: candidates per anchor; 0 = all other-identity samples
};

// Everything the sequence depends on besides the options, the identities and the embeddings:
// save it with a checkpoint, restore it on resume, and the sampler continues with the pair it
// would have drawn next.
struct PairSamplerState {
  std::string rng;  // rng_state_text()
  std::uint64_t pairs = 0;
  std::uint64_t same_pairs = 0;
  std::uint64_t hard_pairs = 0;
};

class PairSampler {
 public:
  // `identities[i]` is sample i's identity, ids 0..K-1 (FaceDataset::sample_identities()).
  // Throws fu::Error "cannot sample pairs (<what>): <reason>" for bad options, a negative id, no
  // identity with two samples while same_fraction > 0, or fewer than two identities while
  // same_fraction < 1.
  PairSampler(std::vector<int> identities, const PairSamplerOptions& options);

  SamplePair next();
  std::vector<SamplePair> next_batch(std::size_t count);

  // One embedding per sample, in sample order, all of one dimension (need not be unit length:
  // cosines are computed). Throws fu::Error for a wrong count, mixed dimensions, an empty or
  // zero-length or non-finite vector. Until this is called, hard_fraction has no effect.
  void set_embeddings(const std::vector<std::vector<float>>& embeddings);
  void clear_embeddings();
  bool has_embeddings() const { return dimension_ > 0; }

  PairSamplerState state() const;
  // Throws fu::Error for a state whose rng text is not an engine state (the sampler is then
  // unchanged).
  void restore(const PairSamplerState& state);

  const PairSamplerOptions& options() const { return options_; }
  std::size_t sample_count() const { return identities_.size(); }
  std::size_t identity_count() const { return populated_; }  // identities with a sample

 private:
  struct Range {
    std::size_t begin = 0;  // into order_
    std::size_t end = 0;
  };

  int other_identity_sample(int anchor);
  int hard_negative(int anchor);
  float cosine(int i, int j) const;

  PairSamplerOptions options_;
  std::vector<int> identities_;
  std::vector<int> order_;          // sample indices grouped by identity
  std::vector<std::size_t> where_;  // where_[sample] = its position in order_
  std::vector<Range> ranges_;       // per identity, its samples' positions in order_
  std::vector<int> same_pool_;      // samples of identities with >= 2 samples
  std::size_t populated_ = 0;       // identities with at least one sample
  Rng rng_;
  std::uint64_t pairs_ = 0;
  std::uint64_t same_pairs_ = 0;
  std::uint64_t hard_pairs_ = 0;
  std::size_t dimension_ = 0;
  std::vector<float> unit_;                    // sample-major unit-length embeddings
  std::vector<int> candidates_;                // scratch for hard_negative
  std::vector<std::pair<float, int>> scored_;  // scratch for hard_negative
};

}  // namespace fu::train
