// `faceunlock quantize`: an int8 copy of a float embedder (train/quantize_model.h) and a report
// of what it costs and gains: file size, native speed per chip on each backend, and, given LFW,
// accuracy before and after by the same code as `faceunlock eval`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "evaluation_report.h"
#include "face_cli.h"
#include "nn/network.h"
#include "train/lfw_pairs.h"
#include "train/metrics.h"
#include "train/quantize_model.h"
#include "unlock/embedder_identity.h"

namespace fu::tools {
namespace {

CommandSpec quantize_spec() {
  CommandSpec spec{
      kQuantizeCommand.name,
      "IN OUT --calibrate DIR [--aligned] [--samples N] [--lfw DIR --pairs FILE] [--json]",
      kQuantizeCommand.summary,
      "Writes OUT: IN with int8 weights (one symmetric scale per output channel) and int8\n"
      "activations between the float input and output, their ranges the min/max the float\n"
      "network reaches on --samples face chips of --calibrate (and their mirror images).\n"
      "--calibrate takes identity folders of photos (through the detector and aligner, as\n"
      "eval does) or, with --aligned, of aligned crops (resized only). Never calibrate on the\n"
      "data you report (LFW): use e.g. ../shared/data/celeba-align-10k, and mind its terms\n"
      "(CelebA: non-commercial research). OUT keeps IN's thresholds; recalibrate them with\n"
      "`faceunlock calibrate --model OUT` as for a float model. The report gives both files'\n"
      "sizes, the milliseconds per chip of each network on each backend of this build, and\n"
      "with --lfw and --pairs the 10-fold accuracy of both on those pairs (as eval).\n"
      "Both networks also embed 100 chips the calibration did not see: when every cosine\n"
      "between the two embeddings of a chip is at least --same-embedder (default 0.999), OUT\n"
      "declares IN's embedder identity (metadata embedder.identity), so templates enrolled with\n"
      "IN stay valid under OUT; otherwise OUT is another embedder and refuses IN's templates.\n",
      {"IN", "OUT"},
      {{"--calibrate", "DIR", "calibration faces: identity folders (repeatable; required)"},
       {"--aligned", "", "--calibrate holds aligned crops: resize only, no detection"},
       {"--samples", "N", "calibration chips, evenly spaced over the set (default 300)"},
       {"--lfw", "DIR", "LFW photos, for accuracy before and after (needs --pairs)"},
       {"--pairs", "FILE", "LFW pairs file for --lfw (View 2 is pairs.txt)"},
       {"--runs", "N", "timed runs per backend and model (default 10)"},
       {"--float-last-layer", "", "keep the last weighted layer (the embedding) in float"},
       {"--ranges", "RULE", "minmax (default) or mean: each value's range from the samples"},
       {"--activation-bits", "N",
        "8 (default): each activation's range on the levels -128..127; 7: on 0..127"},
       {"--same-embedder", "COSINE",
        "lowest embedding cosine at which OUT keeps IN's identity (default 0.999; 1.01: never)"},
       {"--json", "", "print JSON"},
       jobs_flag()}};
  for (FlagSpec& f : detector_flags()) spec.flags.push_back(f);
  return spec;
}

// Median milliseconds of one batch-1 run, after one untimed run.
double milliseconds_per_chip(std::shared_ptr<const nn::Model> model, nn::Backend backend,
                             int runs) {
  nn::NetworkOptions options;
  options.backend = backend;
  nn::Network net(std::move(model), options);
  nn::Tensor x(net.input_shape());
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>((i * 7919) % 255) / 255.0f - 0.5f;
  net.run(x);
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    const auto start = std::chrono::steady_clock::now();
    net.run(x);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

train::KFoldAccuracy lfw_accuracy(const std::vector<train::LfwPair>& pairs,
                                  std::shared_ptr<const nn::Model> detector,
                                  std::shared_ptr<const nn::Model> embedder, nn::Backend backend,
                                  int jobs) {
  std::map<std::string, std::size_t> index;
  std::map<std::string, int> identity;
  std::vector<std::string> paths;
  std::vector<int> labels;
  auto add = [&](const std::string& path, const std::string& name) {
    if (index.count(path)) return;
    index[path] = paths.size();
    paths.push_back(path);
    labels.push_back(identity.emplace(name, static_cast<int>(identity.size())).first->second);
  };
  for (const train::LfwPair& p : pairs) {
    add(p.path_a, p.name_a);
    add(p.path_b, p.name_b);
  }
  const EmbeddedSet set = embed_set(paths, labels, detector, embedder, backend, jobs);
  std::vector<train::ScoredPair> scored;
  for (const train::LfwPair& p : pairs) {
    scored.push_back(
        {dot(set.photos[index[p.path_a]].embedding, set.photos[index[p.path_b]].embedding), p.same,
         p.fold});
  }
  return train::k_fold_accuracy(scored);
}

int run_quantize(const ParsedArgs& parsed) {
  const std::string in_path = parsed.positional(0);
  const std::string out_path = parsed.positional(1);
  const std::vector<std::string> roots = parsed.get_all("--calibrate");
  if (roots.empty()) throw UsageError("quantize needs --calibrate DIR (face photos, never LFW)");
  if (parsed.has("--lfw") != parsed.has("--pairs")) {
    throw UsageError("--lfw and --pairs go together");
  }
  const int samples = static_cast<int>(parsed.get_int("--samples", 300, 1, 1000000));
  const int runs = static_cast<int>(parsed.get_int("--runs", 10, 1, 10000));
  const int jobs = parse_jobs(parsed);
  const bool json = parsed.has("--json");
  const nn::Backend backend = selected_backend(parsed);

  const auto source = std::make_shared<const nn::Model>(nn::load_model(in_path));
  train::QuantizeModelOptions options;
  options.source_name = std::filesystem::path(in_path).filename().string();
  options.calibration_roots = roots;
  options.samples = samples;
  options.graph.float_last_layer = parsed.has("--float-last-layer");
  options.graph.activation_bits = static_cast<int>(parsed.get_int("--activation-bits", 8, 7, 8));
  const std::string rule = parsed.get("--ranges", "minmax");
  if (rule != "minmax" && rule != "mean") {
    throw UsageError("--ranges is '" + rule + "': expected minmax or mean");
  }
  options.range_rule = rule == "mean" ? nn::RangeRule::kMeanOfExtremes : nn::RangeRule::kMinMax;
  options.dataset.mode =
      parsed.has("--aligned") ? train::DatasetMode::kAligned : train::DatasetMode::kPhotos;
  options.dataset.backend = backend;
  options.dataset.jobs = jobs;
  const auto detector = load_detector(parsed);
  if (options.dataset.mode == train::DatasetMode::kPhotos) options.dataset.detector = detector;
  ProgressBar bar("calibration faces", !json);
  options.dataset.progress = [&](std::size_t done, std::size_t total) { bar.update(done, total); };
  const double same_embedder = parsed.get_double("--same-embedder", 0.999, 0.0, 2.0);
  train::QuantizedModel quantized = train::quantize_model(*source, options);
  // The identity is the contract with stored templates (unlock/embedder_identity.h): keep the
  // source's only when the int8 embeddings are, chip for chip, the float ones.
  const bool keeps_identity =
      quantized.agreement.chips > 0 && quantized.agreement.min_cosine >= same_embedder;
  if (keeps_identity) {
    quantized.model.metadata.properties[unlock::kEmbedderIdentityKey] =
        unlock::embedder_identity(*source);
  } else {
    quantized.model.metadata.properties.erase(unlock::kEmbedderIdentityKey);
  }
  nn::save_model(quantized.model, out_path);
  // The report measures the file as saved, loaded back the way every user will load it.
  const auto result = std::make_shared<const nn::Model>(nn::load_model(out_path));

  const std::uintmax_t in_bytes = std::filesystem::file_size(in_path);
  const std::uintmax_t out_bytes = std::filesystem::file_size(out_path);
  struct Speed {
    nn::Backend backend;
    double before_ms;
    double after_ms;
  };
  std::vector<Speed> speeds;
  for (nn::Backend b : nn::available_backends()) {
    speeds.push_back(
        {b, milliseconds_per_chip(source, b, runs), milliseconds_per_chip(result, b, runs)});
  }
  std::optional<train::KFoldAccuracy> before, after;
  if (parsed.has("--lfw")) {
    const auto pairs = train::read_lfw_pairs(parsed.get("--pairs", ""), parsed.get("--lfw", ""));
    before = lfw_accuracy(pairs, detector, source, backend, jobs);
    after = lfw_accuracy(pairs, detector, result, backend, jobs);
  }

  if (json) {
    JsonWriter out(std::cout);
    out.begin_object();
    out.key("in").value(in_path).key("out").value(out_path);
    out.key("calibration_chips").value(quantized.chips);
    out.key("agreement_chips").value(quantized.agreement.chips);
    out.key("min_cosine").value(quantized.agreement.min_cosine);
    out.key("mean_cosine").value(quantized.agreement.mean_cosine);
    out.key("keeps_identity").value(keeps_identity);
    out.key("bytes_before").value(static_cast<std::uint64_t>(in_bytes));
    out.key("bytes_after").value(static_cast<std::uint64_t>(out_bytes));
    out.key("ms_per_chip").begin_array();
    for (const Speed& s : speeds) {
      out.begin_object().key("backend").value(nn::backend_name(s.backend));
      out.key("before").value(s.before_ms).key("after").value(s.after_ms).end_object();
    }
    out.end_array();
    if (before) {
      out.key("accuracy_before").value(before->mean).key("std_before").value(before->sample_std);
      out.key("accuracy_after").value(after->mean).key("std_after").value(after->sample_std);
    }
    out.end_object();
    std::cout << "\n";
    return kExitOk;
  }
  std::cerr << quantized.dataset_summary.text();
  std::printf("%s -> %s (calibrated on %d chips and their mirrors)\n", in_path.c_str(),
              out_path.c_str(), quantized.chips);
  std::printf("embeddings of %d held-out chips: cosine to the float ones min %.5f, mean %.5f: %s\n",
              quantized.agreement.chips, quantized.agreement.min_cosine,
              quantized.agreement.mean_cosine,
              keeps_identity ? "same embedder, IN's templates stay valid"
                             : "another embedder, IN's templates must be enrolled again");
  std::printf("size: %ju -> %ju bytes (%.2fx smaller)\n", in_bytes, out_bytes,
              static_cast<double>(in_bytes) / static_cast<double>(out_bytes));
  for (const Speed& s : speeds) {
    std::printf("%-9s %8.2f -> %8.2f ms per chip (%.2fx)\n", nn::backend_name(s.backend),
                s.before_ms, s.after_ms, s.before_ms / s.after_ms);
  }
  if (before) {
    std::printf("LFW %s: %.2f%% +- %.2f -> %.2f%% +- %.2f\n", parsed.get("--pairs", "").c_str(),
                100.0 * before->mean, 100.0 * before->sample_std, 100.0 * after->mean,
                100.0 * after->sample_std);
  }
  return kExitOk;
}

}  // namespace

extern const Command kQuantizeCommand = {
    "quantize", "make an int8 copy of a float embedder, calibrated on face photos", quantize_spec,
    run_quantize};

}  // namespace fu::tools
