// `faceunlock compress`: a float model's weights stored as float16 (nn::round_weights_to_half),
// for pages that download the model: half the file, the network still computes in float32. A
// thin shell: it loads, rounds, saves, reports what the rounding changed.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "nn/graph_passes.h"
#include "nn/model.h"

namespace fu::tools {
namespace {

CommandSpec compress_spec() {
  return CommandSpec{
      kCompressCommand.name,
      "IN OUT [--json]",
      kCompressCommand.summary,
      "Writes OUT: IN with every float32 weight rounded to the nearest float16 and stored in\n"
      "two bytes (a version 2 model file, docs/model-format.md). The network still computes\n"
      "in float32, so every backend runs OUT as it runs IN; only the weights move, by at most\n"
      "one part in 2048 of their size (below 2^-14, by at most 2^-25). uint8-affine and int8\n"
      "weights stay as they are. The\n"
      "rounding is lossy: check what the model computes afterwards (eval for an embedder,\n"
      "detect for a detector or landmark model). Metadata, thresholds and identity are\n"
      "copied; an embedder whose embeddings move may need `faceunlock calibrate` again.\n",
      {"IN", "OUT"},
      {{"--json", "", "print JSON"}}};
}

int run_compress(const ParsedArgs& parsed) {
  const std::string in_path = parsed.positional(0);
  const std::string out_path = parsed.positional(1);
  nn::Model model = nn::load_model(in_path);
  const nn::HalfRounding r = nn::round_weights_to_half(model.graph);
  if (r.weights == 0) {
    throw Error("cannot compress " + in_path + ": it has no float32 weights to store as float16");
  }
  nn::save_model(model, out_path);
  const std::uintmax_t in_bytes = std::filesystem::file_size(in_path);
  const std::uintmax_t out_bytes = std::filesystem::file_size(out_path);
  if (parsed.has("--json")) {
    JsonWriter out(std::cout);
    out.begin_object().key("in").value(in_path).key("out").value(out_path);
    out.key("in_bytes").value(static_cast<std::uint64_t>(in_bytes));
    out.key("out_bytes").value(static_cast<std::uint64_t>(out_bytes));
    out.key("weights").value(static_cast<std::uint64_t>(r.weights));
    out.key("values").value(static_cast<std::uint64_t>(r.values));
    out.key("largest_change").value(r.largest_change);
    out.key("largest_relative_change").value(r.largest_relative_change).end_object();
    std::cout << "\n";
  } else {
    std::printf(
        "%s: %ju -> %ju bytes; %zu weights (%zu values) rounded to float16, largest change %.3g "
        "(%.3g of the value, for values of at least 2^-14)\n",
        out_path.c_str(), in_bytes, out_bytes, r.weights, r.values, r.largest_change,
        r.largest_relative_change);
  }
  return kExitOk;
}

}  // namespace

extern const Command kCompressCommand = {
    "compress", "store a float model's weights as float16 (half the file, same float32 compute)",
    compress_spec, run_compress};

}  // namespace fu::tools
