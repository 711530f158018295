// A baseline for the xnnpack backend: the single-layer sample networks built and run with
// XNNPACK's subgraph API directly, without faceunlock's plan and executor in between.
#pragma once

#include <memory>
#include <string>

namespace fu::tools {

// Builds `sample_name` ("conv1x1", "conv3x3" or "dwconv3x3", with the weights of
// make_sample_network) as one XNNPACK runtime with its own input and output buffers.
// Throws fu::Error for another name or an XNNPACK failure.
class DirectXnnpackLayer {
 public:
  explicit DirectXnnpackLayer(const std::string& sample_name);
  ~DirectXnnpackLayer();
  DirectXnnpackLayer(const DirectXnnpackLayer&) = delete;
  DirectXnnpackLayer& operator=(const DirectXnnpackLayer&) = delete;

  void run();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace fu::tools
