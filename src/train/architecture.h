// Trainable embedder architectures, built as data (an nn::Model whose graph the trainer, the
// CLI, the WebAssembly engine and the browser library all load), never as C++ classes.
//
//   mobilefacenet   MobileFaceNet-style (Chen et al. 2018): a 3x3 stride-2 stem, depthwise
//                   separable inverted-residual bottlenecks with PReLU, a 1x1 expansion, a
//                   global depthwise convolution (GDC) head instead of average pooling, a linear
//                   projection to the embedding and L2 normalisation. Width scales every channel
//                   count; the input size must be a multiple of 16.
//   tiny            three small conv/BN/PReLU stages and a projection: for tests and smoke runs.
//
// Batch normalisation appears as batch_norm nodes (folded into scale_bias on export); weights are
// initialised with a seeded generator (He-normal for convolutions), so a seed fixes the network.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/model.h"

namespace fu::train {

struct ArchitectureOptions {
  std::string name = "mobilefacenet";
  int input_size = 112;  // square input, pixels
  double width = 1.0;    // channel multiplier
  int embedding_size = 128;
  float dropout = 0.0f;  // before the projection; 0 = none
  std::uint64_t seed = 1;
};

std::vector<std::string> architecture_names();

// A model with the graph and the metadata an embedder needs (input size, pixel normalisation,
// embedder.dimension, embedder.keypoints and embedder.template: dlib's alignment template scaled
// to the input, so the student sees the same face crop as the dlib-resnet teacher). Throws
// fu::Error for an unknown name or options out of range.
nn::Model build_architecture(const ArchitectureOptions& options);

// The template keypoints and positions used by build_architecture, in `size` x `size` pixels.
std::string scaled_dlib_template(int size);

}  // namespace fu::train
