// `faceunlock calibrate`: measures an embedder's thresholds at named false-accept rates on one or
// more populations of labelled photos, adds the safety margin of train/threshold_calibration.h
// and writes them into the model's metadata. Use data that is not the data you report on (LFW
// View 1 and CelebA, never View 2).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "evaluation_report.h"
#include "face_cli.h"
#include "photo_set.h"
#include "train/lfw_pairs.h"
#include "train/metrics.h"
#include "train/threshold_calibration.h"
#include "unlock/similarity.h"

namespace fu::tools {
namespace {

struct Target {
  double far;
  const char* key;
};
const Target kTargets[] = {{1e-3, "embedder.threshold.far_1e-3"},
                           {1e-4, "embedder.threshold.far_1e-4"},
                           {2e-5, "embedder.threshold.far_2e-5"}};

CommandSpec calibrate_spec() {
  CommandSpec spec{
      kCalibrateCommand.name,
      "(--data DIR [--pairs FILE]... | --population DIR[:PAIRS[+PAIRS...]])... --out MODEL "
      "[--alpha A] [--no-spread-margin] [--json] [--jobs N]",
      kCalibrateCommand.summary,
      "Each population is a folder of identity folders: every photo of the identities its pairs "
      "files name (every identity folder without pairs files). All pairs of each population's "
      "photos are scored. For each of FAR 1e-3, 1e-4 and 2e-5 it writes "
      "embedder.threshold.far_<rate> by this rule: per population, the lowest threshold whose "
      "false accepts stay within the one-sided (1 - alpha) Poisson bound of the target (were the "
      "rate as high as the target, so few would be seen at most alpha of the time); then the "
      "strictest population's threshold plus the spread between the populations' thresholds (a "
      "population not seen is assumed no further beyond the strictest than the seen ones lie "
      "apart). A level no "
      "population has enough pairs for is removed from the model. embedder.threshold becomes "
      "the FAR 1e-3 threshold, so no level is looser. Never calibrate on the data you report "
      "(LFW View 2). With --template-scales (needs pairs on the first population) it first tries "
      "the alignment template scaled by each factor about its centre, keeps the one that decides "
      "the pairs best, then calibrates with it. With --templates T each level's pairs are held to "
      "its rate / T: a user enrolled with T templates meets a stranger's frame T times, and by "
      "the union bound the frame is then accepted at most T times as often as one pair.\n",
      {},
      {{"--data", "DIR", "a population: photos, one folder per identity"},
       {"--pairs", "FILE", "LFW pairs file(s) naming --data's identities (repeatable)"},
       {"--population", "DIR[:PAIRS[+PAIRS...]]", "one more population (repeatable)"},
       {"--out", "FILE", "where to write the calibrated model (required; may be --model)"},
       {"--alpha", "A", "one-sided confidence 1 - A of each population's bound (default 0.05)"},
       {"--no-spread-margin", "", "do not add the spread between populations"},
       {"--template-scales", "LIST", "alignment template scales to try, e.g. 0.94,1,1.06,1.12"},
       {"--templates", "T", "hold each level per frame against T templates (default 1: per pair)"},
       {"--json", "", "print JSON"},
       jobs_flag()}};
  for (FlagSpec& f : face_model_flags()) spec.flags.push_back(f);
  for (FlagSpec& f : landmark_flags()) spec.flags.push_back(f);
  return spec;
}

std::string format_float(float value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

// `text` ("x,y,x,y,...") scaled by `factor` about the mean of its points.
std::string scaled_template(const std::string& text, double factor) {
  std::vector<double> v;
  for (const std::string& item : split(text, ',')) v.push_back(std::strtod(item.c_str(), nullptr));
  if (v.size() < 4 || v.size() % 2 != 0) {
    throw Error("cannot scale alignment template ('" + text + "'): expected x,y pairs");
  }
  double cx = 0.0, cy = 0.0;
  for (std::size_t i = 0; i < v.size(); i += 2) {
    cx += v[i];
    cy += v[i + 1];
  }
  cx /= v.size() / 2;
  cy /= v.size() / 2;
  std::string out;
  for (std::size_t i = 0; i < v.size(); i += 2) {
    char number[64];
    std::snprintf(number, sizeof number, "%s%.3f,%.3f", out.empty() ? "" : ",",
                  cx + (v[i] - cx) * factor, cy + (v[i + 1] - cy) * factor);
    out += number;
  }
  return out;
}

std::vector<train::ScoredPair> score_pairs(const std::vector<train::LfwPair>& pairs,
                                           const std::map<std::string, std::size_t>& index,
                                           const EmbeddedSet& set) {
  std::vector<train::ScoredPair> scored;
  for (const train::LfwPair& p : pairs) {
    auto a = index.find(p.path_a);
    auto b = index.find(p.path_b);
    if (a == index.end() || b == index.end()) continue;
    // The gallery's own similarity, so the accuracy is the one the unlock path would see.
    scored.push_back({unlock::cosine_similarity(set.photos[a->second].embedding,
                                                set.photos[b->second].embedding),
                      p.same, p.fold});
  }
  return scored;
}

struct Population {
  PhotoSet photos;
  EmbeddedSet set;
  train::RocCurve roc;
};

std::string scientific(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2g", value);
  return text;
}

std::string fixed(double value, int digits) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

// The level's table: one row per population, then the rule's result and how it does on each.
void print_level(std::ostream& out, const Target& target, const train::LevelThreshold& level) {
  const std::string key = target.key;
  out << "FAR " << key.substr(key.rfind('_') + 1) << " (" << key << ")\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %-48s %10s %10s %12s %8s\n", "population", "point", "bound",
                "allowed FA", "TAR");
  out << line;
  for (const train::PopulationThreshold& p : level.populations) {
    if (!p.measurable) {
      std::snprintf(line, sizeof line, "  %-48s  too few pairs (%llu) to show this rate\n",
                    p.population.c_str(), static_cast<unsigned long long>(p.different_pairs));
    } else {
      std::snprintf(line, sizeof line, "  %-48s %10.6f %10.6f %12lld %7.2f%%\n",
                    p.population.c_str(), p.point_threshold, p.threshold,
                    static_cast<long long>(p.allowed_false_accepts), 100.0 * p.tar);
    }
    out << line;
  }
  if (!level.calibrated) {
    out << "  not calibrated: no population has enough pairs; the key is removed\n";
    return;
  }
  out << "  strictest " << fixed(level.strictest, 6) << " + spread " << fixed(level.spread, 6)
      << " = " << format_float(level.threshold) << "\n";
  for (const train::PopulationCheck& c : level.checks) {
    out << "    on " << c.population << ": FAR " << scientific(c.far) << " (" << c.false_accepts
        << " pairs), TAR " << fixed(100.0 * c.tar, 2) << "%\n";
  }
}

int run_calibrate(const ParsedArgs& parsed) {
  std::vector<PhotoSetSpec> specs;
  if (parsed.has("--data")) {
    if (parsed.get_all("--data").size() > 1) {
      throw UsageError("--data: give it once; add more populations with --population");
    }
    specs.push_back({parsed.get("--data", ""), parsed.get_all("--pairs"), false, {}});
  } else if (parsed.has("--pairs")) {
    throw UsageError("--pairs needs --data (or use --population DIR:PAIRS)");
  }
  for (const std::string& text : parsed.get_all("--population")) {
    specs.push_back(parse_population(text));
  }
  if (specs.empty()) throw UsageError("give a population: --data DIR or --population DIR");
  const std::string out_path = parsed.require("--out");
  train::MarginRule rule;
  rule.alpha = parsed.get_double("--alpha", 0.05, 1e-6, 0.5);
  rule.add_spread = !parsed.has("--no-spread-margin");
  const int jobs = parse_jobs(parsed);
  const auto detector = load_detector(parsed);
  const auto embedder = load_embedder(parsed);
  const LandmarkStage landmarks = load_landmark_stage(parsed);

  std::vector<Population> populations;
  for (const PhotoSetSpec& s : specs) populations.push_back({load_photo_set(s), {}, {}});
  const PhotoSet& first = populations[0].photos;
  std::map<std::string, std::size_t> first_index;
  for (std::size_t i = 0; i < first.paths.size(); ++i) first_index[first.paths[i]] = i;

  nn::Model calibrated = *embedder;
  auto& props = calibrated.metadata.properties;
  std::string template_before;
  if (parsed.has("--template-scales")) {
    if (first.pairs.empty()) {
      throw UsageError("--template-scales needs pairs on the first population to judge by");
    }
    template_before = props["embedder.template"];
    double best_accuracy = -1.0;
    std::string best_template;
    for (const std::string& item : split(parsed.get("--template-scales", ""), ',')) {
      char* end = nullptr;
      const double factor = std::strtod(item.c_str(), &end);
      if (item.empty() || *end != '\0' || !(factor > 0.5 && factor < 2.0)) {
        throw UsageError("--template-scales: '" + item + "' is not a scale from 0.5 to 2");
      }
      nn::Model trial = calibrated;
      trial.metadata.properties["embedder.template"] = scaled_template(template_before, factor);
      const EmbeddedSet trial_set =
          embed_set(first.paths, first.labels, detector, std::make_shared<const nn::Model>(trial),
                    selected_backend(parsed), jobs, landmarks);
      const double accuracy =
          train::best_accuracy_threshold(score_pairs(first.pairs, first_index, trial_set)).accuracy;
      std::cerr << "template scale " << factor << ": accuracy " << 100.0 * accuracy << "%\n";
      if (accuracy > best_accuracy) {
        best_accuracy = accuracy;
        best_template = trial.metadata.properties["embedder.template"];
      }
    }
    props["embedder.template"] = best_template;
  }
  const auto model = std::make_shared<const nn::Model>(calibrated);
  std::vector<train::CalibrationPopulation> rocs;
  for (Population& p : populations) {
    p.set = embed_set(p.photos.paths, p.photos.labels, detector, model, selected_backend(parsed),
                      jobs, landmarks);
    p.roc = score_set(p.set, jobs).roc();
    rocs.push_back({p.photos.name, p.roc});
  }
  // The union bound over a user's templates: a level's rate per frame needs rate / T per pair.
  const int templates = static_cast<int>(parsed.get_int("--templates", 1, 1, 64));
  std::vector<double> targets;
  for (const Target& t : kTargets) targets.push_back(t.far / templates);
  const std::vector<train::LevelThreshold> levels = train::calibrate_levels(rocs, targets, rule);

  for (std::size_t l = 0; l < levels.size(); ++l) {
    if (levels[l].calibrated) {
      props[kTargets[l].key] = format_float(levels[l].threshold);
    } else {
      props.erase(kTargets[l].key);  // a value from another calibration would be a false promise
    }
  }
  std::optional<train::ThresholdChoice> best;
  if (!first.pairs.empty()) {
    best =
        train::best_accuracy_threshold(score_pairs(first.pairs, first_index, populations[0].set));
  }
  // The default is the loosest FAR level, so no level (the library's 'convenience' uses the
  // default) lets more strangers through than 1e-3. Without it, the best accuracy on the pairs.
  std::string default_from;
  if (levels[0].calibrated) {
    props["embedder.threshold"] = format_float(levels[0].threshold);
    default_from = "the FAR 1e-3 level";
  } else if (best) {
    props["embedder.threshold"] = format_float(best->threshold);
    default_from = "the best accuracy on the pairs (too few pairs for FAR 1e-3)";
  }
  std::string source =
      "faceunlock calibrate: per population the lowest threshold within the " +
      fixed(100.0 * (1.0 - rule.alpha), 1) + "% Poisson bound of each FAR, then the strictest" +
      (rule.add_spread ? std::string(" plus the spread between populations")
                       : std::string(" (no spread margin)")) +
      (templates > 1 ? "; each rate held per frame against " + std::to_string(templates) +
                           " templates (pairs at rate / " + std::to_string(templates) + ")"
                     : std::string()) +
      "; on";
  for (std::size_t i = 0; i < populations.size(); ++i) {
    source += std::string(i ? ";" : "") + " " + populations[i].photos.name + ": " +
              std::to_string(populations[i].photos.paths.size()) + " photos of " +
              std::to_string(populations[i].photos.identities) + " identities";
  }
  props["embedder.threshold.source"] = source;
  nn::save_model(calibrated, out_path);

  if (parsed.has("--json")) {
    JsonWriter out(std::cout);
    out.begin_object().key("model").value(calibrated.metadata.name).key("out").value(out_path);
    out.key("alpha").value(rule.alpha).key("spread_margin").value(rule.add_spread);
    out.key("templates").value(static_cast<std::int64_t>(templates));
    out.key("populations").begin_array();
    for (const Population& p : populations) {
      out.begin_object().key("name").value(p.photos.name);
      out.key("photos").value(static_cast<std::uint64_t>(p.photos.paths.size()));
      out.key("identities").value(static_cast<std::uint64_t>(p.photos.identities));
      out.key("same_pairs").value(p.roc.same_pairs);
      out.key("different_pairs").value(p.roc.different_pairs);
      out.key("photos_without_face").value(static_cast<std::uint64_t>(p.set.no_face));
      out.end_object();
    }
    out.end_array();
    out.key("levels").begin_array();
    for (std::size_t l = 0; l < levels.size(); ++l) {
      const train::LevelThreshold& level = levels[l];
      out.begin_object().key("target_far").value(level.target_far);
      out.key("key").value(kTargets[l].key).key("calibrated").value(level.calibrated);
      out.key("strictest").value(level.strictest).key("spread").value(level.spread);
      out.key("threshold").value(level.threshold);
      out.key("populations").begin_array();
      for (const train::PopulationThreshold& p : level.populations) {
        out.begin_object().key("name").value(p.population).key("measurable").value(p.measurable);
        out.key("different_pairs").value(p.different_pairs);
        out.key("allowed_false_accepts").value(p.allowed_false_accepts);
        out.key("point_threshold").value(p.point_threshold).key("threshold").value(p.threshold);
        out.key("far").value(p.far).key("tar").value(p.tar);
        out.end_object();
      }
      out.end_array();
      out.key("checks").begin_array();
      for (const train::PopulationCheck& c : level.checks) {
        out.begin_object().key("name").value(c.population).key("far").value(c.far);
        out.key("false_accepts").value(c.false_accepts).key("tar").value(c.tar).end_object();
      }
      out.end_array().end_object();
    }
    out.end_array();
    out.key("thresholds").begin_object();
    for (std::size_t l = 0; l < levels.size(); ++l) {
      if (levels[l].calibrated) out.key(kTargets[l].key).value(levels[l].threshold);
    }
    if (props.count("embedder.threshold")) {
      out.key("embedder.threshold")
          .value(std::strtof(props["embedder.threshold"].c_str(), nullptr));
    }
    out.end_object();
    if (best) {
      out.key("best_accuracy").begin_object().key("threshold").value(best->threshold);
      out.key("accuracy").value(best->accuracy).end_object();
    }
    if (!template_before.empty()) {
      out.key("template_before").value(template_before);
      out.key("template").value(props["embedder.template"]);
    }
    out.end_object();
    return kExitOk;
  }
  std::cout << "calibrated " << calibrated.metadata.name << " on " << populations.size()
            << " population" << (populations.size() > 1 ? "s" : "") << "\n";
  for (const Population& p : populations) {
    std::cout << "  " << p.photos.name << ": " << p.photos.paths.size() << " photos of "
              << p.photos.identities << " identities, " << p.roc.same_pairs << " same and "
              << p.roc.different_pairs << " different pairs (no face in " << p.set.no_face << ")\n";
  }
  std::cout << "rule: per population the lowest threshold whose false accepts stay within the "
            << fixed(100.0 * (1.0 - rule.alpha), 1) << "% Poisson bound (\"bound\"; \"point\" "
            << "is the plain estimate), then the strictest"
            << (rule.add_spread ? " + the spread between populations" : " (no spread margin)")
            << (templates > 1
                    ? "; pairs held to each rate / " + std::to_string(templates) +
                          " (per frame against " + std::to_string(templates) + " templates)"
                    : std::string())
            << "\n";
  if (populations.size() == 1 && rule.add_spread) {
    std::cout << "note: one population has no spread to measure; add --population for a margin\n";
  }
  for (std::size_t l = 0; l < levels.size(); ++l) print_level(std::cout, kTargets[l], levels[l]);
  if (!default_from.empty()) {
    std::cout << "embedder.threshold = " << props["embedder.threshold"] << " (" << default_from
              << ")\n";
  }
  if (best) {
    std::cout << "best accuracy on " << first.name
              << "'s pairs: " << fixed(100.0 * best->accuracy, 2) << "% at " << best->threshold
              << " (not written: looser than FAR 1e-3)\n";
  }
  if (!template_before.empty()) {
    std::cout << "embedder.template = " << props["embedder.template"] << " (was " << template_before
              << ")\n";
  }
  std::cout << "wrote " << out_path << "\n";
  return kExitOk;
}

}  // namespace

const Command kCalibrateCommand = {"calibrate",
                                   "write thresholds at named false-accept rates into a model",
                                   calibrate_spec, run_calibrate};

}  // namespace fu::tools
