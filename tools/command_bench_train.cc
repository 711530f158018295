// `faceunlock bench-train`: our trainer and PyTorch train the same architecture (the same graph
// and weights, written as JSON for tools/reference/torch_graph.py) with the same batch of random
// pairs for the same number of steps, in one run, on the same thread count.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "nn/graph_passes.h"
#include "nn/ops/sgemm.h"
#include "train/architecture.h"
#include "train/trainer.h"

namespace fu::tools {
namespace {

namespace fs = std::filesystem;

CommandSpec bench_train_spec() {
  return {
      kBenchTrainCommand.name,
      "[--arch NAME] [--width W] [--input-size PIXELS] [--batch PAIRS] [--steps N]",
      kBenchTrainCommand.summary,
      "Both sides run contrastive training steps (forward of the batch [a; b], loss, "
      "backward, SGD with momentum) on random inputs; data loading and augmentation are not "
      "timed on either side. PyTorch runs through /usr/bin/python3 "
      "tools/reference/torch_graph.py (Debian's python3-torch); without it only our figure "
      "is printed.\n",
      {},
      {{"--arch", "NAME", "mobilefacenet (default) or tiny"},
       {"--width", "W", "channel multiplier (default 0.5)"},
       {"--input-size", "PIXELS", "input size (default 112)"},
       {"--batch", "PAIRS", "pairs per step (default 32)"},
       {"--steps", "N", "timed steps (default 10)"},
       {"--warmup", "N", "PyTorch's untimed steps first (default 2; ours: one epoch of --steps)"},
       {"--threads", "N", "threads for both sides (default 1)"},
       {"--json", "", "print JSON"}}};
}

// The graph in torch_graph.py's "graph" format.
void write_graph_json(JsonWriter& j, const nn::Graph& g, const nn::Shape& input) {
  j.begin_object();
  j.key("values").begin_array();
  for (const std::string& v : g.values) j.value(v);
  j.end_array();
  j.key("input").value(g.input);
  j.key("outputs").begin_array();
  for (int id : g.outputs) j.value(id);
  j.end_array();
  j.key("input_shape").shape(input.n, input.h, input.w, input.c);
  j.key("nodes").begin_array();
  for (const nn::Node& n : g.nodes) {
    j.begin_object();
    j.key("op").value(nn::op_type_name(n.op));
    j.key("name").value(n.name);
    j.key("inputs").begin_array();
    for (int id : n.inputs) j.value(id);
    j.end_array();
    j.key("output").value(n.output);
    j.key("attributes").begin_object();
    for (const auto& [k, v] : n.attributes.numbers()) j.key(k).value(v);
    for (const auto& [k, v] : n.attributes.strings()) j.key(k).value(v);
    j.end_object();
    j.key("weights").begin_object();
    for (const auto& [role, w] : n.weights) {
      j.key(role).begin_object();
      j.key("dims").begin_array();
      for (int d : w.dims) j.value(d);
      j.end_array();
      j.key("data").floats(w.data);
      j.end_object();
    }
    j.end_object();
    j.end_object();
  }
  j.end_array();
  j.end_object();
}

std::string torch_script() {
  if (const char* p = std::getenv("FACEUNLOCK_TORCH_GRAPH"); p != nullptr && *p != '\0') return p;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (fs::path dir = ec ? fs::current_path() : exe.parent_path(); !dir.empty();
       dir = dir.parent_path()) {
    const fs::path candidate = dir / "tools" / "reference" / "torch_graph.py";
    if (fs::exists(candidate, ec)) return candidate.string();
    if (dir == dir.parent_path()) break;
  }
  return "";
}

// A number after "key": in the script's one-object result.
double json_number(const std::string& text, const std::string& key) {
  const std::size_t at = text.find("\"" + key + "\"");
  if (at == std::string::npos) return NAN;
  const std::size_t colon = text.find(':', at);
  return colon == std::string::npos ? NAN : std::strtod(text.c_str() + colon + 1, nullptr);
}

// PyTorch's pairs per second, or NaN with the reason in `why`.
double torch_pairs_per_second(const nn::Graph& graph, const nn::Shape& input, int batch, int steps,
                              int warmup, int threads, std::string* why) {
  const std::string script = torch_script();
  if (script.empty()) {
    *why = "tools/reference/torch_graph.py not found (set FACEUNLOCK_TORCH_GRAPH)";
    return NAN;
  }
  const fs::path dir = fs::temp_directory_path();
  const std::string tag = std::to_string(std::random_device{}());
  const fs::path request = dir / ("faceunlock_bench_train_" + tag + ".json");
  const fs::path result = dir / ("faceunlock_bench_train_" + tag + ".out.json");
  {
    std::ofstream out(request);
    JsonWriter j(out, true);
    j.begin_object();
    j.key("mode").value("bench");
    j.key("threads").value(threads);
    j.key("batch").value(batch);
    j.key("steps").value(steps);
    j.key("warmup").value(warmup);
    j.key("margin").value(1.0);
    j.key("batch_mode").value("concat");
    j.key("optimizer").begin_object();
    j.key("kind").value("sgd");
    j.key("lr").value(0.01);
    j.key("momentum").value(0.9);
    j.key("weight_decay").value(5e-4);
    j.end_object();
    j.key("graph");
    write_graph_json(j, graph, input);
    j.end_object();
  }
  const std::string command =
      "/usr/bin/python3 '" + script + "' '" + request.string() + "' '" + result.string() + "' 2>&1";
  std::string output;
  if (std::FILE* p = popen(command.c_str(), "r")) {
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, p) != nullptr) output += buffer;
    const int status = pclose(p);
    if (status != 0) *why = "torch_graph.py failed: " + output;
  } else {
    *why = "cannot run /usr/bin/python3";
  }
  std::ifstream in(result);
  std::stringstream text;
  text << in.rdbuf();
  std::error_code ignored;
  fs::remove(request, ignored);
  fs::remove(result, ignored);
  if (!why->empty()) return NAN;
  return json_number(text.str(), "pairs_per_second");
}

int run_bench_train(const ParsedArgs& parsed) {
  train::ArchitectureOptions arch;
  arch.name = parsed.get("--arch", "mobilefacenet");
  arch.width = parsed.get_double("--width", 0.5, 0.125, 4.0);
  arch.input_size = static_cast<int>(parsed.get_int("--input-size", 112, 16, 512));
  const int batch = static_cast<int>(parsed.get_int("--batch", 32, 2, 1024));
  const int steps = static_cast<int>(parsed.get_int("--steps", 10, 1, 100000));
  const int warmup = static_cast<int>(parsed.get_int("--warmup", 2, 0, 1000));
  const int threads = static_cast<int>(parsed.get_int("--threads", 1, 1, 64));
  nn::ops::set_gemm_threads(threads);
  const nn::Model model = train::build_architecture(arch);

  // Random faces of two identities: the loop as it trains, without augmentation.
  train::FaceDataset data;
  data.chip_width = data.chip_height = arch.input_size;
  data.identities = {{"a", "random", 0}, {"b", "random", 0}};
  std::mt19937 rng(1);
  for (int i = 0; i < 2 * batch; ++i) {
    image::Image chip(arch.input_size, arch.input_size, 3);
    for (std::size_t k = 0; k < chip.size_bytes(); ++k) chip.data()[k] = rng() & 255;
    data.samples.push_back({i % 2, "random", std::move(chip)});
  }
  train::TrainerOptions options;
  options.batch = batch;
  options.epochs = 2;  // the first warms up (allocations, packing); the second is timed
  options.steps_per_epoch = steps;
  options.augment = false;
  options.lr = 0.01f;
  options.optimizer.kind = train::OptimizerKind::kSgd;
  options.optimizer.weight_decay = 5e-4f;
  options.threads = threads;
  train::Trainer trainer(model, data, options);
  trainer.run_epoch(nullptr);
  const train::EpochSummary ours = trainer.run_epoch(nullptr);

  std::string why;
  const double theirs = torch_pairs_per_second(model.graph, model.metadata.input_shape(2 * batch),
                                               batch, steps, warmup, threads, &why);
  if (parsed.has("--json")) {
    JsonWriter j(std::cout);
    j.begin_object();
    j.key("architecture").value(model.metadata.name);
    j.key("batch").value(batch);
    j.key("steps").value(steps);
    j.key("threads").value(threads);
    j.key("faceunlock_pairs_per_second").value(ours.pairs_per_second);
    j.key("torch_pairs_per_second").value(theirs);
    j.key("ratio").value(ours.pairs_per_second / theirs);
    if (!why.empty()) j.key("torch_error").value(why);
    j.end_object();
  } else {
    std::printf("%s, batch %d pairs, %d steps, %d thread(s)\n", model.metadata.name.c_str(), batch,
                steps, threads);
    std::printf("  faceunlock  %8.1f pairs/s\n", ours.pairs_per_second);
    if (why.empty()) {
      std::printf("  pytorch     %8.1f pairs/s\n", theirs);
      std::printf("  ratio       %8.2f (faceunlock / pytorch)\n", ours.pairs_per_second / theirs);
    } else {
      std::printf("  pytorch     not measured: %s\n", why.c_str());
    }
  }
  return kExitOk;
}

}  // namespace

const Command kBenchTrainCommand = {
    "bench-train", "training speed: our trainer against PyTorch on the same network",
    bench_train_spec, run_bench_train};

}  // namespace fu::tools
