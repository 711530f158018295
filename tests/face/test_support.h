// Tiny hand-made models and file locations shared by the face tests.
#pragma once

#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "nn/graph_builder.h"
#include "nn/model.h"

namespace fu::face::testing {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Cosine similarity of unit-length embeddings (src/unlock owns the real one; face may not use it).
inline float dot(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0.0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    sum += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(sum);
}

inline bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

// <repo>/models, found from this header's own path (<repo>/tests/face/test_support.h).
inline std::string models_dir() {
  std::string path = __FILE__;
  for (int i = 0; i < 3; ++i) path = path.substr(0, path.find_last_of('/'));
  return path + "/models";
}

inline std::string shared_data_dir() { return FACEUNLOCK_SHARED_DATA; }

inline nn::Weight weight(std::vector<int> dims, std::vector<float> data) {
  nn::Weight w;
  w.dims = std::move(dims);
  w.data = std::move(data);
  return w;
}

// A network whose outputs ignore the input: global average pool, then fully connected layers
// with zero filters, so each output equals its bias. Output i has shape [1, 1, rows[i], cols[i]].
inline nn::Graph constant_graph(const nn::Shape& input,
                                const std::vector<std::vector<float>>& biases,
                                const std::vector<std::pair<int, int>>& shapes) {
  nn::GraphBuilder b(input);
  const int pooled = b.add(nn::OpType::kGlobalAvgPool, {b.input()});
  for (std::size_t i = 0; i < biases.size(); ++i) {
    const int count = static_cast<int>(biases[i].size());
    const int fc = b.add(nn::OpType::kFullyConnected, {pooled}, {},
                         {{"filter", weight({count, input.c}, std::vector<float>(count * input.c))},
                          {"bias", weight({count}, biases[i])}});
    nn::Attributes reshape;
    reshape.set("height", 1);
    reshape.set("width", shapes[i].first);
    reshape.set("channels", shapes[i].second);
    b.mark_output(b.add(nn::OpType::kReshape, {fc}, reshape));
  }
  return b.finish();
}

inline nn::ModelMetadata blazeface_metadata(const std::string& name = "fake-blazeface") {
  nn::ModelMetadata m;
  m.name = name;
  m.input_height = 128;
  m.input_width = 128;
  m.input_channels = 3;
  m.pixel_mean = {127.5f, 127.5f, 127.5f};
  m.pixel_scale = {1 / 127.5f, 1 / 127.5f, 1 / 127.5f};
  m.output_kind = "detector";
  m.provenance = "test";
  m.license = "test";
  m.properties = {
      {"detector.architecture", "blazeface"},
      {"detector.keypoints", "right_eye,left_eye,nose_tip,mouth_center,right_ear,left_ear"},
      {"detector.anchors.strides", "8,16,16,16"},
      {"detector.anchors.min_scale", "0.1484375"},
      {"detector.anchors.max_scale", "0.75"},
      {"detector.anchors.offset", "0.5"},
      {"detector.anchors.fixed_size", "1"},
      {"detector.box_scale", "128"},
      {"detector.score_clip", "100"}};
  return m;
}

// A BlazeFace-shaped detector (896 anchors, 6 keypoints) whose only confident anchor is
// `anchor`, with the 16 regressors `values`; every other anchor has logit -10.
inline std::shared_ptr<const nn::Model> fake_detector(int anchor, const std::vector<float>& values,
                                                      float logit = 10.0f) {
  std::vector<float> regressors(896 * 16, 0.0f);
  for (int i = 0; i < 16; ++i) regressors[anchor * 16 + i] = values[i];
  std::vector<float> logits(896, -10.0f);
  logits[anchor] = logit;
  auto model = std::make_shared<nn::Model>();
  model->metadata = blazeface_metadata();
  model->graph =
      constant_graph(nn::Shape{1, 128, 128, 3}, {regressors, logits}, {{896, 16}, {1, 896}});
  return model;
}

}  // namespace fu::face::testing

namespace fu::face::testing {

// A 32x32 RGB embedder with pixel mean 100 and scale 0.5 whose 4-d output is the mean of each
// normalised channel, then 0: (R, G, B, 0) for a uniform image.
inline std::shared_ptr<nn::Model> fake_embedder(const std::string& name = "fake-embedder") {
  auto model = std::make_shared<nn::Model>();
  nn::ModelMetadata& m = model->metadata;
  m.name = name;
  m.input_width = m.input_height = 32;
  m.input_channels = 3;
  m.pixel_mean = {100, 100, 100};
  m.pixel_scale = {0.5f, 0.5f, 0.5f};
  m.output_kind = "embedding";
  m.provenance = "test";
  m.license = "test";
  m.properties = {{"embedder.dimension", "4"},
                  {"embedder.keypoints", "right_eye,left_eye,nose_tip"},
                  {"embedder.template", "10,12,22,12,16,20"},
                  {"embedder.threshold", "0.6"}};
  nn::GraphBuilder b(nn::Shape{1, 32, 32, 3});
  const int pooled = b.add(nn::OpType::kGlobalAvgPool, {b.input()});
  b.mark_output(b.add(nn::OpType::kFullyConnected, {pooled}, {},
                      {{"filter", weight({4, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0})}}));
  model->graph = b.finish();
  return model;
}

// fake_embedder's metadata with a network that tells left from right: outputs 0 and 1 are the
// mean red of the input's left and right halves, output 2 the mean green, output 3 zero. An
// embedding of a face averaged with its mirror image therefore has outputs 0 and 1 equal.
inline std::shared_ptr<nn::Model> mirror_sensitive_embedder() {
  auto model = fake_embedder("mirror-sensitive-embedder");
  constexpr int kSide = 32;
  std::vector<float> filter(4 * kSide * kSide * 3, 0.0f);
  const float share = 1.0f / (kSide * kSide / 2);
  for (int y = 0; y < kSide; ++y) {
    for (int x = 0; x < kSide; ++x) {
      const int pixel = (y * kSide + x) * 3;
      filter[(x < kSide / 2 ? 0 : 1) * kSide * kSide * 3 + pixel] = share;
      filter[2 * kSide * kSide * 3 + pixel + 1] = share / 2;
    }
  }
  nn::GraphBuilder b(nn::Shape{1, kSide, kSide, 3});
  b.mark_output(b.add(nn::OpType::kFullyConnected, {b.input()}, {},
                      {{"filter", weight({4, kSide * kSide * 3}, std::move(filter))}}));
  model->graph = b.finish();
  return model;
}

}  // namespace fu::face::testing
