// `faceunlock prune`: a narrower copy of a float embedder (train/channel_pruning.h), ranked on
// face chips, as the starting point of a distilled student (`faceunlock train --init OUT
// --teacher IN`). A thin shell: it parses, makes the chips, reports.
#include <filesystem>
#include <iostream>

#include "base/error.h"
#include "chip_dataset_cli.h"
#include "cli.h"
#include "commands.h"
#include "face/alignment.h"
#include "face/detector.h"
#include "face/metadata.h"
#include "face_cli.h"
#include "image/convert.h"
#include "nn/model.h"
#include "train/channel_pruning.h"
#include "train/embedding_agreement.h"
#include "train/face_dataset.h"
#include "unlock/embedder_identity.h"

namespace fu::tools {
namespace {

CommandSpec prune_spec() {
  CommandSpec spec{
      kPruneCommand.name,
      "IN OUT --calibrate DIR [--aligned] [--width W] [--inner-width W] [--samples N] [--json]",
      kPruneCommand.summary,
      "Writes OUT: IN (a float embedder) with fewer channels. Residual streams keep --width of\n"
      "their channels, every other prunable group --inner-width; the channels kept are those\n"
      "contributing most to the layers that read them on --samples face chips of --calibrate\n"
      "(identity folders; through the detector and aligner, or resized with --aligned). Never\n"
      "use the data you report on (LFW). OUT computes another embedding than IN: train it as a\n"
      "student of IN (`faceunlock train --init OUT --teacher IN ...`), then `faceunlock\n"
      "calibrate` it. OUT carries no thresholds until then.\n",
      {"IN", "OUT"},
      {{"--calibrate", "DIR", "face photos ranking the channels: identity folders (repeatable)"},
       {"--aligned", "", "--calibrate holds aligned crops: resize only, no detection"},
       {"--width", "W", "share of each residual stream's channels kept, (0, 1] (default 0.5)"},
       {"--inner-width", "W", "share kept of every other prunable group (default: --width)"},
       {"--multiple", "M", "kept channel counts are multiples of M (default 4)"},
       {"--samples", "N", "chips ranking the channels, evenly spaced over the set (default 200)"},
       {"--reconstruct", "N",
        "refit each narrowed layer to the original's outputs on N of the chips (default 64; 0: "
        "slice only)"},
       {"--cache", "FILE", "cache of aligned chips (as `faceunlock train --cache`)"},
       {"--json", "", "print JSON"},
       jobs_flag()}};
  for (FlagSpec& f : detector_flags()) spec.flags.push_back(f);
  return spec;
}

std::uint64_t parameter_count(const nn::Model& model) {
  std::uint64_t n = 0;
  for (const nn::Node& node : model.graph.nodes) {
    for (const auto& [role, weight] : node.weights) n += weight.element_count();
  }
  return n;
}

int run_prune(const ParsedArgs& parsed) {
  const std::string in_path = parsed.positional(0);
  const std::string out_path = parsed.positional(1);
  const std::vector<std::string> roots = parsed.get_all("--calibrate");
  if (roots.empty()) throw UsageError("prune needs --calibrate DIR (face photos, never LFW)");
  train::ChannelPruningOptions options;
  options.stream_width = parsed.get_double("--width", 0.5, 1e-6, 1.0);
  options.inner_width = parsed.get_double("--inner-width", options.stream_width, 1e-6, 1.0);
  options.multiple = static_cast<int>(parsed.get_int("--multiple", 4, 1, 1024));
  options.backend = selected_backend(parsed);
  const int samples = static_cast<int>(parsed.get_int("--samples", 200, 1, 1000000));
  options.reconstruct_inputs = static_cast<int>(parsed.get_int("--reconstruct", 64, 0, 100000));
  const bool json = parsed.has("--json");

  const nn::Model source = nn::load_model(in_path);
  const auto detector = load_detector(parsed);
  train::FaceDatasetOptions data_options = chip_dataset_options(parsed, source.metadata, detector);
  ProgressBar bar("calibration faces", !json);
  data_options.progress = [&](std::size_t done, std::size_t total) { bar.update(done, total); };
  const train::FaceDataset data = train::load_face_dataset(roots, data_options);
  if (data.samples.empty()) throw Error("cannot prune model (" + in_path + "): no face chips");

  const image::ChannelNormalization norm = face::pixel_normalization(source.metadata);
  const std::size_t used = std::min<std::size_t>(data.samples.size(), samples);
  std::vector<nn::Tensor> inputs;
  for (std::size_t k = 0; k < used; ++k) {
    nn::Tensor x(source.metadata.input_shape());
    const image::Image& chip = data.samples[k * data.samples.size() / used].chip;
    image::normalize_to_float(chip, norm, x.data(), x.size());
    inputs.push_back(std::move(x));
  }
  train::PrunedModel pruned = train::prune_channels(source, inputs, options);
  // How far the narrower network starts from the original: embedding cosines on chips halfway
  // between the ranking ones, which neither the ranking nor the refit saw.
  const std::size_t total = data.samples.size();
  const train::EmbeddingAgreement agreement = train::embedding_agreement(
      source, pruned.model, data,
      train::spread_chips(total, std::min<std::size_t>(used, 100), total / (2 * used)),
      options.backend);

  // Another network: the source's thresholds and template identity do not carry over.
  nn::ModelMetadata& m = pruned.model.metadata;
  for (auto it = m.properties.begin(); it != m.properties.end();) {
    const bool stale =
        it->first.rfind("embedder.threshold", 0) == 0 || it->first == unlock::kEmbedderIdentityKey;
    it = stale ? m.properties.erase(it) : std::next(it);
  }
  m.name = source.metadata.name + "-pruned";
  m.provenance =
      source.metadata.provenance + " | channel-pruned by `faceunlock prune` from " +
      std::filesystem::path(in_path).filename().string() + " (streams " +
      std::to_string(options.stream_width) + ", inner " + std::to_string(options.inner_width) +
      ", ranked on " + std::to_string(used) + " chips" +
      (options.reconstruct_inputs > 0 ? ", refitted on " + std::to_string(std::min<std::size_t>(
                                                               used, options.reconstruct_inputs))
                                      : std::string()) +
      ")";
  nn::save_model(pruned.model, out_path);

  const std::uint64_t params_before = parameter_count(source);
  const std::uint64_t params_after = parameter_count(pruned.model);
  if (json) {
    JsonWriter out(std::cout);
    out.begin_object();
    out.key("in").value(in_path).key("out").value(out_path);
    out.key("chips").value(static_cast<std::uint64_t>(used));
    out.key("multiply_adds_before").value(pruned.multiply_adds_before);
    out.key("multiply_adds_after").value(pruned.multiply_adds_after);
    out.key("parameters_before").value(params_before);
    out.key("parameters_after").value(params_after);
    out.key("held_out_chips").value(static_cast<std::uint64_t>(agreement.chips));
    out.key("mean_cosine_to_original").value(agreement.mean_cosine);
    out.key("min_cosine_to_original").value(agreement.min_cosine);
    out.key("groups").begin_array();
    for (const train::PrunedGroup& gr : pruned.groups) {
      out.begin_object().key("value").value(gr.value).key("stream").value(gr.stream);
      out.key("channels").value(gr.channels).key("kept").value(gr.kept).end_object();
    }
    out.end_array().end_object();
    std::cout << "\n";
  } else {
    for (const train::PrunedGroup& gr : pruned.groups) {
      std::printf("%-8s %-32s %4d -> %4d channels\n", gr.stream ? "stream" : "inner",
                  gr.value.c_str(), gr.channels, gr.kept);
    }
    std::printf("multiply-adds %.1f M -> %.1f M; parameters %.3f M -> %.3f M; wrote %s\n",
                pruned.multiply_adds_before / 1e6, pruned.multiply_adds_after / 1e6,
                params_before / 1e6, params_after / 1e6, out_path.c_str());
    std::printf("embedding cosine to the original on %d held-out chips: mean %.4f, min %.4f\n",
                agreement.chips, agreement.mean_cosine, agreement.min_cosine);
  }
  return kExitOk;
}

}  // namespace

extern const Command kPruneCommand = {
    "prune", "make a narrower copy of a float embedder, to train as a student", prune_spec,
    run_prune};

}  // namespace fu::tools
