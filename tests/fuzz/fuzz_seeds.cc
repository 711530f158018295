#include "fuzz/fuzz_seeds.h"

#include <map>
#include <string>

#include "base/error.h"
#include "base/file_envelope.h"
#include "fuzz/fuzz_targets.h"
#include "image/encode.h"
#include "image/image.h"
#include "nn/graph_builder.h"
#include "nn/model.h"
#include "unlock/gallery.h"

namespace fu::fuzz {
namespace {

// A deterministic pattern with every byte value, so encoders cannot take shortcuts.
image::Image pattern_image(int width, int height, int channels) {
  image::Image image(width, height, channels);
  for (std::size_t i = 0; i < image.size_bytes(); ++i) {
    image.data()[i] = static_cast<std::uint8_t>(i * 37 + (i / 7) * 11);
  }
  return image;
}

std::vector<std::uint8_t> pnm(const image::Image& image, int max_value) {
  const std::string header = std::string(image.channels() == 1 ? "P5" : "P6") + "\n# seed\n" +
                             std::to_string(image.width()) + " " + std::to_string(image.height()) +
                             "\n" + std::to_string(max_value) + "\n";
  std::vector<std::uint8_t> bytes(header.begin(), header.end());
  for (std::size_t i = 0; i < image.size_bytes(); ++i) {
    bytes.push_back(static_cast<std::uint8_t>(image.data()[i] % (max_value + 1)));
  }
  return bytes;
}

std::vector<Seed> image_seeds() {
  return {
      {"grey.png", image::encode_png(pattern_image(7, 5, 1))},
      {"rgb.png", image::encode_png(pattern_image(6, 4, 3))},
      {"rgba.png", image::encode_png(pattern_image(5, 6, 4))},
      {"rgb.bmp", image::encode_bmp(pattern_image(5, 3, 3))},
      {"rgba.bmp", image::encode_bmp(pattern_image(3, 3, 4))},
      {"rgb.jpg", image::encode_jpeg(pattern_image(16, 9, 3), 75)},
      {"grey.jpg", image::encode_jpeg(pattern_image(9, 8, 1), 90)},
      {"grey.pgm", pnm(pattern_image(4, 3, 1), 255)},
      {"rgb-max15.ppm", pnm(pattern_image(3, 2, 3), 15)},
  };
}

// Weights with a fixed pattern in [-limit, limit].
nn::Weight weight(std::vector<int> dims, float limit) {
  nn::Weight w;
  w.dims = std::move(dims);
  w.data.resize(w.element_count());
  for (std::size_t i = 0; i < w.data.size(); ++i) {
    w.data[i] = limit * (static_cast<float>((i * 13) % 17) / 8.0f - 1.0f);
  }
  return w;
}

// The same values on a uint8 grid, which the writer stores as dtype 2 (uint8 affine).
nn::Weight quantized_weight(std::vector<int> dims, float min) {
  nn::Weight w;
  w.dims = std::move(dims);
  w.data.resize(w.element_count());
  nn::Uint8Quantization q;
  q.scale = 0.25f;
  q.min = min;
  for (std::size_t i = 0; i < w.data.size(); ++i) w.data[i] = q.min + ((i * 29) % 64) * q.scale;
  w.quantization = q;
  return w;
}

nn::ModelMetadata metadata(const std::string& name, const nn::Shape& input) {
  nn::ModelMetadata m;
  m.name = name;
  m.input_height = input.h;
  m.input_width = input.w;
  m.input_channels = input.c;
  m.pixel_mean.assign(input.c, 127.5f);
  m.pixel_scale.assign(input.c, 1.0f / 128.0f);
  m.output_kind = "test";
  m.provenance = "fuzz seed";
  m.license = "none";
  m.properties["embedder.threshold"] = "0.5";
  return m;
}

// Convolutions, activations, pooling, padding, concatenation and addition: the detector's ops.
nn::Model conv_model() {
  const nn::Shape input{1, 6, 6, 3};
  nn::GraphBuilder b(input);
  const int conv = b.add(nn::OpType::kConv2d, {b.input()}, nn::window_attributes(3, 1, "same"),
                         {{"filter", weight({4, 3, 3, 3}, 0.5f)}, {"bias", weight({4}, 0.1f)}});
  const int relu = b.add(nn::OpType::kRelu, {conv});
  const int dw =
      b.add(nn::OpType::kDepthwiseConv2d, {relu}, nn::window_attributes(3, 2, "valid"),
            {{"filter", quantized_weight({1, 3, 3, 4}, -8.0f)}, {"bias", weight({4}, 0.1f)}});
  const int prelu = b.add(nn::OpType::kPRelu, {dw}, {}, {{"slope", weight({4}, 0.3f)}});
  nn::Attributes pool = nn::window_attributes(2, 2, "same");
  const int max = b.add(nn::OpType::kMaxPool2d, {relu}, pool);
  nn::Attributes avg = nn::window_attributes(3, 2, "explicit");
  avg.set("pad_top", 1);
  avg.set("pad_left", 1);
  const int mean = b.add(nn::OpType::kAvgPool2d, {max}, avg);
  nn::Attributes pad;
  pad.set("pad_channels_after", 2);
  pad.set("pad_bottom", 1);
  pad.set("pad_right", 1);
  const int padded = b.add(nn::OpType::kPad, {prelu}, pad);
  const int scaled = b.add(nn::OpType::kScaleBias, {padded}, {},
                           {{"scale", weight({6}, 1.0f)}, {"bias", weight({6}, 0.2f)}});
  const int relu6 = b.add(nn::OpType::kRelu6, {scaled});
  const int sum = b.add(nn::OpType::kAdd, {relu6, scaled});
  b.mark_output(sum);
  b.mark_output(b.add(nn::OpType::kConcat, {mean, mean}));
  return nn::Model{metadata("seed-conv", input), b.finish()};
}

// Training ops, fully connected layers, reshapes and normalisation: the embedder's ops.
nn::Model embedding_model() {
  const nn::Shape input{1, 4, 4, 2};
  nn::GraphBuilder b(input);
  nn::Attributes bn_attributes;
  bn_attributes.set("epsilon", 1e-3);
  const int bn = b.add(nn::OpType::kBatchNorm, {b.input()}, bn_attributes,
                       {{"scale", weight({2}, 1.0f)},
                        {"bias", weight({2}, 0.5f)},
                        {"mean", weight({2}, 0.5f)},
                        {"variance", quantized_weight({2}, 0.5f)}});
  nn::Attributes rate;
  rate.set("rate", 0.25);
  const int dropped = b.add(nn::OpType::kDropout, {bn}, rate);
  const int global = b.add(nn::OpType::kGlobalAvgPool, {dropped});
  nn::Attributes shape;
  shape.set("height", 2);
  shape.set("width", 2);
  shape.set("channels", 8);
  const int reshaped = b.add(nn::OpType::kReshape, {dropped}, shape);
  const int fc = b.add(nn::OpType::kFullyConnected, {reshaped}, {},
                       {{"filter", weight({5, 32}, 0.3f)}, {"bias", weight({5}, 0.1f)}});
  b.mark_output(b.add(nn::OpType::kL2Normalize, {fc}));
  b.mark_output(global);
  return nn::Model{metadata("seed-embedding", input), b.finish()};
}

// The body of a sealed file, which the targets seal again with a correct header.
std::vector<std::uint8_t> body_of(const std::vector<std::uint8_t>& file) {
  return std::vector<std::uint8_t>(file.begin() + kEnvelopeHeaderSize, file.end());
}

std::vector<Seed> model_seeds() {
  const std::vector<std::uint8_t> conv = nn::serialize_model(conv_model());
  const std::vector<std::uint8_t> embedding = nn::serialize_model(embedding_model());
  return {
      {"conv.body", body_of(conv)},
      {"embedding.body", body_of(embedding)},
      {"conv.fum", conv},
  };
}

std::vector<float> pattern_embedding(std::size_t dimension, int variant) {
  std::vector<float> e(dimension);
  for (std::size_t i = 0; i < dimension; ++i) {
    e[i] = static_cast<float>((i * 5 + variant * 3) % 13) - 6.0f + 0.5f * variant;
  }
  return e;
}

std::vector<Seed> gallery_seeds() {
  unlock::Gallery two(4, "seed-embedder@12345678");
  two.enroll("alice", pattern_embedding(4, 1));
  two.enroll("alice", pattern_embedding(4, 2));
  two.enroll("\xC3\xA9lodie", pattern_embedding(4, 3));  // a name beyond ASCII
  const std::vector<std::uint8_t> file = two.serialize();
  return {
      {"two-users.body", body_of(file)},
      {"no-dimension.body", body_of(unlock::Gallery().serialize())},
      {"empty.body", body_of(unlock::Gallery(8).serialize())},
      {"two-users.fug", file},
  };
}

std::vector<Seed> record_seeds() {
  std::vector<Seed> seeds;
  // A new user, and a user the engine's gallery already holds (the import replaces them).
  for (const char* user : {"carol", "alice"}) {
    unlock::Gallery one(kRecordDimension, kRecordEmbedder);
    one.enroll(user, pattern_embedding(kRecordDimension, 1));
    one.enroll(user, pattern_embedding(kRecordDimension, 4));
    const std::vector<std::uint8_t> file = one.serialize();
    seeds.push_back({std::string(user) + ".body", body_of(file)});
    seeds.push_back({std::string(user) + ".fug", file});
  }
  return seeds;
}

}  // namespace

std::vector<Seed> seeds_for(const std::string& target) {
  if (target == "image_decode") return image_seeds();
  if (target == "model_file") return model_seeds();
  if (target == "gallery_file") return gallery_seeds();
  if (target == "user_record") return record_seeds();
  throw Error("cannot make fuzz seeds (" + target + "): not a fuzz target");
}

}  // namespace fu::fuzz
