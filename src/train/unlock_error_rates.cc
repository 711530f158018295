#include "train/unlock_error_rates.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <string>
#include <thread>

#include "base/error.h"
#include "unlock/fusion.h"
#include "unlock/gallery.h"
#include "unlock/similarity.h"

namespace fu::train {

namespace {

void check_inputs(const std::vector<std::vector<float>>& embeddings, const std::vector<int>& labels,
                  const std::vector<float>& thresholds) {
  if (labels.size() != embeddings.size()) {
    throw Error("cannot measure error rates (" + std::to_string(embeddings.size()) +
                " embeddings): " + std::to_string(labels.size()) +
                " labels given, one per embedding needed");
  }
  for (std::size_t i = 1; i < embeddings.size(); ++i) {
    if (embeddings[i].size() != embeddings[0].size()) {
      throw Error("cannot measure error rates (embedding " + std::to_string(i) +
                  "): " + std::to_string(embeddings[i].size()) + " values, the first has " +
                  std::to_string(embeddings[0].size()));
    }
  }
  for (const float t : thresholds) {
    if (!std::isfinite(t)) {
      throw Error("cannot measure error rates (threshold " + std::to_string(t) +
                  "): thresholds must be finite");
    }
  }
}

// Work items i = part, part + parts, ... on `threads` threads (1 = the calling thread only).
template <typename Work>
void run_parts(int threads, Work&& work) {
  const int parts = std::max(1, threads);
  std::vector<std::thread> pool;
  for (int part = 1; part < parts; ++part) pool.emplace_back(work, part, parts);
  work(0, parts);
  for (std::thread& t : pool) t.join();
}

double log_choose(int n, int k) {
  return std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0);
}

}  // namespace

double rate_upper_bound(const ErrorCount& count, double alpha) {
  if (!(alpha > 0.0 && alpha < 1.0)) {
    throw Error("cannot bound rate (alpha " + std::to_string(alpha) + "): needs 0 < alpha < 1");
  }
  const std::uint64_t n = count.trials, k = std::min(count.errors, count.trials);
  if (n == 0 || k == n) return 1.0;
  // P(Binomial(n, p) <= k), term by term in log space (the terms underflow one by one, never
  // the sum that matters); it falls as p grows, so bisection finds where it crosses alpha.
  const double log_n_fact = std::lgamma(static_cast<double>(n) + 1.0);
  auto cdf = [&](double p) {
    double sum = 0.0;
    const double lp = std::log(p), lq = std::log1p(-p);
    for (std::uint64_t i = 0; i <= k; ++i) {
      const double di = static_cast<double>(i);
      sum += std::exp(log_n_fact - std::lgamma(di + 1.0) -
                      std::lgamma(static_cast<double>(n - i) + 1.0) + di * lp +
                      static_cast<double>(n - i) * lq);
    }
    return sum;
  };
  double low = static_cast<double>(k) / n, high = 1.0;
  for (int step = 0; step < 60; ++step) {
    const double mid = 0.5 * (low + high);
    (cdf(mid) > alpha ? low : high) = mid;
  }
  return high;
}

double fraction_of_windows_with(int photos, int accepted, int window, int low, int high) {
  if (window <= 0 || photos < window) return 0.0;
  accepted = std::clamp(accepted, 0, photos);
  const double all = log_choose(photos, window);
  double sum = 0.0;
  for (int j = std::max(low, 0); j <= std::min({high, accepted, window}); ++j) {
    if (window - j > photos - accepted) continue;  // not enough rejecting photos to fill it
    sum += std::exp(log_choose(accepted, j) + log_choose(photos - accepted, window - j) - all);
  }
  return std::clamp(sum, 0.0, 1.0);
}

double fraction_of_windows_accepted(int photos, int accepted, int window, int required) {
  return fraction_of_windows_with(photos, accepted, window, required, window);
}

std::vector<PairRates> all_pairs_rates(const std::vector<std::vector<float>>& embeddings,
                                       const std::vector<int>& labels,
                                       const std::vector<float>& thresholds, int threads) {
  check_inputs(embeddings, labels, thresholds);
  std::vector<std::vector<float>> unit;
  unit.reserve(embeddings.size());
  for (const std::vector<float>& e : embeddings) unit.push_back(unlock::l2_normalized(e));
  const std::size_t n = unit.size();
  const std::size_t dimension = n ? unit[0].size() : 0;
  const std::size_t levels = thresholds.size();
  std::vector<std::vector<PairRates>> partial(std::max(1, threads), std::vector<PairRates>(levels));
  run_parts(threads, [&](int part, int parts) {
    std::vector<PairRates>& counts = partial[part];
    for (std::size_t i = part; i < n; i += parts) {
      for (std::size_t j = i + 1; j < n; ++j) {
        // What Gallery::verify computes for a one-template user.
        const float score =
            std::clamp(unlock::dot_product(unit[i].data(), unit[j].data(), dimension), -1.0f, 1.0f);
        const bool same = labels[i] == labels[j];
        for (std::size_t l = 0; l < levels; ++l) {
          const bool accepted = score >= thresholds[l];
          ErrorCount& c = same ? counts[l].false_rejects : counts[l].false_accepts;
          ++c.trials;
          c.errors += same != accepted ? 1 : 0;
        }
      }
    }
  });
  std::vector<PairRates> rates(levels);
  for (std::size_t l = 0; l < levels; ++l) {
    rates[l].threshold = thresholds[l];
    for (const std::vector<PairRates>& p : partial) {
      rates[l].false_accepts.errors += p[l].false_accepts.errors;
      rates[l].false_accepts.trials += p[l].false_accepts.trials;
      rates[l].false_rejects.errors += p[l].false_rejects.errors;
      rates[l].false_rejects.trials += p[l].false_rejects.trials;
    }
  }
  return rates;
}

EnrolledReport enrolled_rates(const std::vector<std::vector<float>>& embeddings,
                              const std::vector<int>& labels, const std::vector<float>& thresholds,
                              const EnrollmentProtocol& protocol, int threads) {
  check_inputs(embeddings, labels, thresholds);
  const EnrollmentProtocol& p = protocol;
  if (!(p.window >= 1 && p.window <= unlock::kMaxFusionWindow && p.required >= 1 &&
        p.required <= p.window && p.templates >= 1 &&
        static_cast<std::size_t>(p.templates) <= unlock::kMaxTemplatesPerUser)) {
    throw Error(
        "cannot measure error rates (" + std::to_string(p.templates) + " templates, " +
        std::to_string(p.required) + " of " + std::to_string(p.window) +
        " frames): needs 1 <= templates <= " + std::to_string(unlock::kMaxTemplatesPerUser) +
        " and 1 <= required <= window <= " + std::to_string(unlock::kMaxFusionWindow));
  }
  // Photos per identity, in the given order.
  std::map<int, std::vector<std::size_t>> by_identity;
  for (std::size_t i = 0; i < labels.size(); ++i) by_identity[labels[i]].push_back(i);
  std::vector<int> users;
  std::vector<int> sequence_sources;  // identities that can make an impostor attempt
  for (const auto& [label, photos] : by_identity) {
    const int count = static_cast<int>(photos.size());
    if (count >= p.templates + p.window) users.push_back(label);
    if (count >= p.window) sequence_sources.push_back(label);
  }
  if (users.empty()) {
    throw Error("cannot measure error rates (" + std::to_string(by_identity.size()) +
                " identities): none has the " + std::to_string(p.templates + p.window) +
                " photos an enrolled user needs (" + std::to_string(p.templates) +
                " templates + a sequence of " + std::to_string(p.window) + ")");
  }
  const std::size_t levels = thresholds.size();
  struct Partial {
    std::vector<EnrolledRates> levels;
    std::vector<double> fused_accept_impostor;  // sums of per-attempt acceptance
    std::vector<double> fused_reject_genuine;
    std::uint64_t impostor_attempts = 0;
  };
  std::vector<Partial> partial(std::max(1, threads));
  for (Partial& part : partial) {
    part.levels.resize(levels);
    part.fused_accept_impostor.assign(levels, 0.0);
    part.fused_reject_genuine.assign(levels, 0.0);
  }
  run_parts(threads, [&](int part_index, int parts) {
    Partial& out = partial[part_index];
    for (std::size_t u = part_index; u < users.size(); u += parts) {
      const int user = users[u];
      const std::vector<std::size_t>& own = by_identity.at(user);
      unlock::Gallery gallery;
      const std::string name = "user " + std::to_string(user);
      for (int t = 0; t < p.templates; ++t) gallery.enroll(name, embeddings[own[t]]);
      // Accepting frames per level and identity; the user's own count covers only the photos
      // that were not enrolled.
      std::map<int, std::vector<int>> accepted;
      for (const auto& [label, photos] : by_identity) {
        std::vector<int>& counts = accepted[label];
        counts.assign(levels, 0);
        const std::size_t first = label == user ? static_cast<std::size_t>(p.templates) : 0;
        for (std::size_t k = first; k < photos.size(); ++k) {
          const float score = gallery.verify(name, embeddings[photos[k]], 0.0f).score;
          for (std::size_t l = 0; l < levels; ++l) {
            const bool ok = score >= thresholds[l];
            counts[l] += ok ? 1 : 0;
            ErrorCount& c = label == user ? out.levels[l].frame_false_rejects
                                          : out.levels[l].frame_false_accepts;
            ++c.trials;
            c.errors += (label == user) != ok ? 1 : 0;
          }
        }
      }
      const int genuine_photos = static_cast<int>(own.size()) - p.templates;
      for (std::size_t l = 0; l < levels; ++l) {
        // The lower tail summed directly: 1 - (upper tail) leaves rounding noise like 1e-17
        // where no sequence is rejected.
        out.fused_reject_genuine[l] += fraction_of_windows_with(
            genuine_photos, accepted.at(user)[l], p.window, 0, p.required - 1);
      }
      for (const int source : sequence_sources) {
        if (source == user) continue;
        ++out.impostor_attempts;
        const int photos = static_cast<int>(by_identity.at(source).size());
        for (std::size_t l = 0; l < levels; ++l) {
          out.fused_accept_impostor[l] +=
              fraction_of_windows_accepted(photos, accepted.at(source)[l], p.window, p.required);
        }
      }
    }
  });
  EnrolledReport report;
  report.protocol = p;
  report.users = users.size();
  report.genuine_attempts = users.size();
  report.levels.resize(levels);
  std::vector<double> accept_sum(levels, 0.0), reject_sum(levels, 0.0);
  for (const Partial& part : partial) {
    report.impostor_attempts += part.impostor_attempts;
    for (std::size_t l = 0; l < levels; ++l) {
      EnrolledRates& r = report.levels[l];
      r.frame_false_accepts.errors += part.levels[l].frame_false_accepts.errors;
      r.frame_false_accepts.trials += part.levels[l].frame_false_accepts.trials;
      r.frame_false_rejects.errors += part.levels[l].frame_false_rejects.errors;
      r.frame_false_rejects.trials += part.levels[l].frame_false_rejects.trials;
      accept_sum[l] += part.fused_accept_impostor[l];
      reject_sum[l] += part.fused_reject_genuine[l];
    }
  }
  for (std::size_t l = 0; l < levels; ++l) {
    EnrolledRates& r = report.levels[l];
    r.threshold = thresholds[l];
    r.fused_far = report.impostor_attempts ? accept_sum[l] / report.impostor_attempts : 0.0;
    r.fused_frr = reject_sum[l] / static_cast<double>(report.genuine_attempts);
  }
  return report;
}

}  // namespace fu::train
