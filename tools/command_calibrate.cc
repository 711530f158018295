// `faceunlock calibrate`: measures an embedder's thresholds at named false-accept rates on
// labelled photos and writes them into the model's metadata. Use data that is not the data you
// report on (LFW View 1 or CelebA, never View 2).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "evaluation_report.h"
#include "face_cli.h"
#include "train/lfw_pairs.h"
#include "train/metrics.h"

namespace fu::tools {
namespace {

namespace fs = std::filesystem;

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
      "--data DIR [--pairs FILE] --out MODEL [--json] [--jobs N]",
      kCalibrateCommand.summary,
      "Scores every pair of photos of the identities the pairs file names (all identity folders "
      "of DIR without --pairs) and writes embedder.threshold.far_1e-3, far_1e-4 and far_2e-5, "
      "the lowest thresholds whose false-accept rate stays within each target. With --pairs, "
      "embedder.threshold becomes the threshold that decides those pairs best. Never calibrate "
      "on the data you report (LFW View 2). With --template-scales (needs --pairs) it first tries "
      "the alignment template scaled by each factor about its centre, keeps the one that decides "
      "the pairs best, then calibrates with it.\n",
      {},
      {{"--data", "DIR", "photos, one folder per identity (required)"},
       {"--pairs", "FILE", "an LFW pairs file naming the identities to use (e.g. View 1 train)"},
       {"--out", "FILE", "where to write the calibrated model (required; may be --model)"},
       {"--template-scales", "LIST", "alignment template scales to try, e.g. 0.94,1,1.06,1.12"},
       {"--json", "", "print JSON"},
       jobs_flag()}};
  for (FlagSpec& f : face_model_flags()) spec.flags.push_back(f);
  for (FlagSpec& f : landmark_flags()) spec.flags.push_back(f);
  return spec;
}

std::vector<std::string> identity_folders(const std::string& data) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(data, ec)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  if (ec) throw Error("cannot list identity folders (" + data + "): " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

// Every image file in each identity folder (any name; LFW's naming is not assumed).
std::vector<train::LabeledImage> folder_images(const std::string& data,
                                               const std::vector<std::string>& identities) {
  std::vector<train::LabeledImage> images;
  for (std::size_t i = 0; i < identities.size(); ++i) {
    std::vector<std::string> files;
    std::error_code ec;
    for (const fs::directory_entry& e :
         fs::directory_iterator(fs::path(data) / identities[i], ec)) {
      const std::string ext = e.path().extension().string();
      if (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".pgm" || ext == ".ppm" ||
          ext == ".bmp") {
        files.push_back(e.path().string());
      }
    }
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) images.push_back({f, identities[i], static_cast<int>(i)});
  }
  return images;
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
    scored.push_back(
        {dot(set.photos[a->second].embedding, set.photos[b->second].embedding), p.same, p.fold});
  }
  return scored;
}

int run_calibrate(const std::vector<std::string>& args) {
  const CommandSpec spec = calibrate_spec();
  const ParsedArgs parsed = parse_args(spec, args);
  if (parsed.has("--help")) {
    std::cout << help_text(spec);
    return kExitOk;
  }
  const std::string data = parsed.require("--data");
  const std::string out_path = parsed.require("--out");
  const int jobs = parse_jobs(parsed);
  const auto detector = load_detector(parsed);
  const auto embedder = load_embedder(parsed);
  const LandmarkStage landmarks = load_landmark_stage(parsed);

  std::vector<train::LfwPair> pairs;
  std::vector<std::string> identities;
  if (parsed.has("--pairs")) {
    pairs = train::read_lfw_pairs(parsed.get("--pairs", ""), data);
    identities = train::lfw_pair_identities(pairs);
  } else {
    identities = identity_folders(data);
  }
  const std::vector<train::LabeledImage> images = folder_images(data, identities);
  std::vector<std::string> paths;
  std::vector<int> labels;
  std::map<std::string, std::size_t> index;
  for (const train::LabeledImage& image : images) {
    index[image.path] = paths.size();
    paths.push_back(image.path);
    labels.push_back(image.label);
  }
  nn::Model calibrated = *embedder;
  auto& props = calibrated.metadata.properties;
  std::string template_before;
  if (parsed.has("--template-scales")) {
    if (pairs.empty()) throw UsageError("--template-scales needs --pairs to judge the scales by");
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
          embed_set(paths, labels, detector, std::make_shared<const nn::Model>(trial),
                    selected_backend(parsed), jobs, landmarks);
      const double accuracy =
          train::best_accuracy_threshold(score_pairs(pairs, index, trial_set)).accuracy;
      std::cerr << "template scale " << factor << ": accuracy " << 100.0 * accuracy << "%\n";
      if (accuracy > best_accuracy) {
        best_accuracy = accuracy;
        best_template = trial.metadata.properties["embedder.template"];
      }
    }
    props["embedder.template"] = best_template;
  }
  const EmbeddedSet set =
      embed_set(paths, labels, detector, std::make_shared<const nn::Model>(calibrated),
                selected_backend(parsed), jobs, landmarks);
  const train::RocCurve roc = score_set(set, jobs).roc();

  std::vector<std::pair<const Target*, float>> written;
  for (const Target& t : kTargets) {
    const train::TarAtFar tar = train::tar_at_far(roc, t.far);
    if (!tar.measurable) continue;
    const float threshold = train::threshold_at_far(roc, t.far);
    props[t.key] = format_float(threshold);
    written.push_back({&t, threshold});
  }
  std::optional<train::ThresholdChoice> best;
  if (!pairs.empty()) {
    best = train::best_accuracy_threshold(score_pairs(pairs, index, set));
    props["embedder.threshold"] = format_float(best->threshold);
  }
  props["embedder.threshold.source"] =
      "faceunlock calibrate on " + std::to_string(paths.size()) + " photos of " +
      std::to_string(identities.size()) + " identities (" +
      (parsed.has("--pairs") ? parsed.get("--pairs", "") : data) + ")";
  nn::save_model(calibrated, out_path);

  if (parsed.has("--json")) {
    JsonWriter out(std::cout);
    out.begin_object().key("model").value(calibrated.metadata.name).key("out").value(out_path);
    out.key("photos").value(static_cast<std::uint64_t>(paths.size()));
    out.key("identities").value(static_cast<std::uint64_t>(identities.size()));
    out.key("same_pairs").value(roc.same_pairs).key("different_pairs").value(roc.different_pairs);
    out.key("photos_without_face").value(static_cast<std::uint64_t>(set.no_face));
    out.key("thresholds").begin_object();
    for (const auto& [target, threshold] : written) out.key(target->key).value(threshold);
    if (best) out.key("embedder.threshold").value(best->threshold);
    out.end_object();
    if (!template_before.empty()) {
      out.key("template_before").value(template_before);
      out.key("template").value(props["embedder.template"]);
    }
    out.end_object();
    return kExitOk;
  }
  std::cout << "calibrated " << calibrated.metadata.name << " on " << paths.size() << " photos of "
            << identities.size() << " identities (" << roc.same_pairs << " same, "
            << roc.different_pairs << " different pairs; no face in " << set.no_face << ")\n";
  for (const auto& [target, threshold] : written) {
    std::cout << "  " << target->key << " = " << threshold << "\n";
  }
  if (best) {
    std::cout << "  embedder.threshold = " << best->threshold << " (best accuracy "
              << best->accuracy * 100.0 << "% on the pairs file)\n";
  }
  if (!template_before.empty()) {
    std::cout << "  embedder.template = " << props["embedder.template"] << " (was "
              << template_before << ")\n";
  }
  std::cout << "wrote " << out_path << "\n";
  return kExitOk;
}

}  // namespace

const Command kCalibrateCommand = {
    "calibrate", "write thresholds at named false-accept rates into a model", run_calibrate};

}  // namespace fu::tools
