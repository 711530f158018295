// `faceunlock bench`: times the sample networks on each backend with Google Benchmark. Each
// (network, backend) pair is one registered benchmark named "<network>/<backend>"; the reporter
// below turns the runs into a table, or hands them to Google Benchmark's JSON reporter.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <utility>

#include "base/error.h"
#include "bench_stages.h"
#include "cli.h"
#include "commands.h"
#include "face_cli.h"
#include "nn/network.h"
#include "nn/sample_networks.h"

#ifdef FACEUNLOCK_HAVE_XNNPACK
#include "xnnpack_direct.h"
#endif

namespace fu::tools {
namespace {

constexpr double kDefaultMinTimeSeconds = 0.2;
constexpr double kMaxMinTimeSeconds = 3600.0;
constexpr int kMaxThreads = 1024;

// The row that times XNNPACK called directly, without our graph layer, next to our xnnpack
// backend on the single-layer networks: the gap is the cost of the layer.
constexpr const char kDirectRow[] = "xnnpack-direct";
constexpr const char kRatioCounter[] = "xnnpack/direct";
constexpr const char kGflopsCounter[] = "GFLOP/s";

#ifdef FACEUNLOCK_HAVE_XNNPACK
bool has_direct_row(const std::string& network) {
  return network == "conv1x1" || network == "conv3x3" || network == "dwconv3x3";
}
#endif

CommandSpec bench_spec() {
  std::vector<std::string> networks;
  for (const nn::SampleNetwork& s : nn::sample_networks()) networks.push_back(s.name);
  std::vector<std::string> backends;
  for (nn::Backend b : nn::available_backends()) backends.push_back(nn::backend_name(b));
  char min_time[32];
  std::snprintf(min_time, sizeof min_time, "%g", kDefaultMinTimeSeconds);
  std::string details =
      "networks: " + join(networks) + "\nbackends in this build: " + join(backends) +
      "\n\nBy default every network runs on every backend but the reference one, which is slow\n"
      "and only runs when named. Lists may be comma-separated (--network conv1x1,resnet).\n"
      "GFLOP/s counts 2 * multiply-adds of convolutions and fully connected layers per run.\n";
#ifdef FACEUNLOCK_HAVE_XNNPACK
  details +=
      "With the xnnpack backend, conv1x1, conv3x3 and dwconv3x3 also get an xnnpack-direct\n"
      "row: the same layer built with XNNPACK's API directly, and the ratio of our xnnpack\n"
      "backend's time to it.\n";
#endif
  return CommandSpec{
      kBenchCommand.name,
      "[options]",
      kBenchCommand.summary,
      details,
      {},
      {
          {"--backend", "NAME", join(backends, "|") + "|all (default: all but reference)"},
          {"--network", "NAME", "a sample network or all (default all)"},
          {"--threads", "N", "threads for backends that use them (default 1)"},
          {"--min-time", "SECONDS",
           std::string("minimum timing per row (default ") + min_time + ")"},
          {"--json", "", "print Google Benchmark's JSON instead of a table"},
          {"--photo", "FILE",
           "the photo the pipeline stage rows analyse (default: face-api's "
           "demo/sample1.jpg from node_modules)"},
          {"--no-stages", "",
           "skip the pipeline stage rows (decode, detect, refine, quality, "
           "align, embed, embed-probe, analyze)"},
      }};
}

struct BenchOptions {
  std::vector<std::string> networks;
  std::vector<nn::Backend> backends;
  int threads = 1;
  double min_time = kDefaultMinTimeSeconds;
  bool json = false;
  bool stages = false;  // pipeline stage rows with the shipped models
  std::string photo;    // the stages' input
};

// The shipped models (models/*.fum) bench as networks too, when they can be found.
constexpr const char* kShippedModels[] = {"blazeface-short", "dlib-resnet"};

std::optional<std::string> shipped_model_path(const std::string& name) {
  try {
    return default_model_path(name + ".fum");
  } catch (const Error&) {
    return std::nullopt;
  }
}

// A group photo that an npm devDependency ships (MIT), so the default needs no dataset.
std::string default_stage_photo() {
  try {
    const std::string models = default_model_path("dlib-resnet.fum");
    return (std::filesystem::path(models).parent_path().parent_path() / "node_modules" /
            "@vladmandic" / "face-api" / "demo" / "sample1.jpg")
        .string();
  } catch (const Error&) {
    return "";
  }
}

BenchOptions parse_options(const ParsedArgs& parsed) {
  BenchOptions options;
  const std::string backend_list = parsed.get("--backend", "");
  if (!parsed.has("--backend")) {
    for (nn::Backend b : nn::available_backends()) {
      if (b != nn::Backend::kReference) options.backends.push_back(b);
    }
  } else if (backend_list == "all") {
    options.backends = nn::available_backends();
  } else {
    for (const std::string& name : split(backend_list, ',')) {
      options.backends.push_back(parse_backend(name));
    }
  }

  std::vector<std::string> known;
  for (const nn::SampleNetwork& s : nn::sample_networks()) known.push_back(s.name);
  for (const char* shipped : kShippedModels) {
    if (shipped_model_path(shipped)) known.push_back(shipped);
  }
  const std::string network_list = parsed.get("--network", "all");
  if (network_list == "all") {
    options.networks = known;
  } else {
    for (const std::string& name : split(network_list, ',')) {
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        throw UsageError("unknown network '" + name + "', expected all or one of: " + join(known));
      }
      options.networks.push_back(name);
    }
  }

  options.threads = static_cast<int>(parsed.get_int("--threads", 1, 1, kMaxThreads));
  // Google Benchmark rejects a minimum time of zero, so the floor is a millisecond.
  options.min_time =
      parsed.get_double("--min-time", kDefaultMinTimeSeconds, 1e-3, kMaxMinTimeSeconds);
  options.json = parsed.has("--json");
  options.stages = !parsed.has("--no-stages") && network_list == "all" &&
                   shipped_model_path("blazeface-short") && shipped_model_path("dlib-resnet");
  options.photo = parsed.get("--photo", default_stage_photo());
  return options;
}

// One network on one backend. It is built on the first call of its benchmark rather than up
// front, so rows start printing at once and a slow set-up shows where it happens.
class NetworkCase {
 public:
  NetworkCase(std::shared_ptr<const nn::Model> model, const nn::NetworkOptions& options)
      : model_(std::move(model)), options_(options) {}

  void time(benchmark::State& state) {
    if (!network_ && error_.empty()) prepare();
    if (!error_.empty()) {
      state.SkipWithError(error_.c_str());
      return;
    }
    try {
      for (auto _ : state) network_->run(input_);
    } catch (const std::exception& e) {
      error_ = e.what();
      state.SkipWithError(error_.c_str());
      return;
    }
    const double flops = 2.0 * static_cast<double>(nn::count_multiply_adds(*model_));
    state.counters[kGflopsCounter] =
        benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  }

 private:
  void prepare() {
    try {
      network_ = std::make_unique<nn::Network>(model_, options_);
      input_ = nn::Tensor(network_->input_shape());
      // Any fixed values in [-1, 1] do; zeros might let a kernel skip work.
      for (std::size_t i = 0; i < input_.size(); ++i) {
        input_[i] = static_cast<float>((i * 7919) % 2001) * 1e-3f - 1.0f;
      }
      // The first run pays for first-touch page faults and lazy set-up; keep it off the clock.
      network_->run(input_);
    } catch (const std::exception& e) {
      error_ = e.what();
      network_.reset();
    }
  }

  std::shared_ptr<const nn::Model> model_;
  nn::NetworkOptions options_;
  std::unique_ptr<nn::Network> network_;
  nn::Tensor input_;
  std::string error_;
};

#ifdef FACEUNLOCK_HAVE_XNNPACK
void time_direct(benchmark::State& state, const std::string& network, double flops) {
  try {
    DirectXnnpackLayer layer(network);
    layer.run();  // first-touch page faults off the clock, as for the other rows
    for (auto _ : state) layer.run();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.counters[kGflopsCounter] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
#endif

std::pair<std::string, std::string> network_and_backend(
    const benchmark::BenchmarkReporter::Run& run) {
  const std::string& name = run.run_name.function_name;
  const std::size_t slash = name.find('/');
  return {name.substr(0, slash), slash == std::string::npos ? "" : name.substr(slash + 1)};
}

// Prints one aligned line per row as each finishes, so a long run shows its progress.
class TableReporter : public benchmark::BenchmarkReporter {
 public:
  TableReporter(int threads, double min_time) : threads_(threads), min_time_(min_time) {}

  bool ReportContext(const Context& context) override {
    std::ostream& out = GetOutputStream();
    out << context.cpu_info.num_cpus << " CPUs at " << context.cpu_info.cycles_per_second * 1e-6
        << " MHz; threads " << threads_ << "; at least " << min_time_ << " s per row\n";
#ifdef FACEUNLOCK_HAVE_XNNPACK
    if (threads_ > 1) out << "note: xnnpack-direct always runs on one thread\n";
#endif
    if (context.cpu_info.scaling == benchmark::CPUInfo::ENABLED) {
      out << "note: CPU frequency scaling is enabled, so times may vary between runs\n";
    }
    out << "\n" << line("network", "backend", "ms/run", "GFLOP/s", kRatioCounter) << "\n";
    return true;
  }

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const auto [network, backend] = network_and_backend(run);
      if (run.error_occurred) {
        GetOutputStream() << line(network, backend, "failed", "", "") << "  " << run.error_message
                          << "\n";
        continue;
      }
      char ms[32];
      std::snprintf(ms, sizeof ms, "%.3f", run.GetAdjustedRealTime());
      GetOutputStream() << line(network, backend, ms, counter(run, kGflopsCounter, "%.2f"),
                                counter(run, kRatioCounter, "%.2fx"))
                        << "\n";
    }
  }

 private:
  static std::string counter(const Run& run, const char* name, const char* format) {
    auto it = run.counters.find(name);
    if (it == run.counters.end()) return "";
    char text[32];
    std::snprintf(text, sizeof text, format, it->second.value);
    return text;
  }

  static std::string line(const std::string& network, const std::string& backend,
                          const std::string& ms, const std::string& gflops,
                          const std::string& ratio) {
    char text[160];
    std::snprintf(text, sizeof text, "%-16s %-15s %10s %9s %15s", network.c_str(), backend.c_str(),
                  ms.c_str(), gflops.c_str(), ratio.c_str());
    // Trailing blanks from an empty last column would only confuse diffs and copy-pastes.
    std::string s = text;
    s.erase(s.find_last_not_of(' ') + 1);
    return s;
  }

  int threads_;
  double min_time_;
};

// Sits between Google Benchmark and the printing reporter: adds the xnnpack/direct ratio to
// each direct row (the xnnpack row of the same network is registered, hence reported, first)
// and remembers failures for the exit code.
class RatioReporter : public benchmark::BenchmarkReporter {
 public:
  explicit RatioReporter(benchmark::BenchmarkReporter& printer) : printer_(printer) {}

  const std::vector<std::string>& failures() const { return failures_; }

  bool ReportContext(const Context& context) override { return printer_.ReportContext(context); }

  void ReportRuns(const std::vector<Run>& runs) override {
    std::vector<Run> annotated = runs;
    for (Run& run : annotated) {
      const auto [network, backend] = network_and_backend(run);
      if (run.error_occurred) {
        failures_.push_back(network + " on " + backend + ": " + run.error_message);
        continue;
      }
      const double ms = run.GetAdjustedRealTime();
      if (backend == nn::backend_name(nn::Backend::kXnnpack)) {
        xnnpack_ms_[network] = ms;
      } else if (backend == kDirectRow && xnnpack_ms_.count(network) && ms > 0) {
        run.counters[kRatioCounter] = benchmark::Counter(xnnpack_ms_[network] / ms);
      }
    }
    printer_.ReportRuns(annotated);
  }

  void Finalize() override { printer_.Finalize(); }

 private:
  benchmark::BenchmarkReporter& printer_;
  std::map<std::string, double> xnnpack_ms_;
  std::vector<std::string> failures_;
};

int run_bench(const ParsedArgs& parsed) {
  const BenchOptions options = parse_options(parsed);

  // Settings reach Google Benchmark as its own flags, so its names and output stay the familiar
  // ones (a per-benchmark MinTime would add "/min_time:..." to every name). Debian's 1.7 reads
  // the minimum time as a bare number of seconds.
  char min_time[64];
  std::snprintf(min_time, sizeof min_time, "--benchmark_min_time=%g", options.min_time);
  std::string program = "faceunlock bench";
  std::vector<char*> fake_argv = {program.data(), min_time, nullptr};
  int fake_argc = 2;
  benchmark::Initialize(&fake_argc, fake_argv.data());

  // The benchmarks hold raw pointers into this list, which outlives the run.
  std::vector<std::unique_ptr<NetworkCase>> cases;
  for (const std::string& name : options.networks) {
    const bool is_shipped = std::find(std::begin(kShippedModels), std::end(kShippedModels), name) !=
                            std::end(kShippedModels);
    auto model = std::make_shared<const nn::Model>(
        is_shipped ? nn::load_model(*shipped_model_path(name)) : nn::make_sample_network(name));
    bool timed_xnnpack = false;
    for (nn::Backend backend : options.backends) {
      cases.push_back(std::make_unique<NetworkCase>(
          model, nn::NetworkOptions{backend, /*batch=*/1, options.threads}));
      NetworkCase* c = cases.back().get();
      const std::string row = name + "/" + nn::backend_name(backend);
      benchmark::RegisterBenchmark(row.c_str(), [c](benchmark::State& state) { c->time(state); })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();  // XNNPACK's worker threads do not show in this thread's CPU time
      timed_xnnpack = timed_xnnpack || backend == nn::Backend::kXnnpack;
    }
#ifdef FACEUNLOCK_HAVE_XNNPACK
    if (timed_xnnpack && has_direct_row(name)) {
      const double flops = 2.0 * static_cast<double>(nn::count_multiply_adds(*model));
      const std::string row = name + "/" + kDirectRow;
      benchmark::RegisterBenchmark(
          row.c_str(), [name, flops](benchmark::State& state) { time_direct(state, name, flops); })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
#endif
  }

  if (options.stages && !options.photo.empty()) {
    auto detector =
        std::make_shared<const nn::Model>(nn::load_model(*shipped_model_path("blazeface-short")));
    auto embedder =
        std::make_shared<const nn::Model>(nn::load_model(*shipped_model_path("dlib-resnet")));
    for (nn::Backend backend : options.backends) {
      if (backend != nn::Backend::kReference) {
        register_stage_benchmarks(options.photo, detector, embedder, backend);
      }
    }
  }

  std::unique_ptr<benchmark::BenchmarkReporter> printer;
  if (options.json) {
    printer = std::make_unique<benchmark::JSONReporter>();
  } else {
    printer = std::make_unique<TableReporter>(options.threads, options.min_time);
  }
  RatioReporter reporter(*printer);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  benchmark::ClearRegisteredBenchmarks();

  if (reporter.failures().empty()) return kExitOk;
  throw Error("cannot benchmark networks (" + std::to_string(reporter.failures().size()) +
              " failed): " + join(reporter.failures(), "; "));
}

}  // namespace

const Command kBenchCommand = {"bench", "time the sample networks on each backend", bench_spec,
                               run_bench};

}  // namespace fu::tools
