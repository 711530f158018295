// Small data sets the training-data tests write themselves, and a detector whose answer depends
// on the photo's colour, so one folder can hold photos with one face, two faces and none.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "face/alignment.h"
#include "face/test_support.h"
#include "image/encode.h"
#include "image/image.h"
#include "nn/graph_builder.h"
#include "nn/model.h"
#include "nn/tensor.h"

namespace fu::train::testing {

namespace fs = std::filesystem;

// A fresh folder under the test temp dir, removed with everything in it at the end of scope.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "/fu_train_data_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  image::write_file(path, bytes);
}

inline std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

inline image::Image uniform(int width, int height, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  image::Image im(width, height, 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      im.at(x, y, 0) = r;
      im.at(x, y, 1) = g;
      im.at(x, y, 2) = b;
    }
  }
  return im;
}

// Binary PGM (P5), which src/image decodes but does not encode.
inline void write_pgm(const std::string& path, const image::Image& grey) {
  const std::string header =
      "P5\n" + std::to_string(grey.width()) + " " + std::to_string(grey.height()) + "\n255\n";
  std::vector<std::uint8_t> bytes(header.begin(), header.end());
  bytes.insert(bytes.end(), grey.data(), grey.data() + grey.size_bytes());
  write_bytes(path, bytes);
}

inline void write_png(const std::string& path, const image::Image& im) {
  write_bytes(path, image::encode_png(im));
}

// Colours the colour detector reads (see colour_detector()).
inline image::Image one_face_photo() { return uniform(128, 128, 200, 40, 90); }
inline image::Image two_face_photo() { return uniform(128, 128, 200, 220, 90); }
inline image::Image no_face_photo() { return uniform(128, 128, 40, 40, 90); }

// A BlazeFace-shaped detector (896 anchors, 6 keypoints) on a 128x128 input: global average pool
// of the normalised input, then one fully connected layer each for the regressors (constant) and
// the logits (20 x mean red for the anchor of a large centred face, 20 x mean green for the
// anchor of a small face up and left, -10 for every other anchor). So a photo with red above
// 127.5 shows the large face, one with green above 127.5 also the small one, and a dark photo
// none.
inline std::shared_ptr<const nn::Model> colour_detector() {
  constexpr int kAnchors = 896;
  constexpr int kLarge = 2 * (16 * 8 + 8);  // stride-8 cell (8, 8): the centre of the input
  constexpr int kSmall = 2 * (16 * 4 + 4);  // cell (4, 4)
  std::vector<float> regressors(kAnchors * 16, 0.0f);
  const std::vector<float> large = {0, 0, 32, 32, -6, -4, 6, -4, 0, 2, 0, 8, -14, 0, 14, 0};
  const std::vector<float> small = {0, 0, 16, 16, -3, -2, 3, -2, 0, 1, 0, 4, -7, 0, 7, 0};
  for (int i = 0; i < 16; ++i) {
    regressors[kLarge * 16 + i] = large[i];
    regressors[kSmall * 16 + i] = small[i];
  }
  std::vector<float> logit_filter(kAnchors * 3, 0.0f);
  logit_filter[kLarge * 3 + 0] = 20.0f;
  logit_filter[kSmall * 3 + 1] = 20.0f;
  std::vector<float> logit_bias(kAnchors, -10.0f);
  logit_bias[kLarge] = logit_bias[kSmall] = 0.0f;

  nn::GraphBuilder b(nn::Shape{1, 128, 128, 3});
  const int pooled = b.add(nn::OpType::kGlobalAvgPool, {b.input()});
  auto reshaped = [&](int node, int width, int channels) {
    nn::Attributes a;
    a.set("height", 1);
    a.set("width", width);
    a.set("channels", channels);
    return b.add(nn::OpType::kReshape, {node}, a);
  };
  const int reg = b.add(
      nn::OpType::kFullyConnected, {pooled}, {},
      {{"filter", face::testing::weight({kAnchors * 16, 3}, std::vector<float>(kAnchors * 16 * 3))},
       {"bias", face::testing::weight({kAnchors * 16}, regressors)}});
  b.mark_output(reshaped(reg, kAnchors, 16));
  const int logits = b.add(nn::OpType::kFullyConnected, {pooled}, {},
                           {{"filter", face::testing::weight({kAnchors, 3}, logit_filter)},
                            {"bias", face::testing::weight({kAnchors}, logit_bias)}});
  b.mark_output(reshaped(logits, 1, kAnchors));
  auto model = std::make_shared<nn::Model>();
  model->metadata = face::testing::blazeface_metadata("colour-detector");
  model->graph = b.finish();
  return model;
}

// A 32x40 chip from the eyes and the nose tip (BlazeFace keypoints 0, 1, 2).
inline face::AlignmentTemplate small_template() {
  face::AlignmentTemplate t;
  t.width = 32;
  t.height = 40;
  t.keypoint_indices = {0, 1, 2};
  t.points = {{10, 14}, {22, 14}, {16, 24}};
  return t;
}

// dlib-resnet's shipped template (tools/convert/dlib_resnet.cc, 150x150) at `side` pixels.
inline face::AlignmentTemplate dlib_template(int side) {
  const double s = side / 150.0;
  face::AlignmentTemplate t;
  t.width = t.height = side;
  t.keypoint_indices = {0, 1, 2, 3};
  t.points = {{44.580 * s, 44.496 * s},
              {103.434 * s, 44.477 * s},
              {74.013 * s, 77.450 * s},
              {74.013 * s, 110.259 * s}};
  return t;
}

inline std::string shared_data_dir() { return FACEUNLOCK_SHARED_DATA; }

inline bool same_pixels(const image::Image& a, const image::Image& b) {
  return a.width() == b.width() && a.height() == b.height() && a.channels() == b.channels() &&
         std::equal(a.data(), a.data() + a.size_bytes(), b.data());
}

// Deterministic weights uniform in [-limit, limit] (a linear congruential generator per seed).
inline nn::Weight random_weight(std::vector<int> dims, float limit, unsigned seed) {
  nn::Weight w;
  w.dims = std::move(dims);
  w.data.resize(w.element_count());
  std::uint32_t state = seed;
  for (float& v : w.data) {
    state = state * 1664525u + 1013904223u;
    v = (static_cast<float>(state >> 8) / 16777216.0f * 2.0f - 1.0f) * limit;
  }
  return w;
}

// A smooth input that differs with `phase`.
inline nn::Tensor ramp(const nn::Shape& shape, float phase) {
  nn::Tensor t(shape);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = std::sin(0.37f * i + phase);
  return t;
}

}  // namespace fu::train::testing
