// Test helpers that run tools/reference/torch_graph.py (PyTorch 1.13 on Debian's /usr/bin/python3)
// on one of our graphs and return its JSON result, for the cross-checks of the loss, the
// gradients and the optimisers against PyTorch. Header-only so any *_test.cc can include it
// (faceunlock_train links no JSON library; nlohmann/json is header-only).
//
// Typical use:
//   if (auto why = torch_unavailable()) GTEST_SKIP() << *why;
//   nlohmann::json request = {{"mode", "grad"}, {"graph", graph_json(graph, {2, 8, 8, 3})}, ...};
//   nlohmann::json result = run_torch_graph(request);
// The request and result formats are documented at the top of torch_graph.py.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "nn/graph.h"

namespace fu::train::torch_ref {

inline constexpr const char* kPython = "/usr/bin/python3";

// tools/reference/torch_graph.py, found from this header's own path (tests/train/ in the source
// tree); FACEUNLOCK_TORCH_GRAPH overrides it.
inline std::string torch_graph_script() {
  if (const char* env = std::getenv("FACEUNLOCK_TORCH_GRAPH")) return env;
  const std::filesystem::path here(__FILE__);
  return (here.parent_path().parent_path().parent_path() / "tools" / "reference" / "torch_graph.py")
      .string();
}

struct CommandResult {
  int status = -1;  // the exit status, or -1 when the command did not exit normally
  std::string output;
};

inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer;
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    r.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) r.status = WEXITSTATUS(status);
  return r;
}

// Why the PyTorch cross-checks cannot run here (no /usr/bin/python3, no torch, no script), or
// nullopt when they can. Checked once per test program.
inline std::optional<std::string> torch_unavailable() {
  static const std::optional<std::string> reason = []() -> std::optional<std::string> {
    if (access(kPython, X_OK) != 0) {
      return std::string(kPython) + " is missing: install python3-torch (scripts/setup.sh)";
    }
    if (!std::filesystem::exists(torch_graph_script())) {
      return "the reference script " + torch_graph_script() + " is missing";
    }
    // find_spec instead of importing torch: the import alone takes seconds.
    const CommandResult r = run_command(
        std::string(kPython) +
        " -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec(\"torch\") is None)'");
    if (r.status != 0) {
      return "PyTorch is not importable by " + std::string(kPython) +
             " (install python3-torch, scripts/setup.sh): " + r.output;
    }
    return std::nullopt;
  }();
  return reason;
}

// Our graph in torch_graph.py's "graph" format; input_shape is [N, H, W, C].
inline nlohmann::json graph_json(const nn::Graph& graph, const std::array<int, 4>& input_shape) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const nn::Node& node : graph.nodes) {
    nlohmann::json attributes = nlohmann::json::object();
    for (const auto& [name, value] : node.attributes.numbers()) attributes[name] = value;
    for (const auto& [name, value] : node.attributes.strings()) attributes[name] = value;
    nlohmann::json weights = nlohmann::json::object();
    for (const auto& [role, w] : node.weights) weights[role] = {{"dims", w.dims}, {"data", w.data}};
    nodes.push_back({{"op", nn::op_type_name(node.op)},
                     {"name", node.name},
                     {"inputs", node.inputs},
                     {"output", node.output},
                     {"attributes", attributes},
                     {"weights", weights}});
  }
  return {{"values", graph.values},
          {"input", graph.input},
          {"outputs", graph.outputs},
          {"nodes", nodes},
          {"input_shape", input_shape}};
}

// Writes the request to a temporary file, runs the script and parses its result. A JSON array of
// requests runs in one process and yields the array of results. Throws fu::Error with the
// script's own message when it fails.
inline nlohmann::json run_torch_graph(const nlohmann::json& request) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("faceunlock_torch_" + std::to_string(getpid()) + "_" +
                                   std::to_string(reinterpret_cast<std::uintptr_t>(&request)));
  fs::create_directories(dir);
  const fs::path in = dir / "request.json";
  const fs::path out = dir / "result.json";
  {
    std::ofstream f(in);
    f << request.dump();
  }
  const CommandResult r = run_command(std::string(kPython) + " " + torch_graph_script() + " " +
                                      in.string() + " " + out.string());
  nlohmann::json result;
  if (r.status == 0) {
    std::ifstream f(out);
    result = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
  }
  fs::remove_all(dir);
  if (r.status != 0) {
    throw Error("cannot run torch reference (" + torch_graph_script() + ", status " +
                std::to_string(r.status) + "): " + r.output);
  }
  if (result.is_discarded()) throw Error("cannot read torch reference result: not JSON");
  return result;
}

inline std::vector<float> floats(const nlohmann::json& j) { return j.get<std::vector<float>>(); }

// A "grad" request for pairs: a and b are the two sides' inputs (each input_shape, NHWC), run as
// ONE batch [a; b] of 2N, as the C++ trainer does.
inline nlohmann::json grad_request(const nn::Graph& graph, const std::array<int, 4>& input_shape,
                                   const std::vector<float>& a, const std::vector<float>& b,
                                   const std::vector<int>& labels, float margin, int threads = 1) {
  return {{"mode", "grad"},
          {"threads", threads},
          {"graph", graph_json(graph, input_shape)},
          {"a", a},
          {"b", b},
          {"labels", labels},
          {"margin", margin},
          {"batch_mode", "concat"}};
}

// d loss / d weight from a "grad" result, in our layout; throws fu::Error when torch has none.
inline std::vector<float> torch_gradient(const nlohmann::json& result, const std::string& node,
                                         const std::string& role) {
  const nlohmann::json& g = result["gradients"];
  if (!g.contains(node) || !g[node].contains(role)) {
    throw Error("cannot find torch gradient (" + node + "/" + role + "): not in the result");
  }
  return floats(g[node][role]["data"]);
}

// max |ours - reference| / max |reference| over a tensor: a relative error that does not blow up
// on the individual elements that happen to be near zero.
inline double relative_error(const std::vector<float>& ours, const std::vector<float>& reference) {
  if (ours.size() != reference.size()) return 1e30;
  double diff = 0.0;
  double scale = 0.0;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(ours[i]) - reference[i]));
    scale = std::max(scale, std::abs(static_cast<double>(reference[i])));
  }
  return scale > 0.0 ? diff / scale : diff;
}

}  // namespace fu::train::torch_ref
