#include "train/metrics.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>

#include "base/error.h"

namespace fu::train {

namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<ScoredPair> sorted_by_falling_score(std::vector<ScoredPair> pairs) {
  std::sort(pairs.begin(), pairs.end(),
            [](const ScoredPair& a, const ScoredPair& b) { return a.score > b.score; });
  return pairs;
}

void require_finite_scores(const std::vector<ScoredPair>& pairs, const char* verb) {
  for (const ScoredPair& p : pairs) {
    if (!std::isfinite(p.score)) {
      throw Error(std::string("cannot ") + verb + " (" + std::to_string(pairs.size()) +
                  " pairs): a score is not finite");
    }
  }
}

std::string format(const char* pattern, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, pattern, value);
  return buf;
}

std::string xml_escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// "1e-3" rather than "0.001": FAR targets are read as powers of ten.
std::string far_label(double far) {
  const double exponent = std::log10(far);
  if (std::fabs(exponent - std::round(exponent)) < 1e-9) {
    return exponent == 0 ? "1" : "1e" + std::to_string(static_cast<int>(std::round(exponent)));
  }
  return format("%.2g", far);
}

}  // namespace

double accuracy_at_threshold(const std::vector<ScoredPair>& pairs, float threshold) {
  if (pairs.empty()) throw Error("cannot measure accuracy (0 pairs): there are no pairs");
  std::size_t correct = 0;
  for (const ScoredPair& p : pairs) correct += (p.score >= threshold) == p.same;
  return static_cast<double>(correct) / pairs.size();
}

ThresholdChoice best_accuracy_threshold(const std::vector<ScoredPair>& pairs) {
  if (pairs.empty()) throw Error("cannot choose threshold (0 pairs): there are no pairs");
  require_finite_scores(pairs, "choose threshold");
  const std::vector<ScoredPair> sorted = sorted_by_falling_score(pairs);
  // Sweep the threshold down through the distinct scores; accepting a group of equal scores
  // gains its same pairs and loses its different pairs.
  std::size_t correct = 0;
  for (const ScoredPair& p : sorted) correct += !p.same;
  std::size_t best_correct = correct;
  std::size_t best_end = 0;  // pairs [0, best_end) accepted; 0 = accept nothing
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i;
    for (; j < sorted.size() && sorted[j].score == sorted[i].score; ++j) {
      if (sorted[j].same) {
        ++correct;
      } else {
        --correct;
      }
    }
    if (correct > best_correct) {
      best_correct = correct;
      best_end = j;
    }
    i = j;
  }
  ThresholdChoice choice;
  choice.accuracy = static_cast<double>(best_correct) / sorted.size();
  if (best_end == 0) {
    choice.threshold = std::nextafter(sorted.front().score, kInfinity);
  } else if (best_end == sorted.size()) {
    choice.threshold = sorted.back().score;
  } else {
    const float lowest_accepted = sorted[best_end - 1].score;
    const float highest_rejected = sorted[best_end].score;
    const float middle = lowest_accepted / 2 + highest_rejected / 2;
    // Adjacent floats have no middle; the accepted score itself is then the threshold.
    choice.threshold = middle > highest_rejected ? middle : lowest_accepted;
  }
  return choice;
}

KFoldAccuracy k_fold_accuracy(const std::vector<ScoredPair>& pairs) {
  std::map<int, std::size_t> fold_sizes;
  for (const ScoredPair& p : pairs) ++fold_sizes[p.fold];
  if (fold_sizes.size() < 2) {
    throw Error("cannot measure k-fold accuracy (" + std::to_string(fold_sizes.size()) +
                " folds): needs at least 2 folds");
  }
  KFoldAccuracy result;
  for (const auto& [fold, size] : fold_sizes) {
    std::vector<ScoredPair> train, test;
    for (const ScoredPair& p : pairs) (p.fold == fold ? test : train).push_back(p);
    const ThresholdChoice choice = best_accuracy_threshold(train);
    FoldAccuracy f;
    f.fold = fold;
    f.threshold = choice.threshold;
    f.train_accuracy = choice.accuracy;
    f.accuracy = accuracy_at_threshold(test, choice.threshold);
    f.pairs = size;
    result.folds.push_back(f);
  }
  const double k = static_cast<double>(result.folds.size());
  for (const FoldAccuracy& f : result.folds) result.mean += f.accuracy;
  result.mean /= k;
  double squares = 0.0;
  for (const FoldAccuracy& f : result.folds)
    squares += (f.accuracy - result.mean) * (f.accuracy - result.mean);
  result.sample_std = std::sqrt(squares / (k - 1));
  result.standard_error = result.sample_std / std::sqrt(k);
  return result;
}

RocCurve roc_curve(const std::vector<ScoredPair>& pairs) {
  require_finite_scores(pairs, "compute ROC curve");
  RocCurve roc;
  for (const ScoredPair& p : pairs) ++(p.same ? roc.same_pairs : roc.different_pairs);
  const std::vector<ScoredPair> sorted = sorted_by_falling_score(pairs);
  RocPoint point;
  point.threshold = kInfinity;
  auto rates = [&roc](RocPoint& pt) {
    pt.tar = roc.same_pairs ? static_cast<double>(pt.true_accepts) / roc.same_pairs : 0.0;
    pt.far =
        roc.different_pairs ? static_cast<double>(pt.false_accepts) / roc.different_pairs : 0.0;
  };
  roc.points.push_back(point);
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i;
    for (; j < sorted.size() && sorted[j].score == sorted[i].score; ++j) {
      ++(sorted[j].same ? point.true_accepts : point.false_accepts);
    }
    point.threshold = sorted[i].score;
    rates(point);
    roc.points.push_back(point);
    i = j;
  }
  return roc;
}

TarAtFar tar_at_far(const RocCurve& roc, double target_far) {
  const std::string object = "cannot measure TAR at FAR (" + format("%g", target_far) + "): ";
  if (!(target_far > 0.0 && target_far <= 1.0)) throw Error(object + "the target is not in (0, 1]");
  if (roc.same_pairs == 0) throw Error(object + "there are no same-identity pairs");
  if (roc.different_pairs == 0) throw Error(object + "there are no different-identity pairs");
  TarAtFar result;
  result.target_far = target_far;
  // Counted in whole pairs so that, e.g., 1e-3 of 1000 pairs allows exactly one false accept
  // whatever the rounding of 1e-3 * 1000.
  const auto allowed =
      static_cast<std::uint64_t>(std::floor(target_far * roc.different_pairs * (1 + 1e-12)));
  result.measurable = allowed >= 1;
  if (!result.measurable) {
    result.tar = result.far = kNaN;
    result.threshold = std::numeric_limits<float>::quiet_NaN();
    return result;
  }
  // FAR and TAR never fall as the threshold falls, so the last point within the target has the
  // largest TAR.
  const RocPoint* best = nullptr;
  for (const RocPoint& p : roc.points) {
    if (p.false_accepts > allowed) break;
    best = &p;
  }
  if (best == nullptr) throw Error(object + "the curve has no operating points");
  result.tar = best->tar;
  result.far = best->far;
  result.threshold = best->threshold;
  return result;
}

float threshold_at_far(const RocCurve& roc, double target_far) {
  const TarAtFar t = tar_at_far(roc, target_far);
  if (!t.measurable) {
    throw Error("cannot calibrate threshold (FAR " + format("%g", target_far) +
                "): " + std::to_string(roc.different_pairs) +
                " different-identity pairs cannot measure a false-accept rate below " +
                format("%.3g", 1.0 / roc.different_pairs));
  }
  return t.threshold;
}

std::string roc_svg(const std::vector<RocSeries>& series, const RocPlotOptions& options) {
  if (!(options.min_far > 0.0 && options.min_far < 1.0) || options.width < 200 ||
      options.height < 150) {
    throw Error("cannot plot ROC curve (" + options.title +
                "): needs 0 < min_far < 1 and a plot of at least 200 x 150");
  }
  static const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c",
                                         "#9467bd", "#ff7f0e", "#17becf"};
  const double left = 70, right = options.width - 20, top = 40, bottom = options.height - 55;
  const double log_min = std::log10(options.min_far);
  auto x_of = [&](double far) {
    const double l = far <= options.min_far ? log_min : std::log10(far);
    return left + (l - log_min) / -log_min * (right - left);
  };
  auto y_of = [&](double tar) { return bottom - tar * (bottom - top); };
  auto num = [](double v) { return format("%.1f", v); };

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(options.width) + "\" height=\"" +
                    std::to_string(options.height) + "\" viewBox=\"0 0 " +
                    std::to_string(options.width) + " " + std::to_string(options.height) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + num((left + right) / 2) + "\" y=\"24\" text-anchor=\"middle\" " +
         "font-size=\"15\">" + xml_escaped(options.title) + "</text>\n";

  // Gridlines: each decade of FAR, each tenth of TAR.
  svg += "<g stroke=\"#dddddd\" stroke-width=\"1\">\n";
  for (int e = static_cast<int>(std::ceil(log_min)); e <= 0; ++e) {
    const double x = x_of(std::pow(10.0, e));
    svg += "<line x1=\"" + num(x) + "\" y1=\"" + num(top) + "\" x2=\"" + num(x) + "\" y2=\"" +
           num(bottom) + "\"/>\n";
  }
  for (int t = 0; t <= 10; ++t) {
    const double y = y_of(t / 10.0);
    svg += "<line x1=\"" + num(left) + "\" y1=\"" + num(y) + "\" x2=\"" + num(right) + "\" y2=\"" +
           num(y) + "\"/>\n";
  }
  svg += "</g>\n<g fill=\"#333333\">\n";
  for (int e = static_cast<int>(std::ceil(log_min)); e <= 0; ++e) {
    svg += "<text x=\"" + num(x_of(std::pow(10.0, e))) + "\" y=\"" + num(bottom + 18) +
           "\" text-anchor=\"middle\">" + far_label(std::pow(10.0, e)) + "</text>\n";
  }
  for (int t = 0; t <= 10; t += 2) {
    svg += "<text x=\"" + num(left - 8) + "\" y=\"" + num(y_of(t / 10.0) + 4) +
           "\" text-anchor=\"end\">" + format("%.1f", t / 10.0) + "</text>\n";
  }
  svg += "<text x=\"" + num((left + right) / 2) + "\" y=\"" + num(bottom + 40) +
         "\" text-anchor=\"middle\">False accept rate (FAR, log scale)</text>\n";
  svg += "<text transform=\"translate(18 " + num((top + bottom) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">True accept rate (TAR)</text>\n</g>\n";
  svg += "<rect x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" + num(right - left) +
         "\" height=\"" + num(bottom - top) + "\" fill=\"none\" stroke=\"#333333\"/>\n";

  std::string legend;
  for (std::size_t s = 0; s < series.size(); ++s) {
    const RocCurve& roc = series[s].roc;
    const std::string colour = kColours[s % (sizeof kColours / sizeof kColours[0])];
    std::string notes;
    if (roc.same_pairs > 0 && roc.different_pairs > 0 && !roc.points.empty()) {
      // The step curve of "largest TAR with FAR <= x": level until the next point's FAR is
      // reached, then up. Points closer than a quarter of a pixel merge, which keeps a
      // 65536-bin curve small.
      double tar = 0.0;
      for (const RocPoint& p : roc.points) {
        if (p.far <= options.min_far) tar = p.tar;
      }
      std::string path = "M" + num(left) + " " + num(y_of(tar));
      // A rise is drawn only when the curve moves right again, so a run of points in one pixel
      // column becomes one vertical segment.
      double drawn_x = left, drawn_y = y_of(tar), pending_y = drawn_y;
      for (const RocPoint& p : roc.points) {
        if (p.far <= options.min_far) continue;
        const double x = x_of(p.far);
        if (x - drawn_x >= 0.25) {
          if (drawn_y - pending_y >= 0.05) path += "V" + num(pending_y);
          drawn_y = pending_y;
          path += "H" + num(x);
          drawn_x = x;
        }
        pending_y = y_of(p.tar);
      }
      if (drawn_y - pending_y >= 0.05) path += "V" + num(pending_y);
      svg += "<path class=\"roc-curve\" d=\"" + path + "\" fill=\"none\" stroke=\"" + colour +
             "\" stroke-width=\"2\"/>\n";
      for (double far : options.marked_fars) {
        if (!(far >= options.min_far && far <= 1.0)) continue;
        const TarAtFar t = tar_at_far(roc, far);
        if (!t.measurable) {
          notes += ", FAR " + far_label(far) + " not measurable";
          continue;
        }
        const double x = x_of(far), y = y_of(t.tar);
        svg += "<circle cx=\"" + num(x) + "\" cy=\"" + num(y) + "\" r=\"4\" fill=\"" + colour +
               "\"/>\n<text x=\"" + num(x + 6) + "\" y=\"" + num(y + 14) + "\" fill=\"" + colour +
               "\">" + format("%.4f", t.tar) + " @ " + far_label(far) + "</text>\n";
      }
    } else {
      notes = ", no pairs to plot";
    }
    const double ly = bottom - 12 - 18.0 * (series.size() - 1 - s);
    legend += "<line x1=\"" + num(right - 250) + "\" y1=\"" + num(ly - 4) + "\" x2=\"" +
              num(right - 226) + "\" y2=\"" + num(ly - 4) + "\" stroke=\"" + colour +
              "\" stroke-width=\"2\"/>\n<text x=\"" + num(right - 220) + "\" y=\"" + num(ly) +
              "\">" + xml_escaped(series[s].label + notes) + "</text>\n";
  }
  if (series.empty()) return svg + "</svg>\n";
  const double legend_top = bottom - 30 - 18.0 * (static_cast<double>(series.size()) - 1);
  svg += "<g class=\"legend\">\n<rect x=\"" + num(right - 258) + "\" y=\"" + num(legend_top) +
         "\" width=\"250\" height=\"" + num(bottom - 4 - legend_top) +
         "\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#bbbbbb\"/>\n" + legend +
         "</g>\n</svg>\n";
  return svg;
}

void write_roc_svg(const std::string& path, const std::vector<RocSeries>& series,
                   const RocPlotOptions& options) {
  const std::string svg = roc_svg(series, options);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("cannot write ROC plot (" + path + "): " + std::strerror(errno));
  out << svg;
  out.close();
  if (!out) throw Error("cannot write ROC plot (" + path + "): write failed");
}

}  // namespace fu::train
