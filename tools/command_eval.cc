// `faceunlock eval`: the LFW protocol on a folder of identity folders. 10-fold accuracy (the
// threshold chosen on 9 folds, applied to the 10th), accuracy at the model's own threshold, TAR
// at low FAR over all same- and different-identity pairs of the photos the pairs file names, how
// often the detector found no face, and a ROC plot.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "evaluation_report.h"
#include "face/pipeline.h"
#include "face_cli.h"
#include "train/lfw_pairs.h"
#include "train/metrics.h"
#include "unlock/security_level.h"

namespace fu::tools {
namespace {

const double kTargetFars[] = {1e-3, 1e-4, 2e-5};

CommandSpec eval_spec() {
  CommandSpec spec{
      kEvalCommand.name,
      "--data DIR --pairs FILE [--plot ROC.svg] [--json] [--jobs N]",
      kEvalCommand.summary,
      "DIR holds one folder per identity (LFW: lfw/Name/Name_0001.jpg); FILE is an LFW pairs "
      "file (pairs.txt for View 2, pairsDevTest.txt for View 1). A photo where no face is found "
      "is embedded from the average face position of the other photos and counted.\n",
      {},
      {{"--data", "DIR", "the photos, one folder per identity (required)"},
       {"--pairs", "FILE", "the pairs to score (required)"},
       {"--plot", "FILE", "write the ROC curves as SVG"},
       {"--errors", "FILE", "write the pairs decided wrongly at the best threshold, as TSV"},
       {"--mirror", "POLICY",
        "which photos are averaged with their mirror image: both, templates (the first photo of "
        "each pair, as enrolled; the second is the probe, as a camera frame) or none (default: "
        "the library's, " +
            std::string(face::mirror_policy_name(face::PipelineOptions{}.mirror)) + ")"},
       {"--compare-mirror", "",
        "also report every mirror policy, from the photos embedded with and without their mirror"},
       {"--photo-scale", "S",
        "shrink every photo by S in (0, 1] before detection: a lower-resolution camera, or faces "
        "as small as a training set's (default 1)"},
       {"--json", "", "print JSON"},
       jobs_flag()}};
  for (FlagSpec& f : face_model_flags()) spec.flags.push_back(f);
  for (FlagSpec& f : landmark_flags()) spec.flags.push_back(f);
  return spec;
}

std::string percent(double fraction, int digits = 2) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f%%", digits, 100.0 * fraction);
  return text;
}

int run_eval(const ParsedArgs& parsed) {
  const std::string data = parsed.require("--data");
  const std::string pairs_file = parsed.require("--pairs");
  const int jobs = parse_jobs(parsed);
  const auto detector = load_detector(parsed);
  const auto embedder = load_embedder(parsed);
  const LandmarkStage landmarks = load_landmark_stage(parsed);
  const std::vector<train::LfwPair> pairs = train::read_lfw_pairs(pairs_file, data);

  // The distinct photos the pairs name, each with its identity.
  std::map<std::string, std::size_t> index;
  std::map<std::string, int> identity;
  std::vector<std::string> paths;
  std::vector<int> labels;
  auto add = [&](const std::string& path, const std::string& name) {
    if (index.count(path)) return;
    const int label = identity.emplace(name, static_cast<int>(identity.size())).first->second;
    index[path] = paths.size();
    paths.push_back(path);
    labels.push_back(label);
  };
  for (const train::LfwPair& p : pairs) {
    add(p.path_a, p.name_a);
    add(p.path_b, p.name_b);
  }
  face::MirrorPolicy mirror = face::PipelineOptions{}.mirror;
  if (parsed.has("--mirror")) {
    try {
      mirror = face::parse_mirror_policy(parsed.get("--mirror", ""));
    } catch (const Error& e) {
      throw UsageError(std::string("--mirror: ") + e.what());
    }
  }
  const bool mirror_templates = face::mirrors(mirror, face::EmbedPurpose::kTemplate);
  const bool mirror_probes = face::mirrors(mirror, face::EmbedPurpose::kProbe);
  const bool compare = parsed.has("--compare-mirror");
  double photo_scale = 1.0;
  if (parsed.has("--photo-scale")) {
    const std::string text = parsed.get("--photo-scale", "");
    char* end = nullptr;
    photo_scale = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(photo_scale > 0.0 && photo_scale <= 1.0)) {
      throw UsageError("--photo-scale: '" + text + "' is not a scale in (0, 1]");
    }
  }
  // Each photo embedded with its mirror, without, or both ways, as the policies need.
  std::optional<EmbeddedSet> mirrored;
  std::optional<EmbeddedSet> plain;
  if (compare || mirror_templates || mirror_probes) {
    mirrored = embed_set(paths, labels, detector, embedder, selected_backend(parsed), jobs,
                         landmarks, true, photo_scale);
  }
  if (compare || !mirror_templates || !mirror_probes) {
    plain = embed_set(paths, labels, detector, embedder, selected_backend(parsed), jobs, landmarks,
                      false, photo_scale);
  }
  auto set_for = [&](face::MirrorPolicy policy, face::EmbedPurpose purpose) -> const EmbeddedSet& {
    return face::mirrors(policy, purpose) ? *mirrored : *plain;
  };
  const EmbeddedSet& set = set_for(mirror, face::EmbedPurpose::kTemplate);
  const EmbeddedSet& probes = set_for(mirror, face::EmbedPurpose::kProbe);

  const bool folds = std::any_of(pairs.begin(), pairs.end(), [](auto& p) { return p.fold > 0; });
  // The first photo of a pair is the template, the second the probe.
  auto score_pairs = [&](const EmbeddedSet& templates, const EmbeddedSet& probe_photos) {
    std::vector<train::ScoredPair> result;
    for (const train::LfwPair& p : pairs) {
      result.push_back({dot(templates.photos[index[p.path_a]].embedding,
                            probe_photos.photos[index[p.path_b]].embedding),
                        p.same, p.fold});
    }
    return result;
  };
  auto score_all = [&](const EmbeddedSet& templates, const EmbeddedSet& probe_photos) {
    return &templates == &probe_photos ? score_set(templates, jobs)
                                       : score_set(templates, probe_photos, jobs);
  };
  const std::vector<train::ScoredPair> scored = score_pairs(set, probes);
  std::optional<train::KFoldAccuracy> kfold;
  if (folds) kfold = train::k_fold_accuracy(scored);
  const train::ThresholdChoice best = train::best_accuracy_threshold(scored);
  const std::optional<float> model_threshold =
      unlock::CalibratedLevels(embedder->metadata).model_threshold();
  if (parsed.has("--errors")) {
    std::ofstream errors(parsed.get("--errors", ""));
    errors << "score\tsame\tphoto_a\tphoto_b\n";
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      if ((scored[i].score >= best.threshold) != pairs[i].same) {
        errors << scored[i].score << "\t" << pairs[i].same << "\t" << pairs[i].path_a << "\t"
               << pairs[i].path_b << "\n";
      }
    }
    if (!errors) throw Error("cannot write errors file (" + parsed.get("--errors", "") + ")");
  }
  const train::RocCurve pair_roc = train::roc_curve(scored);
  const train::ScoreHistogram histogram = score_all(set, probes);
  const train::RocCurve all_roc = histogram.roc();
  std::vector<train::TarAtFar> tars;
  for (double far : kTargetFars) tars.push_back(train::tar_at_far(all_roc, far));

  if (parsed.has("--plot")) {
    train::RocPlotOptions plot;
    plot.title = embedder->metadata.name + " on " + pairs_file;
    plot.marked_fars = {1e-3, 1e-4, 2e-5};
    train::write_roc_svg(parsed.get("--plot", ""),
                         {{"all pairs of the " + std::to_string(paths.size()) + " photos", all_roc},
                          {"the " + std::to_string(pairs.size()) + " protocol pairs", pair_roc}},
                         plot);
  }

  // Per photo and pass when the photos were embedded twice (with and without the mirror).
  const double seconds = (mirrored ? mirrored->seconds : 0.0) + (plain ? plain->seconds : 0.0);
  const double ms_per_photo =
      1000.0 * seconds / std::max<std::size_t>(1, paths.size()) / ((mirrored && plain) ? 2.0 : 1.0);

  // --compare-mirror: the same figures under every policy, from the same two embeddings.
  struct PolicyFigures {
    face::MirrorPolicy policy;
    std::optional<train::KFoldAccuracy> kfold;
    train::ThresholdChoice best;
    std::vector<train::TarAtFar> tars;
  };
  std::vector<PolicyFigures> comparison;
  if (compare) {
    for (face::MirrorPolicy policy : {face::MirrorPolicy::kBoth, face::MirrorPolicy::kTemplatesOnly,
                                      face::MirrorPolicy::kNeither}) {
      const EmbeddedSet& t = set_for(policy, face::EmbedPurpose::kTemplate);
      const EmbeddedSet& p = set_for(policy, face::EmbedPurpose::kProbe);
      PolicyFigures f{policy, std::nullopt, {}, {}};
      const std::vector<train::ScoredPair> policy_scores = score_pairs(t, p);
      if (folds) f.kfold = train::k_fold_accuracy(policy_scores);
      f.best = train::best_accuracy_threshold(policy_scores);
      const train::RocCurve roc = score_all(t, p).roc();
      for (double far : kTargetFars) f.tars.push_back(train::tar_at_far(roc, far));
      comparison.push_back(std::move(f));
    }
  }
  if (parsed.has("--json")) {
    JsonWriter out(std::cout);
    out.begin_object().key("model").value(embedder->metadata.name);
    out.key("detector").value(detector->metadata.name);
    out.key("pairs_file").value(pairs_file);
    out.key("mirror").value(face::mirror_policy_name(mirror));
    out.key("photo_scale").value(photo_scale);
    out.key("pairs").value(static_cast<std::uint64_t>(pairs.size()));
    out.key("photos").value(static_cast<std::uint64_t>(paths.size()));
    out.key("photos_without_face").value(static_cast<std::uint64_t>(set.no_face));
    out.key("photos_with_several_faces").value(static_cast<std::uint64_t>(set.several_faces));
    if (kfold) {
      out.key("kfold").begin_object().key("mean").value(kfold->mean);
      out.key("sample_std").value(kfold->sample_std);
      out.key("standard_error").value(kfold->standard_error).key("folds").begin_array();
      for (const train::FoldAccuracy& f : kfold->folds) {
        out.begin_object().key("fold").value(f.fold).key("threshold").value(f.threshold);
        out.key("accuracy").value(f.accuracy).end_object();
      }
      out.end_array().end_object();
    }
    out.key("best_threshold").value(best.threshold).key("best_accuracy").value(best.accuracy);
    if (model_threshold) {
      out.key("model_threshold").value(*model_threshold);
      out.key("accuracy_at_model_threshold")
          .value(train::accuracy_at_threshold(scored, *model_threshold));
    }
    out.key("all_pairs").begin_object();
    out.key("same").value(all_roc.same_pairs).key("different").value(all_roc.different_pairs);
    out.key("tar_at_far").begin_array();
    for (const train::TarAtFar& t : tars) {
      out.begin_object().key("far").value(t.target_far).key("measurable").value(t.measurable);
      out.key("tar").value(t.tar).key("threshold").value(t.threshold).end_object();
    }
    out.end_array().end_object();
    out.key("seconds").value(seconds).key("ms_per_photo").value(ms_per_photo);
    if (compare) {
      out.key("mirror_policies").begin_array();
      for (const PolicyFigures& f : comparison) {
        out.begin_object().key("mirror").value(face::mirror_policy_name(f.policy));
        if (f.kfold) out.key("kfold_mean").value(f.kfold->mean);
        out.key("best_accuracy").value(f.best.accuracy).key("tar_at_far").begin_array();
        for (const train::TarAtFar& t : f.tars) {
          out.begin_object().key("far").value(t.target_far).key("measurable").value(t.measurable);
          out.key("tar").value(t.tar).key("threshold").value(t.threshold).end_object();
        }
        out.end_array().end_object();
      }
      out.end_array();
    }
    out.end_object();
    return kExitOk;
  }

  std::cout << embedder->metadata.name << " with " << detector->metadata.name << " on "
            << pairs_file << ": " << pairs.size() << " pairs, " << paths.size()
            << " photos, mirror averaging of " << face::mirror_policy_name(mirror);
  if (photo_scale != 1.0) std::cout << ", photos shrunk by " << photo_scale;
  std::cout << "\n";
  std::cout << "  no face found: " << set.no_face << " photos ("
            << percent(static_cast<double>(set.no_face) / paths.size()) << ", embedded from the "
            << "average face position); several faces: " << set.several_faces << "\n";
  if (kfold) {
    std::cout << "  10-fold accuracy: " << percent(kfold->mean) << " +- "
              << percent(kfold->sample_std) << " (sample std; standard error "
              << percent(kfold->standard_error) << ")\n";
  }
  std::cout << "  best threshold on these pairs: " << best.threshold << " (accuracy "
            << percent(best.accuracy) << "; chosen on the test pairs themselves)\n";
  if (model_threshold) {
    std::cout << "  at the model's threshold " << *model_threshold << ": "
              << percent(train::accuracy_at_threshold(scored, *model_threshold)) << "\n";
  }
  std::cout << "  all pairs of the photos: " << all_roc.same_pairs << " same, "
            << all_roc.different_pairs << " different\n";
  for (const train::TarAtFar& t : tars) {
    char line[128];
    if (t.measurable) {
      std::snprintf(line, sizeof line, "    TAR at FAR %g: %s (threshold %.4f)\n", t.target_far,
                    percent(t.tar).c_str(), t.threshold);
    } else {
      std::snprintf(line, sizeof line, "    TAR at FAR %g: not measurable with so few pairs\n",
                    t.target_far);
    }
    std::cout << line;
  }
  if (compare) {
    std::cout << "  mirror averaging compared (10-fold accuracy where the pairs have folds, best "
                 "accuracy on these pairs, TAR at FAR 1e-3 / 1e-4 / 2e-5 over all pairs):\n";
    for (const PolicyFigures& f : comparison) {
      std::cout << "    " << face::mirror_policy_name(f.policy) << ": "
                << (f.kfold ? percent(f.kfold->mean) + ", " : std::string())
                << percent(f.best.accuracy);
      for (const train::TarAtFar& t : f.tars) {
        std::cout << (&t == &f.tars.front() ? ", " : " / ")
                  << (t.measurable ? percent(t.tar) : std::string("-"));
      }
      std::cout << "\n";
    }
  }
  char line[128];
  std::snprintf(line, sizeof line, "  time: %.1f s (%.1f ms per photo with %d jobs)\n", seconds,
                ms_per_photo, jobs);
  std::cout << line;
  return kExitOk;
}

}  // namespace

const Command kEvalCommand = {"eval", "evaluate an embedder with the LFW protocol", eval_spec,
                              run_eval};

}  // namespace fu::tools
