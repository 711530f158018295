// Whole-network milliseconds of model files (.fum) on each backend of the build, one thread,
// batch 1: natively `build/bench/model_bench MODEL...`, in WebAssembly
// `node --no-experimental-fetch --no-liftoff build-wasm/bench/model_bench.cjs MODEL...` (the
// files are read from the real file system there too). Prints the fastest and the median of the
// timed runs: on a shared machine preemption only ever adds time, so the fastest is the better
// estimate of the cost and the median says how busy the machine was.
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

struct Timing {
  double fastest_ms, median_ms;
};

Timing time_network(fu::nn::Network& net, int runs, double min_seconds) {
  fu::nn::Tensor x(net.input_shape());
  // Smooth values in [-1, 1], as a normalised face chip: no denormals, both signs.
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i) * 0.1f);
  for (int i = 0; i < 3; ++i) net.run(x);  // warm-up: caches, first-use allocations
  std::vector<double> ms;
  const auto start = std::chrono::steady_clock::now();
  while (static_cast<int>(ms.size()) < runs ||
         std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <
             min_seconds) {
    const auto t0 = std::chrono::steady_clock::now();
    net.run(x);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms.front(), ms[ms.size() / 2]};
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
  std::printf("%-44s %-9s %12s %12s\n", "model", "backend", "fastest ms", "median ms");
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
      fu::nn::Network net(model, options);
      const Timing t = time_network(net, runs, min_seconds);
      std::printf("%-44s %-9s %12.3f %12.3f\n", path.c_str(), fu::nn::backend_name(backend),
                  t.fastest_ms, t.median_ms);
    }
  }
  return 0;
}
