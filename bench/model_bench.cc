// Whole-network milliseconds of model files (.fum) on each backend of the build, one thread,
// batch 1: natively `build/bench/model_bench MODEL...`, in WebAssembly
// `node --no-experimental-fetch --no-liftoff build-wasm/bench/model_bench.cjs MODEL...` (the
// files are read from the real file system there too). The runs are interleaved, one of each
// (model, backend) per round, and the fastest and the median of each are printed: on a shared
// machine preemption only ever adds time, so the fastest is the better estimate of the cost, and
// interleaving gives every row the same share of the machine's load.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "nn/model.h"
#include "nn/network.h"

namespace {

struct Row {
  std::string model;
  const char* backend;
  std::unique_ptr<fu::nn::Network> net;
  fu::nn::Tensor input;
  std::vector<double> ms;
};

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
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--min-time") == 0 && i + 1 < argc) {
      min_seconds = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--reference") == 0) {
      reference = true;
    } else if (argv[i][0] == '-') {
      std::fprintf(stderr,
                   "usage: model_bench [--runs N] [--min-time SECONDS] [--reference] MODEL...\n");
      return 2;
    } else {
      paths.push_back(argv[i]);
    }
  }
  if (paths.empty()) {
    std::fprintf(stderr,
                 "usage: model_bench [--runs N] [--min-time SECONDS] [--reference] MODEL...\n");
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
  return 0;
}
