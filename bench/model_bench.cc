// Whole-network milliseconds of model files (.fum) on each backend of the build, one thread,
// batch 1: natively `build/bench/model_bench MODEL...`, in WebAssembly
// `node --no-experimental-fetch --no-liftoff build-wasm/bench/model_bench.cjs MODEL...` (the
// files are read from the real file system there too). The runs are interleaved, one of each
// (model, backend) per round, and the fastest and the median of each are printed: on a shared
// machine preemption only ever adds time, so the fastest is the better estimate of the cost, and
// interleaving gives every row the same share of the machine's load.
//
// `--profile` then times every node (backends that run node by node: simd, reference) over the
// same number of interleaved rounds and prints the median milliseconds per node kind, one column
// per (model, backend), so that a float model and its int8 file sit side by side;
// `--profile-nodes` adds one line per node. The profile runs come after the whole-network runs,
// so its clock reads never touch the figures above it.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "nn/model.h"
#include "nn/network.h"
#include "nn/plan.h"

namespace {

constexpr const char* kUsage =
    "usage: model_bench [--runs N] [--min-time SECONDS] [--reference] [--profile] "
    "[--profile-nodes] MODEL...\n";

struct Row {
  std::string model;
  const char* backend;
  std::unique_ptr<fu::nn::Network> net;
  fu::nn::Tensor input;
  std::vector<double> ms;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// What a node costs depends on its op and, for the windowed ops, on its window and stride: the
// profile groups nodes by this label ("conv2d 3x3/2", "depthwise_conv2d 3x3", "prelu").
std::string node_kind(const fu::nn::PlannedNode& n) {
  std::string kind = fu::nn::op_type_name(n.op);
  const fu::nn::Window2d* window = nullptr;
  if (n.op == fu::nn::OpType::kConv2d) window = &n.conv.window;
  if (n.op == fu::nn::OpType::kDepthwiseConv2d) window = &n.depthwise.window;
  if (window != nullptr) {
    kind += " " + std::to_string(window->kernel_h) + "x" + std::to_string(window->kernel_w);
    if (window->stride_h != 1 || window->stride_w != 1) {
      kind += "/" + std::to_string(window->stride_h);
    }
  }
  return kind;
}

std::string file_stem(const std::string& path) {
  std::string stem = path.substr(path.find_last_of('/') + 1);
  const std::size_t dot = stem.rfind(".fum");
  return dot == std::string::npos ? stem : stem.substr(0, dot);
}

// Median milliseconds per node over `rounds` interleaved runs of every row that can time nodes;
// rows that cannot get an empty vector.
std::vector<std::vector<double>> profile_nodes(std::vector<Row>& rows, int rounds) {
  std::vector<std::vector<std::vector<double>>> samples(rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].net->enable_node_timing()) {
      samples[r].resize(rows[r].net->plan().nodes.size());
      rows[r].net->run(rows[r].input);  // the first timed run pays nothing extra; skip it anyway
    }
  }
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (samples[r].empty()) continue;
      rows[r].net->run(rows[r].input);
      const std::vector<double> ms = rows[r].net->node_milliseconds();
      for (std::size_t i = 0; i < ms.size(); ++i) samples[r][i].push_back(ms[i]);
    }
  }
  std::vector<std::vector<double>> medians(rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (const std::vector<double>& node : samples[r]) medians[r].push_back(median(node));
  }
  return medians;
}

void print_profile(const std::vector<Row>& rows, const std::vector<std::vector<double>>& node_ms,
                   bool per_node) {
  std::vector<std::string> kinds;  // in order of first appearance
  std::vector<std::map<std::string, double>> ms_by_kind(rows.size());
  std::vector<std::map<std::string, int>> count_by_kind(rows.size());
  std::vector<std::size_t> columns;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (node_ms[r].empty()) continue;
    columns.push_back(r);
    const fu::nn::Plan& plan = rows[r].net->plan();
    for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
      const std::string kind = node_kind(plan.nodes[i]);
      if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
      ms_by_kind[r][kind] += node_ms[r][i];
      ++count_by_kind[r][kind];
    }
  }
  if (columns.empty()) return;
  std::printf("\nmedian ms per node kind (nodes of that kind in brackets), columns in order:\n");
  for (std::size_t c = 0; c < columns.size(); ++c) {
    std::printf("  [%zu] %s %s\n", c + 1, file_stem(rows[columns[c]].model).c_str(),
                rows[columns[c]].backend);
  }
  std::printf("%-24s", "kind");
  for (std::size_t c = 0; c < columns.size(); ++c)
    std::printf(" %15s", ("[" + std::to_string(c + 1) + "]").c_str());
  std::printf("\n");
  for (const std::string& kind : kinds) {
    std::printf("%-24s", kind.c_str());
    for (std::size_t r : columns) {
      const auto it = ms_by_kind[r].find(kind);
      if (it == ms_by_kind[r].end()) {
        std::printf(" %15s", "-");
      } else {
        std::printf(" %9.3f (%3d)", it->second, count_by_kind[r][kind]);
      }
    }
    std::printf("\n");
  }
  std::printf("%-24s", "sum of nodes");
  for (std::size_t r : columns) {
    double total = 0;
    for (double ms : node_ms[r]) total += ms;
    std::printf(" %9.3f      ", total);
  }
  std::printf("\n");
  if (!per_node) return;
  for (std::size_t r : columns) {
    const fu::nn::Plan& plan = rows[r].net->plan();
    std::printf("\nmedian ms per node: %s %s\n", file_stem(rows[r].model).c_str(), rows[r].backend);
    std::printf("%4s %-32s %-24s %-6s %-16s %9s\n", "#", "node", "kind", "dtype", "output", "ms");
    for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
      const fu::nn::PlannedNode& n = plan.nodes[i];
      std::printf("%4zu %-32s %-24s %-6s %-16s %9.4f\n", i, n.node->name.c_str(),
                  node_kind(n).c_str(), plan.is_qs8(n.output) ? "int8" : "f32",
                  plan.shapes[n.output].str().c_str(), node_ms[r][i]);
    }
  }
}

double run_ms(Row& row) {
  const auto t0 = std::chrono::steady_clock::now();
  row.net->run(row.input);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 20;
  double min_seconds = 1.0;
  bool reference = false;
  bool profile = false;
  bool profile_per_node = false;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--min-time") == 0 && i + 1 < argc) {
      min_seconds = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--reference") == 0) {
      reference = true;
    } else if (std::strcmp(argv[i], "--profile") == 0) {
      profile = true;
    } else if (std::strcmp(argv[i], "--profile-nodes") == 0) {
      profile = profile_per_node = true;
    } else if (argv[i][0] == '-') {
      std::fputs(kUsage, stderr);
      return 2;
    } else {
      paths.push_back(argv[i]);
    }
  }
  if (paths.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::vector<Row> rows;
  for (const std::string& path : paths) {
    std::shared_ptr<const fu::nn::Model> model;
    try {
      model = std::make_shared<const fu::nn::Model>(fu::nn::load_model(path));
    } catch (const fu::Error& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return 1;
    }
    for (fu::nn::Backend backend : fu::nn::available_backends()) {
      if (backend == fu::nn::Backend::kReference && !reference) continue;
      fu::nn::NetworkOptions options;
      options.backend = backend;
      Row row{path,
              fu::nn::backend_name(backend),
              std::make_unique<fu::nn::Network>(model, options),
              fu::nn::Tensor(),
              {}};
      row.input = fu::nn::Tensor(row.net->input_shape());
      // Smooth values in [-1, 1], as a normalised face chip: no denormals, both signs.
      for (std::size_t i = 0; i < row.input.size(); ++i) {
        row.input[i] = std::sin(static_cast<float>(i) * 0.1f);
      }
      for (int i = 0; i < 3; ++i) run_ms(row);  // warm-up: caches, first-use allocations
      rows.push_back(std::move(row));
    }
  }
  // Rounds of one run of every row: the rows share whatever load the machine has, so their
  // ratios hold even when the absolute figures do not.
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0;
       round < runs ||
       std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <
           min_seconds;
       ++round) {
    for (Row& row : rows) row.ms.push_back(run_ms(row));
  }
  std::printf("%-44s %-9s %12s %12s\n", "model", "backend", "fastest ms", "median ms");
  for (Row& row : rows) {
    std::sort(row.ms.begin(), row.ms.end());
    std::printf("%-44s %-9s %12.3f %12.3f\n", row.model.c_str(), row.backend, row.ms.front(),
                row.ms[row.ms.size() / 2]);
  }
  if (profile) {
    const int rounds = static_cast<int>(rows.empty() ? 0 : rows.front().ms.size());
    print_profile(rows, profile_nodes(rows, rounds), profile_per_node);
  }
  return 0;
}
