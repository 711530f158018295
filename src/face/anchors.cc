#include "face/anchors.h"

#include <cmath>
#include <string>

#include "base/error.h"
#include "face/metadata.h"

namespace fu::face {
namespace {

[[noreturn]] void fail(const std::string& value, const std::string& reason) {
  throw Error("cannot generate anchors (" + value + "): " + reason);
}

// Scales grow linearly from min_scale at the first layer to max_scale at the last.
float layer_scale(const AnchorOptions& o, int layer) {
  const int layers = static_cast<int>(o.strides.size());
  if (layers == 1) return 0.5f * (o.min_scale + o.max_scale);
  return o.min_scale + (o.max_scale - o.min_scale) * static_cast<float>(layer) / (layers - 1.0f);
}

void check(const AnchorOptions& o) {
  if (o.input_width < 1 || o.input_height < 1) {
    fail("input " + std::to_string(o.input_width) + "x" + std::to_string(o.input_height),
         "the input size must be positive");
  }
  if (o.strides.empty()) fail("no strides", "at least one layer is needed");
  for (int s : o.strides) {
    if (s < 1) fail("stride " + std::to_string(s), "strides must be positive");
  }
  if (!std::isfinite(o.min_scale) || !std::isfinite(o.max_scale) || o.min_scale <= 0.0f ||
      o.max_scale < o.min_scale) {
    fail("scales " + std::to_string(o.min_scale) + ".." + std::to_string(o.max_scale),
         "need 0 < min_scale <= max_scale");
  }
  if (o.aspect_ratios.empty() && !(o.interpolated_scale_aspect_ratio > 0.0f) &&
      !o.reduce_boxes_in_lowest_layer) {
    fail("no aspect ratios", "every cell needs at least one anchor");
  }
  for (float r : o.aspect_ratios) {
    if (!(r > 0.0f) || !std::isfinite(r)) {
      fail("aspect ratio " + std::to_string(r), "aspect ratios must be positive");
    }
  }
}

}  // namespace

std::vector<Anchor> generate_anchors(const AnchorOptions& o) {
  check(o);
  const int layers = static_cast<int>(o.strides.size());
  std::vector<Anchor> anchors;
  int layer = 0;
  while (layer < layers) {
    // The sizes of every anchor of one cell, gathered over the layers sharing this stride.
    std::vector<float> widths;
    std::vector<float> heights;
    auto add_shape = [&](float scale, float ratio) {
      const float root = std::sqrt(ratio);
      widths.push_back(scale * root);
      heights.push_back(scale / root);
    };
    int last = layer;
    for (; last < layers && o.strides[last] == o.strides[layer]; ++last) {
      const float scale = layer_scale(o, last);
      if (last == 0 && o.reduce_boxes_in_lowest_layer) {
        add_shape(0.1f, 1.0f);
        add_shape(scale, 2.0f);
        add_shape(scale, 0.5f);
        continue;
      }
      for (float ratio : o.aspect_ratios) add_shape(scale, ratio);
      if (o.interpolated_scale_aspect_ratio > 0.0f) {
        const float next = last == layers - 1 ? 1.0f : layer_scale(o, last + 1);
        add_shape(std::sqrt(scale * next), o.interpolated_scale_aspect_ratio);
      }
    }
    const int stride = o.strides[layer];
    const int rows = (o.input_height + stride - 1) / stride;
    const int cols = (o.input_width + stride - 1) / stride;
    for (int y = 0; y < rows; ++y) {
      for (int x = 0; x < cols; ++x) {
        for (std::size_t k = 0; k < widths.size(); ++k) {
          Anchor a;
          a.cx = (x + o.offset_x) / cols;
          a.cy = (y + o.offset_y) / rows;
          a.w = o.fixed_size ? 1.0f : widths[k];
          a.h = o.fixed_size ? 1.0f : heights[k];
          anchors.push_back(a);
        }
      }
    }
    layer = last;
  }
  return anchors;
}

AnchorOptions anchor_options_from_metadata(const nn::ModelMetadata& metadata) {
  const MetadataReader r(metadata, "face detector");
  AnchorOptions o;
  o.input_width = metadata.input_width;
  o.input_height = metadata.input_height;
  o.strides.clear();
  for (double s : r.numbers("detector.anchors.strides")) {
    if (s < 1 || s > 4096 || s != std::floor(s)) {
      r.fail("metadata 'detector.anchors.strides' has " + std::to_string(s) +
             ", expected whole numbers from 1 to 4096");
    }
    o.strides.push_back(static_cast<int>(s));
  }
  o.min_scale = static_cast<float>(r.number("detector.anchors.min_scale"));
  o.max_scale = static_cast<float>(r.number("detector.anchors.max_scale"));
  o.offset_x = o.offset_y = static_cast<float>(r.number("detector.anchors.offset", 0.5));
  o.fixed_size = r.number("detector.anchors.fixed_size") != 0.0;
  o.aspect_ratios.clear();
  for (double ratio : r.numbers("detector.anchors.aspect_ratios", {1.0})) {
    o.aspect_ratios.push_back(static_cast<float>(ratio));
  }
  o.interpolated_scale_aspect_ratio =
      static_cast<float>(r.number("detector.anchors.interpolated_scale_aspect_ratio", 1.0));
  o.reduce_boxes_in_lowest_layer =
      r.number("detector.anchors.reduce_boxes_in_lowest_layer", 0.0) != 0.0;
  try {
    generate_anchors(o);
  } catch (const Error& e) {
    r.fail(e.what());
  }
  return o;
}

}  // namespace fu::face
