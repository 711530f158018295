#include "train/pair_sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "base/error.h"

namespace fu::train {

namespace {

[[noreturn]] void refuse(const std::string& what, const std::string& reason) {
  throw Error("cannot sample pairs (" + what + "): " + reason);
}

std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

}  // namespace

PairSampler::PairSampler(std::vector<int> identities, const PairSamplerOptions& options)
    : options_(options), identities_(std::move(identities)), rng_(options.seed) {
  const PairSamplerOptions& o = options_;
  if (!(o.same_fraction >= 0.0 && o.same_fraction <= 1.0)) {
    refuse("same fraction " + number_text(o.same_fraction), "must be in [0, 1]");
  }
  if (!(o.hard_fraction >= 0.0 && o.hard_fraction <= 1.0)) {
    refuse("hard fraction " + number_text(o.hard_fraction), "must be in [0, 1]");
  }
  if (o.hard_k < 1) refuse("hard k " + std::to_string(o.hard_k), "must be at least 1");
  if (o.hard_candidates < 0) {
    refuse("hard candidates " + std::to_string(o.hard_candidates), "must be 0 (all) or more");
  }
  if (identities_.empty()) refuse("no samples", "the data set is empty");

  int max_id = -1;
  for (std::size_t i = 0; i < identities_.size(); ++i) {
    if (identities_[i] < 0) {
      refuse("sample " + std::to_string(i), "negative identity " + std::to_string(identities_[i]));
    }
    max_id = std::max(max_id, identities_[i]);
  }
  // Counting sort by identity: order_ lists samples identity by identity, in sample order.
  std::vector<std::size_t> counts(static_cast<std::size_t>(max_id) + 1, 0);
  for (int id : identities_) ++counts[id];
  ranges_.resize(counts.size());
  std::size_t position = 0;
  for (std::size_t id = 0; id < counts.size(); ++id) {
    ranges_[id] = Range{position, position};
    position += counts[id];
    if (counts[id] > 0) ++populated_;
  }
  order_.resize(identities_.size());
  where_.resize(identities_.size());
  for (std::size_t i = 0; i < identities_.size(); ++i) {
    Range& r = ranges_[identities_[i]];
    where_[i] = r.end;
    order_[r.end++] = static_cast<int>(i);
  }
  for (std::size_t i = 0; i < identities_.size(); ++i) {
    if (counts[identities_[i]] >= 2) same_pool_.push_back(static_cast<int>(i));
  }
  const std::string what = std::to_string(populated_) + " identities, " +
                           std::to_string(identities_.size()) + " samples";
  if (o.same_fraction > 0.0 && same_pool_.empty()) {
    refuse(what, "no identity has two samples, so there is no same-identity pair");
  }
  if (o.same_fraction < 1.0 && populated_ < 2) {
    refuse(what, "different-identity pairs need at least two identities");
  }
}

int PairSampler::other_identity_sample(int anchor) {
  const Range& r = ranges_[identities_[anchor]];
  const std::size_t own = r.end - r.begin;
  std::size_t position = uniform_below(rng_, order_.size() - own);
  if (position >= r.begin) position += own;
  return order_[position];
}

float PairSampler::cosine(int i, int j) const {
  const float* a = unit_.data() + static_cast<std::size_t>(i) * dimension_;
  const float* b = unit_.data() + static_cast<std::size_t>(j) * dimension_;
  // Four running sums: the compiler may not reorder a float sum itself, and one chain of
  // dependent adds would leave most of the core idle.
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  std::size_t k = 0;
  for (; k + 4 <= dimension_; k += 4) {
    s0 += a[k] * b[k];
    s1 += a[k + 1] * b[k + 1];
    s2 += a[k + 2] * b[k + 2];
    s3 += a[k + 3] * b[k + 3];
  }
  for (; k < dimension_; ++k) s0 += a[k] * b[k];
  return (s0 + s1) + (s2 + s3);
}

int PairSampler::hard_negative(int anchor) {
  const Range& r = ranges_[identities_[anchor]];
  const std::size_t others = order_.size() - (r.end - r.begin);
  candidates_.clear();
  const std::size_t wanted = static_cast<std::size_t>(options_.hard_candidates);
  if (wanted == 0 || wanted >= others) {
    for (std::size_t p = 0; p < order_.size(); ++p) {
      if (p < r.begin || p >= r.end) candidates_.push_back(order_[p]);
    }
  } else {
    // With replacement, then duplicates dropped: cheaper than a draw without replacement, and a
    // duplicate must not take two of the k places.
    for (std::size_t c = 0; c < wanted; ++c) candidates_.push_back(other_identity_sample(anchor));
    std::sort(candidates_.begin(), candidates_.end());
    candidates_.erase(std::unique(candidates_.begin(), candidates_.end()), candidates_.end());
  }
  scored_.clear();
  for (int c : candidates_) scored_.emplace_back(cosine(anchor, c), c);
  const std::size_t k = std::min<std::size_t>(options_.hard_k, scored_.size());
  // Ties broken by index make the order total, so the choice is the same with any library's
  // partial_sort.
  std::partial_sort(scored_.begin(), scored_.begin() + k, scored_.end(),
                    [](const std::pair<float, int>& x, const std::pair<float, int>& y) {
                      return x.first > y.first || (x.first == y.first && x.second < y.second);
                    });
  return scored_[uniform_below(rng_, k)].second;
}

SamplePair PairSampler::next() {
  SamplePair pair;
  // The coin is always thrown, so same_fraction 0 or 1 keeps the draws aligned with other runs.
  pair.same = chance(rng_, options_.same_fraction) && !same_pool_.empty();
  if (pair.same) {
    pair.a = same_pool_[uniform_below(rng_, same_pool_.size())];
    const Range& r = ranges_[identities_[pair.a]];
    std::size_t position = r.begin + uniform_below(rng_, r.end - r.begin - 1);
    if (position >= where_[pair.a]) ++position;
    pair.b = order_[position];
    ++same_pairs_;
  } else {
    pair.hard = has_embeddings() && chance(rng_, options_.hard_fraction);
    pair.a = static_cast<int>(uniform_below(rng_, identities_.size()));
    pair.b = pair.hard ? hard_negative(pair.a) : other_identity_sample(pair.a);
    if (pair.hard) ++hard_pairs_;
  }
  ++pairs_;
  return pair;
}

std::vector<SamplePair> PairSampler::next_batch(std::size_t count) {
  std::vector<SamplePair> pairs;
  pairs.reserve(count);
  for (std::size_t i = 0; i < count; ++i) pairs.push_back(next());
  return pairs;
}

void PairSampler::set_embeddings(const std::vector<std::vector<float>>& embeddings) {
  const std::string what = std::to_string(embeddings.size()) + " embeddings";
  if (embeddings.size() != identities_.size()) {
    refuse(what, "expected one per sample, " + std::to_string(identities_.size()));
  }
  const std::size_t dimension = embeddings[0].size();
  if (dimension == 0) refuse(what, "embedding 0 is empty");
  std::vector<float> unit(embeddings.size() * dimension);
  for (std::size_t i = 0; i < embeddings.size(); ++i) {
    const std::vector<float>& e = embeddings[i];
    if (e.size() != dimension) {
      refuse(what, "embedding " + std::to_string(i) + " has " + std::to_string(e.size()) +
                       " values, embedding 0 has " + std::to_string(dimension));
    }
    double norm = 0.0;
    for (float v : e) norm += static_cast<double>(v) * v;
    norm = std::sqrt(norm);
    if (!std::isfinite(norm) || norm == 0.0) {
      refuse(what, "embedding " + std::to_string(i) + " has length " + number_text(norm) +
                       " (needs a finite, non-zero length)");
    }
    for (std::size_t k = 0; k < dimension; ++k) {
      unit[i * dimension + k] = static_cast<float>(e[k] / norm);
    }
  }
  unit_ = std::move(unit);
  dimension_ = dimension;
}

void PairSampler::clear_embeddings() {
  unit_.clear();
  dimension_ = 0;
}

PairSamplerState PairSampler::state() const {
  return PairSamplerState{rng_state_text(rng_), pairs_, same_pairs_, hard_pairs_};
}

void PairSampler::restore(const PairSamplerState& state) {
  Rng rng;
  restore_rng_state(rng, state.rng);
  rng_ = rng;
  pairs_ = state.pairs;
  same_pairs_ = state.same_pairs;
  hard_pairs_ = state.hard_pairs;
}

}  // namespace fu::train
