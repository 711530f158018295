// SSD anchors in the layout of MediaPipe's SsdAnchorsCalculator, which BlazeFace's regressors are
// relative to. Anchors come layer by layer; consecutive layers with the same stride share one
// feature map and their anchors interleave per cell: for each cell (row-major), every anchor of
// those layers. BlazeFace short-range (128x128, strides 8,16,16,16) gives 16x16 cells x 2 anchors
// followed by 8x8 cells x 6 anchors = 896.
#pragma once

#include <vector>

#include "nn/model.h"

namespace fu::face {

// Normalised to the network input: (0, 0) is its top-left corner, (1, 1) its bottom-right.
struct Anchor {
  float cx = 0.0f;
  float cy = 0.0f;
  float w = 0.0f;
  float h = 0.0f;
};

// MediaPipe's option names and defaults; the defaults here are BlazeFace short-range's.
struct AnchorOptions {
  int input_width = 128;
  int input_height = 128;
  std::vector<int> strides = {8, 16, 16, 16};  // one per layer
  float min_scale = 0.1484375f;
  float max_scale = 0.75f;
  float offset_x = 0.5f;  // anchor centre within its cell, in cells
  float offset_y = 0.5f;
  std::vector<float> aspect_ratios = {1.0f};
  // > 0 adds one anchor per layer at the geometric mean of this layer's and the next layer's
  // scale, with this aspect ratio.
  float interpolated_scale_aspect_ratio = 1.0f;
  // Layer 0 gets three fixed anchors (scale 0.1 ratio 1, then ratios 2 and 0.5) instead.
  bool reduce_boxes_in_lowest_layer = false;
  // Every anchor 1 x 1 (BlazeFace): the regressors then carry the whole box size.
  bool fixed_size = true;
};

// Throws fu::Error "cannot generate anchors (...): ..." for an invalid option.
std::vector<Anchor> generate_anchors(const AnchorOptions& options);

// From a detector's metadata: the input size and `detector.anchors.*` (strides, min_scale,
// max_scale and fixed_size required; offset defaults to 0.5; the extensions aspect_ratios,
// interpolated_scale_aspect_ratio and reduce_boxes_in_lowest_layer default as above).
// Throws fu::Error "cannot use model as a face detector (<name>): ..." for missing or bad keys.
AnchorOptions anchor_options_from_metadata(const nn::ModelMetadata& metadata);

}  // namespace fu::face
