#include "train/pair_scores.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <thread>

#include "base/error.h"

namespace fu::train {

namespace {

// GCC/Clang vector extension: SSE2 natively, the same code the project's own kernels use.
typedef float f32x4 __attribute__((vector_size(16)));

// The micro-kernel computes 4 rows x 8 columns of the score matrix with its 8 accumulators in
// registers; a column block of packed embeddings (512 x 128 floats = 256 KiB at 128-d) stays in
// the L2 cache while every row block streams past it.
constexpr std::size_t kRowTile = 4;
constexpr std::size_t kColTile = 8;
constexpr std::size_t kColBlock = 512;
constexpr std::size_t kMaxExactPairs = 50000000;

class PairScorer {
 public:
  explicit PairScorer(const LabeledEmbeddings& set) : n_(set.count), d_(set.dimension) {
    if (set.labels == nullptr || set.labels->size() != set.count ||
        (set.count > 0 && set.data == nullptr) || set.dimension == 0) {
      throw Error("cannot score pairs (" + std::to_string(set.count) +
                  " embeddings): needs data, a dimension and one label per embedding");
    }
    // Rows padded with zeros to whole tiles, so the kernel never needs an edge case.
    padded_ = (n_ + kColTile - 1) / kColTile * kColTile;
    rows_.assign(padded_ * d_, 0.0f);
    std::copy(set.data, set.data + n_ * d_, rows_.begin());
    // Columns packed tile by tile: for each group of 8 embeddings, dimension x 8 floats, so the
    // kernel reads them sequentially.
    packed_.assign(padded_ * d_, 0.0f);
    for (std::size_t j = 0; j < padded_; ++j) {
      float* tile = &packed_[(j / kColTile) * d_ * kColTile];
      for (std::size_t k = 0; k < d_; ++k) tile[k * kColTile + j % kColTile] = rows_[j * d_ + k];
    }
  }

  // Calls visit(i, j_begin, j_end, scores) for row segments that together cover every pair
  // i < j exactly once; scores[j - j_begin] is the score of (i, j). Rows whose block index is
  // `part` modulo `parts` only, so threads can share the work.
  template <typename Visit>
  void for_each_segment(std::size_t part, std::size_t parts, Visit&& visit) const {
    float scores[kRowTile][kColBlock];
    const std::size_t row_blocks = (n_ + kRowTile - 1) / kRowTile;
    for (std::size_t j0 = 0; j0 < padded_; j0 += kColBlock) {
      const std::size_t j1 = std::min(j0 + kColBlock, padded_);
      for (std::size_t rb = part; rb < row_blocks; rb += parts) {
        const std::size_t i0 = rb * kRowTile;
        if (i0 + 1 >= j1) break;  // this block and every later one lie on or below the diagonal
        // Column tiles entirely at or left of the diagonal are skipped.
        const std::size_t first_tile = std::max(j0, (i0 + 1) / kColTile * kColTile);
        for (std::size_t jt = first_tile; jt < j1; jt += kColTile) {
          kernel_4x8(i0, jt, &scores[0][jt - j0]);
        }
        for (std::size_t r = 0; r < kRowTile && i0 + r < n_; ++r) {
          const std::size_t i = i0 + r;
          const std::size_t begin = std::max(j0, i + 1), end = std::min(j1, n_);
          if (begin < end) visit(i, begin, end, &scores[r][begin - j0]);
        }
      }
    }
  }

 private:
  // out[r * kColBlock + c] = dot(row i0 + r, row j0 + c) for r < 4, c < 8. Rows past the
  // last embedding are padding (i0 is a multiple of 4 below padded_, a multiple of 8).
  void kernel_4x8(std::size_t i0, std::size_t j0, float* out) const {
    const float* a0 = &rows_[i0 * d_];
    const float* a1 = &rows_[(i0 + 1) * d_];
    const float* a2 = &rows_[(i0 + 2) * d_];
    const float* a3 = &rows_[(i0 + 3) * d_];
    const float* b = &packed_[(j0 / kColTile) * d_ * kColTile];
    f32x4 c00 = {}, c01 = {}, c10 = {}, c11 = {}, c20 = {}, c21 = {}, c30 = {}, c31 = {};
    for (std::size_t k = 0; k < d_; ++k, b += kColTile) {
      f32x4 b0, b1;
      std::memcpy(&b0, b, sizeof b0);
      std::memcpy(&b1, b + 4, sizeof b1);
      c00 += a0[k] * b0;
      c01 += a0[k] * b1;
      c10 += a1[k] * b0;
      c11 += a1[k] * b1;
      c20 += a2[k] * b0;
      c21 += a2[k] * b1;
      c30 += a3[k] * b0;
      c31 += a3[k] * b1;
    }
    const f32x4 results[kRowTile][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
    for (std::size_t r = 0; r < kRowTile; ++r) {
      std::memcpy(out + r * kColBlock, &results[r][0], sizeof(f32x4));
      std::memcpy(out + r * kColBlock + 4, &results[r][1], sizeof(f32x4));
    }
  }

  std::size_t n_;
  std::size_t d_;
  std::size_t padded_ = 0;
  std::vector<float> rows_;
  std::vector<float> packed_;
};

}  // namespace

void ScoreHistogram::merge(const ScoreHistogram& other) {
  for (int b = 0; b < kBins; ++b) {
    same_[b] += other.same_[b];
    different_[b] += other.different_[b];
  }
}

std::uint64_t ScoreHistogram::same_pairs() const {
  std::uint64_t total = 0;
  for (std::uint64_t c : same_) total += c;
  return total;
}

std::uint64_t ScoreHistogram::different_pairs() const {
  std::uint64_t total = 0;
  for (std::uint64_t c : different_) total += c;
  return total;
}

RocCurve ScoreHistogram::roc() const {
  RocCurve roc;
  roc.same_pairs = same_pairs();
  roc.different_pairs = different_pairs();
  RocPoint point;
  point.threshold = std::numeric_limits<float>::infinity();
  roc.points.push_back(point);
  for (int b = kBins - 1; b >= 0; --b) {
    if (same_[b] == 0 && different_[b] == 0) continue;
    point.true_accepts += same_[b];
    point.false_accepts += different_[b];
    point.threshold = lower_edge(b);
    point.tar = roc.same_pairs ? static_cast<double>(point.true_accepts) / roc.same_pairs : 0.0;
    point.far =
        roc.different_pairs ? static_cast<double>(point.false_accepts) / roc.different_pairs : 0.0;
    roc.points.push_back(point);
  }
  return roc;
}

ScoreHistogram score_all_pairs_histogram(const LabeledEmbeddings& set, int threads) {
  const PairScorer scorer(set);
  const std::vector<int>& labels = *set.labels;
  const std::size_t parts = static_cast<std::size_t>(std::max(1, threads));
  std::vector<ScoreHistogram> histograms(parts);
  auto work = [&](std::size_t part) {
    ScoreHistogram& h = histograms[part];
    scorer.for_each_segment(
        part, parts, [&](std::size_t i, std::size_t begin, std::size_t end, const float* scores) {
          const int label = labels[i];
          for (std::size_t j = begin; j < end; ++j) {
            h.add(scores[j - begin], labels[j] == label);
          }
        });
  };
  std::vector<std::thread> pool;
  for (std::size_t part = 1; part < parts; ++part) pool.emplace_back(work, part);
  work(0);
  for (std::thread& t : pool) t.join();
  for (std::size_t part = 1; part < parts; ++part) histograms[0].merge(histograms[part]);
  return std::move(histograms[0]);
}

std::vector<ScoredPair> score_all_pairs(const LabeledEmbeddings& set) {
  const std::size_t n = set.count;
  if (n > 0 && (n - 1) > 2 * kMaxExactPairs / n) {
    throw Error("cannot score pairs (" + std::to_string(n) + " embeddings): more than " +
                std::to_string(kMaxExactPairs) + " pairs; use score_all_pairs_histogram");
  }
  const PairScorer scorer(set);
  const std::vector<int>& labels = *set.labels;
  // Row-major order (0,1), (0,2) ... (1,2) ..., whatever order the blocks are scored in.
  std::vector<ScoredPair> pairs(n * (n > 0 ? n - 1 : 0) / 2);
  scorer.for_each_segment(
      0, 1, [&](std::size_t i, std::size_t begin, std::size_t end, const float* scores) {
        const std::size_t row_start = i * (n - 1) - i * (i - 1) / 2;  // pairs of rows < i
        for (std::size_t j = begin; j < end; ++j) {
          pairs[row_start + (j - i - 1)] = {scores[j - begin], labels[j] == labels[i], 0};
        }
      });
  return pairs;
}

}  // namespace fu::train
