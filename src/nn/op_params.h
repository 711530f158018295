// Plain parameter structs shared by the graph, the reference operators, the own SIMD operators
// and the XNNPACK adapter. Tensors are NHWC float32; weights use XNNPACK's layouts:
//   convolution filter  [out_channels, kernel_h, kernel_w, in_channels]   (OHWI)
//   depthwise filter    [1, kernel_h, kernel_w, channels]                 (depth multiplier 1)
//   fully connected     [out_features, in_features]
#pragma once

#include <limits>

namespace fu::nn {

// Output clamp fused into an operator (ReLU is {0, inf}, ReLU6 is {0, 6}).
struct Activation {
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
};

// Explicit zero padding; SAME/VALID are resolved into these numbers when the graph is built.
struct Padding2d {
  int top = 0;
  int bottom = 0;
  int left = 0;
  int right = 0;
};

struct Window2d {
  int kernel_h = 1;
  int kernel_w = 1;
  int stride_h = 1;
  int stride_w = 1;
  int dilation_h = 1;
  int dilation_w = 1;
  Padding2d padding;
};

struct Conv2dParams {
  Window2d window;
  int in_channels = 0;
  int out_channels = 0;
};

struct DepthwiseConv2dParams {
  Window2d window;
  int channels = 0;
};

struct FullyConnectedParams {
  int in_features = 0;
  int out_features = 0;
};

// Average pooling divides by the number of input pixels inside the window, padding excluded.
struct Pool2dParams {
  Window2d window;
};

struct PadParams {
  Padding2d spatial;
  int channels_before = 0;
  int channels_after = 0;
  float value = 0.0f;
};

// Output size of a windowed operator along one axis: floor((in + pads - dilated_kernel) / stride)
// + 1. Returns 0 or less when the window does not fit; callers turn that into an error.
inline int window_output_size(int in, int pad_before, int pad_after, int kernel, int stride,
                              int dilation) {
  const int effective = (kernel - 1) * dilation + 1;
  const int span = in + pad_before + pad_after - effective;
  return span < 0 ? 0 : span / stride + 1;
}

}  // namespace fu::nn
