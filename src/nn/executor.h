// The boundary between a planned network and the code that computes it. A backend turns a plan
// into an Executor once (packing weights, allocating buffers); running it then allocates nothing.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "nn/plan.h"
#include "nn/tensor.h"

namespace fu::nn {

enum class Backend {
  kReference,  // plain loops: the ground truth the others are tested against
  kSimd,       // the project's own 128-bit SIMD kernels (the WebAssembly backend)
  kXnnpack,    // XNNPACK's subgraph runtime (native builds only)
};

const char* backend_name(Backend backend);
std::optional<Backend> backend_from_name(std::string_view name);
bool backend_available(Backend backend);
std::vector<Backend> available_backends();
// The fastest backend compiled into this build.
Backend default_backend();

class Executor {
 public:
  virtual ~Executor() = default;
  // `input` has the plan's input shape (the caller checks). Fills the executor-owned outputs,
  // which stay valid until the next run.
  virtual void run(const Tensor& input) = 0;
  virtual const std::vector<Tensor>& outputs() const = 0;

  // Per-node timing for profiles (bench/model_bench --profile), off by default because it reads
  // the clock twice per node. Returns false when the backend cannot time single nodes (XNNPACK
  // runs its whole subgraph in one call).
  virtual bool enable_node_timing() { return false; }
  // Milliseconds each plan node took in the last run, in plan order; empty unless node timing is
  // enabled and supported.
  virtual std::vector<double> node_milliseconds() const { return {}; }
};

struct ExecutorOptions {
  // Threads a run may use, the calling one included (XNNPACK and the own SIMD backend; the
  // reference ignores it). Above 1 in a WebAssembly build without threads, creation throws.
  int threads = 1;
};

// The plan (and the graph it points into) must outlive the executor.
std::unique_ptr<Executor> create_executor(Backend backend, const Plan& plan,
                                          const ExecutorOptions& options = {});

// One factory per backend, defined in that backend's file.
std::unique_ptr<Executor> create_reference_executor(const Plan& plan);
std::unique_ptr<Executor> create_simd_executor(const Plan& plan, const ExecutorOptions& options);
std::unique_ptr<Executor> create_xnnpack_executor(const Plan& plan, const ExecutorOptions& options);

}  // namespace fu::nn
