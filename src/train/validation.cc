#include "train/validation.h"

#include <chrono>
#include <map>

#include "train/embed_images.h"
#include "train/metrics.h"
#include "train/pair_scores.h"
#include "unlock/similarity.h"

namespace fu::train {

ValidationSet load_validation_set(const std::string& pairs_file, const std::string& data_root) {
  ValidationSet set;
  set.pairs = read_lfw_pairs(pairs_file, data_root);
  std::map<std::string, int> index;
  std::map<std::string, int> identities;
  auto add = [&](const std::string& path, const std::string& name) {
    auto [it, fresh] = index.emplace(path, static_cast<int>(set.paths.size()));
    if (fresh) {
      set.paths.push_back(path);
      auto id = identities.emplace(name, static_cast<int>(identities.size())).first;
      set.identity.push_back(id->second);
    }
    return it->second;
  };
  for (const LfwPair& p : set.pairs) {
    set.pair_a.push_back(add(p.path_a, p.name_a));
    set.pair_b.push_back(add(p.path_b, p.name_b));
  }
  return set;
}

ValidationResult validate(const ValidationSet& set, std::shared_ptr<const nn::Model> detector,
                          std::shared_ptr<const nn::Model> embedder, int jobs) {
  const auto start = std::chrono::steady_clock::now();
  EmbedImagesOptions options;
  options.jobs = jobs;
  options.choice = face::FaceChoice::kNearestCentre;  // benchmark photos centre their subject
  const std::vector<EmbeddedImage> embedded =
      embed_images(set.paths, std::move(detector), std::move(embedder), options);
  ValidationResult r;
  r.photos = embedded.size();
  std::vector<ScoredPair> scored;
  int folds = 1;
  for (std::size_t i = 0; i < set.pairs.size(); ++i) {
    const EmbeddedImage& a = embedded[set.pair_a[i]];
    const EmbeddedImage& b = embedded[set.pair_b[i]];
    if (a.embedding.empty() || b.embedding.empty()) continue;
    scored.push_back({unlock::cosine_similarity(a.embedding, b.embedding), set.pairs[i].same,
                      set.pairs[i].fold});
    folds = std::max(folds, set.pairs[i].fold + 1);
  }
  std::vector<float> rows;
  std::vector<int> labels;
  std::size_t dimension = 0;
  for (std::size_t i = 0; i < embedded.size(); ++i) {
    if (embedded[i].embedding.empty()) {
      ++r.unreadable;
      continue;
    }
    if (embedded[i].fallback) ++r.fallbacks;
    dimension = embedded[i].embedding.size();
    rows.insert(rows.end(), embedded[i].embedding.begin(), embedded[i].embedding.end());
    labels.push_back(set.identity[i]);
  }
  if (!scored.empty()) {
    const ThresholdChoice best = best_accuracy_threshold(scored);
    r.threshold = best.threshold;
    r.accuracy = folds > 1 ? k_fold_accuracy(scored).mean : best.accuracy;
  }
  if (!labels.empty()) {
    const ScoreHistogram histogram =
        score_all_pairs_histogram({rows.data(), labels.size(), dimension, &labels}, jobs);
    if (histogram.same_pairs() > 0 && histogram.different_pairs() > 0) {
      const TarAtFar t = tar_at_far(histogram.roc(), 1e-3);
      r.tar_measurable = t.measurable;
      r.tar_at_far_1e3 = t.tar;
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace fu::train
