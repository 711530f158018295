// Random-weight networks with the layer structure and sizes of the networks faceunlock ships
// (dlib's face ResNet, MobileFaceNet, BlazeFace) and single-layer models. Tests use them to
// compare backends and benchmarks use them to time whole networks before real weights exist.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/model.h"

namespace fu::nn {

struct SampleNetwork {
  const char* name;
  const char* description;
};

// The names make_sample_network accepts, in a stable order.
const std::vector<SampleNetwork>& sample_networks();

// Throws fu::Error for an unknown name. The same name and seed give the same weights.
Model make_sample_network(const std::string& name, std::uint32_t seed = 1);

// Multiply-adds of one forward pass at batch 1 (convolutions and fully connected layers).
std::uint64_t count_multiply_adds(const Model& model);

}  // namespace fu::nn
