// `faceunlock far`: the false-accept and false-reject rates each of the model's security levels
// actually reaches on labelled photos, single-frame and with the shipped procedure (several
// templates per user, fusion over frames); train/unlock_error_rates.h defines both procedures.
// A measurement, not a calibration: it changes nothing.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "evaluation_report.h"
#include "face_cli.h"
#include "photo_set.h"
#include "train/unlock_error_rates.h"

namespace fu::tools {
namespace {

CommandSpec far_spec() {
  CommandSpec spec{
      kFarCommand.name,
      "--data DIR [--pairs FILE]... [--named-photos] [--exclude-pairs FILE]... [--threshold T]... "
      "[--templates K] [--window W] [--required R] [--json] [--jobs N]",
      kFarCommand.summary,
      "Measures every security level the model carries (embedder.threshold and "
      "embedder.threshold.far_*) and each --threshold, scoring as the unlock gallery does, in "
      "two procedures. All pairs: every pair of photos, one template against one frame (FAR = "
      "different-identity pairs accepted, FRR = same-identity pairs rejected). Enrolled: every "
      "identity with at least K + W photos is enrolled from its first K photos and probed 1:1 "
      "with single frames (its other photos; every photo of the others) and with fused attempts "
      "(R of W frames must accept; an attempt is W distinct photos of one person, the user's "
      "own or another identity's with at least W photos, averaged exactly over all such "
      "sequences). Distinct photos are more independent than a camera's consecutive frames, so "
      "fused rates are what fusion gives with independent views; single-frame rates are what it "
      "gives with identical frames. Photos come from DIR: every photo of the identities the "
      "pairs files name (all identity folders without pairs), or with --named-photos only the "
      "photos they name (as `faceunlock eval` scores).\n",
      {},
      {{"--data", "DIR", "the photos, one folder per identity (required)"},
       {"--pairs", "FILE", "LFW pairs file(s) naming the identities (repeatable)"},
       {"--named-photos", "", "only the photos the pairs files name"},
       {"--exclude-pairs", "FILE", "leave out the identities this pairs file names (repeatable)"},
       {"--threshold", "T", "measure this threshold too (repeatable)"},
       {"--templates", "K", "templates per enrolled user (default 5, the library's enroll)"},
       {"--window", "W", "frames per fused attempt (default 5)"},
       {"--required", "R", "accepting frames a fused attempt needs (default 3)"},
       {"--json", "", "print JSON"},
       jobs_flag()}};
  for (FlagSpec& f : face_model_flags()) spec.flags.push_back(f);
  return spec;
}

struct Level {
  std::string name;
  float threshold = 0.0f;
};

// The levels the model carries, loosest first as the metadata names them.
std::vector<Level> model_levels(const nn::Model& embedder) {
  const char* const keys[] = {"embedder.threshold", "embedder.threshold.far_1e-3",
                              "embedder.threshold.far_1e-4", "embedder.threshold.far_2e-5"};
  std::vector<Level> levels;
  for (const char* key : keys) {
    auto it = embedder.metadata.properties.find(key);
    if (it == embedder.metadata.properties.end()) continue;
    char* end = nullptr;
    const float value = std::strtof(it->second.c_str(), &end);
    if (it->second.empty() || *end != '\0' || !std::isfinite(value)) {
      throw Error(std::string("cannot read threshold (") + key + " = '" + it->second +
                  "'): not a number; recalibrate the model");
    }
    const std::string name = key;
    levels.push_back({name == "embedder.threshold" ? "default" : name.substr(19), value});
  }
  return levels;
}

std::string rate(const train::ErrorCount& c) {
  char text[64];
  std::snprintf(text, sizeof text, "%.3g (%llu/%llu)", c.rate(),
                static_cast<unsigned long long>(c.errors),
                static_cast<unsigned long long>(c.trials));
  return text;
}

// With the 95% upper bound, for false accepts: a count of 0 must not read as a rate of 0.
std::string rate_bounded(const train::ErrorCount& c) {
  char text[32];
  std::snprintf(text, sizeof text, " <=%.2g", train::rate_upper_bound(c));
  return rate(c) + text;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

void write_count(JsonWriter& out, const char* name, const train::ErrorCount& c) {
  out.key(name).begin_object().key("rate").value(c.rate()).key("errors").value(c.errors);
  out.key("trials").value(c.trials).key("upper_95").value(train::rate_upper_bound(c));
  out.end_object();
}

int run_far(const ParsedArgs& parsed) {
  PhotoSetSpec set_spec;
  set_spec.root = parsed.require("--data");
  set_spec.pairs_files = parsed.get_all("--pairs");
  set_spec.named_photos_only = parsed.has("--named-photos");
  set_spec.exclude_pairs_files = parsed.get_all("--exclude-pairs");
  if (set_spec.named_photos_only && set_spec.pairs_files.empty()) {
    throw UsageError("--named-photos needs --pairs");
  }
  train::EnrollmentProtocol protocol;
  protocol.templates = static_cast<int>(parsed.get_int("--templates", 5, 1, 32));
  protocol.window = static_cast<int>(parsed.get_int("--window", 5, 1, 64));
  protocol.required = static_cast<int>(parsed.get_int("--required", 3, 1, 64));
  if (protocol.required > protocol.window) {
    throw UsageError("--required " + std::to_string(protocol.required) + " exceeds --window " +
                     std::to_string(protocol.window));
  }
  const int jobs = parse_jobs(parsed);
  const auto detector = load_detector(parsed);
  const auto embedder = load_embedder(parsed);
  std::vector<Level> levels = model_levels(*embedder);
  for (const std::string& text : parsed.get_all("--threshold")) {
    char* end = nullptr;
    const float value = std::strtof(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(value >= -1.0f && value <= 1.0f)) {
      throw UsageError("--threshold: '" + text + "' is not a number from -1 to 1");
    }
    levels.push_back({"--threshold " + text, value});
  }
  if (levels.empty()) {
    throw Error("cannot measure error rates (model " + embedder->metadata.name +
                "): it carries no thresholds; pass --threshold");
  }
  std::vector<float> thresholds;
  for (const Level& l : levels) thresholds.push_back(l.threshold);

  const PhotoSet photos = load_photo_set(set_spec);
  const EmbeddedSet set =
      embed_set(photos.paths, photos.labels, detector, embedder, selected_backend(parsed), jobs);
  std::vector<std::vector<float>> embeddings;
  for (const train::EmbeddedImage& p : set.photos) embeddings.push_back(p.embedding);
  const std::vector<train::PairRates> pairs =
      train::all_pairs_rates(embeddings, photos.labels, thresholds, jobs);
  std::map<int, int> per_identity;
  for (const int label : photos.labels) ++per_identity[label];
  bool can_enroll = false;
  for (const auto& [label, count] : per_identity) {
    can_enroll = can_enroll || count >= protocol.templates + protocol.window;
  }
  train::EnrolledReport enrolled;
  if (can_enroll) {
    enrolled = train::enrolled_rates(embeddings, photos.labels, thresholds, protocol, jobs);
  }

  if (parsed.has("--json")) {
    JsonWriter out(std::cout);
    out.begin_object().key("model").value(embedder->metadata.name);
    out.key("photos_set").value(photos.name);
    out.key("photos").value(static_cast<std::uint64_t>(photos.paths.size()));
    out.key("identities").value(static_cast<std::uint64_t>(photos.identities));
    out.key("photos_without_face").value(static_cast<std::uint64_t>(set.no_face));
    out.key("protocol").begin_object().key("templates").value(protocol.templates);
    out.key("window").value(protocol.window).key("required").value(protocol.required);
    out.key("users").value(enrolled.users);
    out.key("impostor_attempts").value(enrolled.impostor_attempts).end_object();
    out.key("levels").begin_array();
    for (std::size_t l = 0; l < levels.size(); ++l) {
      out.begin_object().key("level").value(levels[l].name);
      out.key("threshold").value(levels[l].threshold);
      out.key("all_pairs").begin_object();
      write_count(out, "false_accepts", pairs[l].false_accepts);
      write_count(out, "false_rejects", pairs[l].false_rejects);
      out.end_object();
      if (can_enroll) {
        const train::EnrolledRates& e = enrolled.levels[l];
        out.key("enrolled").begin_object();
        write_count(out, "frame_false_accepts", e.frame_false_accepts);
        write_count(out, "frame_false_rejects", e.frame_false_rejects);
        out.key("fused_far").value(e.fused_far).key("fused_frr").value(e.fused_frr);
        out.end_object();
      }
      out.end_object();
    }
    out.end_array().end_object();
    return kExitOk;
  }
  std::cout << embedder->metadata.name << " on " << photos.name << ": " << photos.paths.size()
            << " photos of " << photos.identities << " identities (no face in " << set.no_face
            << ")\n";
  std::cout << "(<=: the one-sided 95% upper bound of a false-accept rate, pairs taken as "
               "independent)\n";
  std::cout << "all pairs, one template, one frame (" << pairs[0].false_rejects.trials << " same, "
            << pairs[0].false_accepts.trials << " different pairs):\n";
  char line[512];
  for (std::size_t l = 0; l < levels.size(); ++l) {
    std::snprintf(line, sizeof line, "  %-20s %9.6f  FAR %-38s FRR %s\n", levels[l].name.c_str(),
                  levels[l].threshold, rate_bounded(pairs[l].false_accepts).c_str(),
                  rate(pairs[l].false_rejects).c_str());
    std::cout << line;
  }
  if (!can_enroll) {
    std::cout << "enrolled: no identity has the " << protocol.templates + protocol.window
              << " photos a user needs (" << protocol.templates << " templates + "
              << protocol.window << " frames); lower --templates or --window\n";
    return kExitOk;
  }
  std::cout << "enrolled, " << protocol.templates << " templates per user, 1:1 (" << enrolled.users
            << " users; fused: " << protocol.required << " of " << protocol.window
            << " distinct photos, " << enrolled.genuine_attempts << " genuine and "
            << enrolled.impostor_attempts << " impostor attempts):\n";
  for (std::size_t l = 0; l < levels.size(); ++l) {
    const train::EnrolledRates& e = enrolled.levels[l];
    std::snprintf(line, sizeof line,
                  "  %-20s %9.6f  frame FAR %-36s FRR %-22s fused FAR %-9s FRR %s\n",
                  levels[l].name.c_str(), levels[l].threshold,
                  rate_bounded(e.frame_false_accepts).c_str(), rate(e.frame_false_rejects).c_str(),
                  number(e.fused_far).c_str(), number(e.fused_frr).c_str());
    std::cout << line;
  }
  return kExitOk;
}

}  // namespace

const Command kFarCommand = {
    "far", "measure the false-accept and false-reject rate of each security level", far_spec,
    run_far};

}  // namespace fu::tools
