// What every user of XNNPACK's C API in this project needs: one-time initialisation, status
// checks that throw fu::Error, and owning handles for subgraphs, runtimes and thread pools.
// Native builds only.
#pragma once

#include <xnnpack.h>

#include <memory>
#include <string>

namespace fu::nn {

const char* xnnpack_status_name(xnn_status status);

// Throws "cannot <action> (<value>): XNNPACK returned <status>" unless the call succeeded.
void xnnpack_check(xnn_status status, const std::string& action, const std::string& value);

// Initialises XNNPACK once per process (thread-safe); throws if the hardware is unsupported.
void initialize_xnnpack();

struct XnnSubgraphDeleter {
  void operator()(xnn_subgraph_t subgraph) const { xnn_delete_subgraph(subgraph); }
};
struct XnnRuntimeDeleter {
  void operator()(xnn_runtime_t runtime) const { xnn_delete_runtime(runtime); }
};
struct ThreadpoolDeleter {
  void operator()(pthreadpool_t pool) const { pthreadpool_destroy(pool); }
};
using SubgraphPtr = std::unique_ptr<xnn_subgraph, XnnSubgraphDeleter>;
using RuntimePtr = std::unique_ptr<xnn_runtime, XnnRuntimeDeleter>;
using ThreadpoolPtr = std::unique_ptr<pthreadpool, ThreadpoolDeleter>;

}  // namespace fu::nn
