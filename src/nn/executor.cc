#include "nn/executor.h"

#include "base/error.h"

namespace fu::nn {

namespace {

struct BackendName {
  Backend backend;
  const char* name;
};

constexpr BackendName kBackendNames[] = {
    {Backend::kReference, "reference"},
    {Backend::kSimd, "simd"},
    {Backend::kXnnpack, "xnnpack"},
};

}  // namespace

const char* backend_name(Backend backend) {
  for (const BackendName& b : kBackendNames) {
    if (b.backend == backend) return b.name;
  }
  return "unknown";
}

std::optional<Backend> backend_from_name(std::string_view name) {
  for (const BackendName& b : kBackendNames) {
    if (name == b.name) return b.backend;
  }
  return std::nullopt;
}

bool backend_available(Backend backend) {
#ifdef FACEUNLOCK_HAVE_XNNPACK
  return true;
#else
  return backend != Backend::kXnnpack;
#endif
}

std::vector<Backend> available_backends() {
  std::vector<Backend> list;
  for (const BackendName& b : kBackendNames) {
    if (backend_available(b.backend)) list.push_back(b.backend);
  }
  return list;
}

Backend default_backend() {
  return backend_available(Backend::kXnnpack) ? Backend::kXnnpack : Backend::kSimd;
}

std::unique_ptr<Executor> create_executor(Backend backend, const Plan& plan,
                                          const ExecutorOptions& options) {
  switch (backend) {
    case Backend::kReference:
      return create_reference_executor(plan);
    case Backend::kSimd:
      return create_simd_executor(plan, options);
    case Backend::kXnnpack:
#ifdef FACEUNLOCK_HAVE_XNNPACK
      return create_xnnpack_executor(plan, options);
#else
      break;
#endif
  }
  throw Error(std::string("cannot create executor (") + backend_name(backend) +
              "): this build does not include that backend");
}

}  // namespace fu::nn
