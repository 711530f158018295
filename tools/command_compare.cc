// `faceunlock compare`: how closely two embedders agree on the same faces
// (train/embedding_agreement.h). A student's cosine to its teacher on the faces it was distilled
// on against faces it never saw tells whether it is short of capacity (both low) or of data
// (only the unseen ones low). A thin shell: it parses, makes the chips, reports.
#include <algorithm>
#include <iostream>
#include <memory>

#include "base/error.h"
#include "chip_dataset_cli.h"
#include "cli.h"
#include "commands.h"
#include "face_cli.h"
#include "image/resize.h"
#include "nn/model.h"
#include "train/embedding_agreement.h"
#include "train/face_dataset.h"
#include "train/yaw_warp.h"

namespace fu::tools {
namespace {

CommandSpec compare_spec() {
  CommandSpec spec{
      kCompareCommand.name,
      "A B --data DIR [--aligned] [--samples N] [--b-pixels N] [--yaw D] [--json]",
      kCompareCommand.summary,
      "Embeds --samples face chips of --data (identity folders; through the detector and the\n"
      "aligner of A, or resized with --aligned) with both embedders and prints the mean and the\n"
      "lowest cosine between their embeddings of the same chip. A and B must take the same\n"
      "input (size and pixel normalisation); the chips are aligned for A. With --b-pixels N, B\n"
      "sees each chip scaled down to N x N pixels and back up: a lower-resolution face. With\n"
      "--yaw D, both see every chip turned D degrees, left and right alternately (the head\n"
      "turns of `train --yaw`): how well B follows A on faces that do not look at the camera.\n",
      {"A", "B"},
      {{"--data", "DIR", "face photos: identity folders (repeatable; required)"},
       {"--aligned", "", "--data holds aligned crops: resize only, no detection"},
       {"--samples", "N", "chips compared, evenly spaced over the set (default 500)"},
       {"--b-pixels", "N", "B sees every chip at N x N pixels, scaled back up (default: as is)"},
       {"--yaw", "DEGREES", "both see every chip turned this far, left and right alternately"},
       {"--cache", "FILE", "cache of aligned chips (as `faceunlock train --cache`)"},
       {"--json", "", "print JSON"},
       jobs_flag()}};
  for (FlagSpec& f : detector_flags()) spec.flags.push_back(f);
  return spec;
}

int run_compare(const ParsedArgs& parsed) {
  const std::string a_path = parsed.positional(0);
  const std::string b_path = parsed.positional(1);
  const std::vector<std::string> roots = parsed.get_all("--data");
  if (roots.empty()) throw UsageError("compare needs --data DIR (identity folders of faces)");
  const auto samples = static_cast<std::size_t>(parsed.get_int("--samples", 500, 1, 10000000));
  const bool json = parsed.has("--json");
  const bool turn = parsed.has("--yaw");
  if (turn && parsed.has("--aligned")) {
    throw UsageError("--yaw needs photos that faceunlock aligns itself, not --aligned crops");
  }
  const double yaw_degrees =
      turn ? parsed.get_double("--yaw", 0, 0, train::YawWarp::kMaxYawDegrees) : 0.0;

  const nn::Model a = nn::load_model(a_path);
  const nn::Model b = nn::load_model(b_path);
  const nn::ModelMetadata& am = a.metadata;
  const nn::ModelMetadata& bm = b.metadata;
  if (am.input_shape() != bm.input_shape() || am.pixel_mean != bm.pixel_mean ||
      am.pixel_scale != bm.pixel_scale) {
    throw Error("cannot compare " + a_path + " with " + b_path +
                ": they take different inputs (size or pixel normalisation), so the same chip "
                "cannot feed both");
  }
  const auto detector = load_detector(parsed);
  train::FaceDatasetOptions data_options = chip_dataset_options(parsed, am, detector);
  ProgressBar bar("faces", !json);
  data_options.progress = [&](std::size_t done, std::size_t total) { bar.update(done, total); };
  const train::FaceDataset data = train::load_face_dataset(roots, data_options);
  if (data.samples.empty()) throw Error("cannot compare embedders: no face chips in --data");

  // The chips both see, turned when asked (only those compared are turned).
  const std::vector<std::size_t> chips = train::spread_chips(data.samples.size(), samples, 0);
  train::FaceDataset turned;
  if (turn) {
    const double radians = yaw_degrees * 3.14159265358979323846 / 180;
    const train::YawWarp warp(train::chip_face_points(am), am.input_width, am.input_height);
    turned.samples.resize(data.samples.size());
    for (std::size_t k = 0; k < chips.size(); ++k) {
      const double sign = k % 2 == 0 ? 1.0 : -1.0;
      turned.samples[chips[k]].chip = warp.apply(data.samples[chips[k]].chip, sign * radians);
    }
  }
  const train::FaceDataset& seen = turn ? turned : data;
  // B's chips, at a lower resolution when asked (only those compared are scaled).
  train::FaceDataset b_data;
  if (parsed.has("--b-pixels")) {
    const int pixels = static_cast<int>(parsed.get_int("--b-pixels", 0, 4, 4096));
    b_data.samples.resize(data.samples.size());
    for (const std::size_t i : chips) {
      const image::Image& chip = seen.samples[i].chip;
      b_data.samples[i].chip = image::resize_bilinear(image::resize_bilinear(chip, pixels, pixels),
                                                      chip.width(), chip.height());
    }
  }
  const train::EmbeddingAgreement agreement = train::embedding_agreement(
      a, seen, b, parsed.has("--b-pixels") ? b_data : seen, chips, data_options.backend);
  if (json) {
    JsonWriter out(std::cout);
    out.begin_object().key("a").value(a_path).key("b").value(b_path);
    out.key("chips").value(static_cast<std::uint64_t>(agreement.chips));
    out.key("mean_cosine").value(agreement.mean_cosine);
    out.key("min_cosine").value(agreement.min_cosine).end_object();
    std::cout << "\n";
  } else {
    std::printf("%s vs %s on %d chips: cosine mean %.4f, min %.4f\n", am.name.c_str(),
                bm.name.c_str(), agreement.chips, agreement.mean_cosine, agreement.min_cosine);
  }
  return kExitOk;
}

}  // namespace

extern const Command kCompareCommand = {
    "compare", "how closely two embedders agree on the same faces (cosine per face)", compare_spec,
    run_compare};

}  // namespace fu::tools
