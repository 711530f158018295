#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>

#include "base/byte_stream.h"
#include "base/crc32.h"
#include "base/error.h"
#include "base/file_envelope.h"
#include "nn/float16.h"
#include "nn/graph_builder.h"
#include "nn/graph_passes.h"
#include "nn/model.h"
#include "nn/network.h"
#include "nn/plan.h"
#include "nn/sample_networks.h"

namespace fu::nn {
namespace {

constexpr std::size_t kHeaderSize = 32;

// Recomputes the body checksum so a test can reach the checks behind it.
void fix_checksum(std::vector<std::uint8_t>& bytes) {
  const std::uint32_t crc = crc32(bytes.data() + kHeaderSize, bytes.size() - kHeaderSize);
  for (int i = 0; i < 4; ++i) bytes[24 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
}

std::string parse_error(const std::vector<std::uint8_t>& bytes) {
  try {
    parse_model(bytes.data(), bytes.size(), "test.fum");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

Model tiny_model() {
  GraphBuilder b(Shape{1, 4, 4, 2});
  Attributes a;
  a.set("padding", "same");
  Weight filter{{3, 3, 3, 2}, std::vector<float>(54, 0.5f), std::nullopt};
  Weight bias{{3}, {1.0f, 2.0f, 3.0f}, std::nullopt};
  const int x =
      b.add(OpType::kConv2d, {b.input()}, a, {{"filter", filter}, {"bias", bias}}, "conv");
  b.mark_output(b.add(OpType::kRelu, {x}, {}, {}, "relu"));
  Model m;
  m.metadata.name = "tiny";
  m.metadata.input_height = 4;
  m.metadata.input_width = 4;
  m.metadata.input_channels = 2;
  m.metadata.pixel_mean = {127.5f, 127.5f};
  m.metadata.pixel_scale = {0.0078125f, 0.0078125f};
  m.metadata.output_kind = "test";
  m.metadata.provenance = "written by model_file_test";
  m.metadata.license = "public domain";
  m.metadata.properties["threshold_far_1e-3"] = "0.42";
  m.graph = b.finish();
  return m;
}

TEST(ModelFile, RoundTripKeepsEverything) {
  const Model m = tiny_model();
  const std::vector<std::uint8_t> bytes = serialize_model(m);
  const Model back = parse_model(bytes.data(), bytes.size(), "memory");
  EXPECT_EQ(back.metadata.name, "tiny");
  EXPECT_EQ(back.metadata.input_shape(), (Shape{1, 4, 4, 2}));
  EXPECT_EQ(back.metadata.pixel_mean, m.metadata.pixel_mean);
  EXPECT_EQ(back.metadata.pixel_scale, m.metadata.pixel_scale);
  EXPECT_EQ(back.metadata.license, "public domain");
  EXPECT_EQ(back.metadata.properties.at("threshold_far_1e-3"), "0.42");
  ASSERT_EQ(back.graph.nodes.size(), 2u);
  EXPECT_EQ(back.graph.nodes[0].attributes.get_string("padding", ""), "same");
  EXPECT_EQ(back.graph.nodes[0].weight("bias")->data, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(serialize_model(back), bytes);
}

TEST(ModelFile, SampleNetworksRoundTripByteForByte) {
  for (const SampleNetwork& s : sample_networks()) {
    const std::vector<std::uint8_t> bytes = serialize_model(make_sample_network(s.name, 3));
    const Model back = parse_model(bytes.data(), bytes.size(), s.name);
    EXPECT_EQ(serialize_model(back), bytes) << s.name;
  }
}

TEST(ModelFile, SaveAndLoadThroughAFile) {
  const std::string path = ::testing::TempDir() + "model_file_test.fum";
  save_model(tiny_model(), path);
  EXPECT_EQ(load_model(path).metadata.name, "tiny");
  std::remove(path.c_str());
  try {
    load_model(path);
    FAIL() << "loading a missing file must fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(ModelFile, RejectsBadMagicVersionAndChecksum) {
  const std::vector<std::uint8_t> good = serialize_model(tiny_model());
  auto magic = good;
  magic[0] = 'X';
  EXPECT_NE(parse_error(magic).find("bad magic"), std::string::npos);
  auto version = good;
  version[8] = 7;
  EXPECT_NE(parse_error(version).find("unknown version 7"), std::string::npos);
  auto body = good;
  body[good.size() / 2] ^= 0x10;
  EXPECT_NE(parse_error(body).find("checksum mismatch"), std::string::npos);
  auto trailing = good;
  trailing.push_back(0);
  EXPECT_NE(parse_error(trailing).find("trailing bytes"), std::string::npos);
  EXPECT_NE(parse_error({}).find("truncated"), std::string::npos);
}

TEST(ModelFile, EveryTruncationFailsClearly) {
  const std::vector<std::uint8_t> good = serialize_model(tiny_model());
  for (std::size_t size = 0; size < good.size(); ++size) {
    std::vector<std::uint8_t> cut(good.begin(), good.begin() + size);
    const std::string message = parse_error(cut);
    EXPECT_NE(message.find("truncated"), std::string::npos) << size << ": " << message;
    EXPECT_NE(message.find("test.fum"), std::string::npos) << message;
  }
}

TEST(ModelFile, HugeCountsAreRejectedBeforeAllocating) {
  std::vector<std::uint8_t> bytes = serialize_model(tiny_model());
  // The metadata count is the first body field.
  for (int i = 0; i < 4; ++i) bytes[kHeaderSize + i] = 0xFF;
  fix_checksum(bytes);
  EXPECT_NE(parse_error(bytes).find("more than the remaining"), std::string::npos)
      << parse_error(bytes);
}

TEST(ModelFile, ShapeMismatchIsNamed) {
  Model m = tiny_model();
  m.graph.nodes[0].weights["bias"].dims = {4};
  m.graph.nodes[0].weights["bias"].data.push_back(0.0f);
  const std::vector<std::uint8_t> bytes = serialize_model(m);
  const std::string message = parse_error(bytes);
  EXPECT_NE(message.find("invalid graph"), std::string::npos) << message;
  EXPECT_NE(message.find("'bias' has shape [4], expected [3]"), std::string::npos) << message;
}

TEST(ModelFile, WrongInputChannelsInMetadataIsAShapeMismatch) {
  Model m = tiny_model();
  m.metadata.input_channels = 3;
  m.metadata.pixel_mean.push_back(0);
  m.metadata.pixel_scale.push_back(1);
  const std::vector<std::uint8_t> bytes = serialize_model(m);
  EXPECT_NE(parse_error(bytes).find("input channels"), std::string::npos) << parse_error(bytes);
}

TEST(ModelFile, UnknownOpAndNonFiniteWeightsAreRejected) {
  Model m = tiny_model();
  m.graph.nodes[0].weights["bias"].data[1] = std::numeric_limits<float>::quiet_NaN();
  std::vector<std::uint8_t> bytes = serialize_model(m);
  EXPECT_NE(parse_error(bytes).find("non-finite"), std::string::npos) << parse_error(bytes);

  bytes = serialize_model(tiny_model());
  const std::string op = "conv2d";
  auto it = std::search(bytes.begin(), bytes.end(), op.begin(), op.end());
  ASSERT_NE(it, bytes.end());
  *it = 'k';
  fix_checksum(bytes);
  EXPECT_NE(parse_error(bytes).find("unknown op 'konv2d'"), std::string::npos)
      << parse_error(bytes);
}

TEST(ModelFile, ExactlyQuantisedWeightsAreStoredInOneByteLosslessly) {
  Model m = tiny_model();
  Weight& filter = m.graph.nodes[0].weights["filter"];
  const Uint8Quantization q{0.0625f, -3.0f};
  for (std::size_t i = 0; i < filter.data.size(); ++i) {
    filter.data[i] = q.min + static_cast<float>((i * 37) % 256) * q.scale;
  }
  const std::size_t float_size = serialize_model(m).size();
  filter.quantization = q;
  const std::vector<std::uint8_t> bytes = serialize_model(m);
  EXPECT_EQ(bytes.size(), float_size - filter.data.size() * 3 + 8);
  const Model back = parse_model(bytes.data(), bytes.size(), "quantised");
  EXPECT_EQ(back.graph.nodes[0].weight("filter")->data, filter.data);
  EXPECT_EQ(serialize_model(back), bytes);

  // A value off the grid keeps the whole weight in float32.
  filter.data[5] += 0.01f;
  EXPECT_EQ(serialize_model(m).size(), float_size);
}

// Random corruption behind a valid checksum must end in fu::Error or a valid model, never a
// crash, a hang or an uncaught exception of another type.
TEST(ModelFile, RandomCorruptionNeverCrashes) {
  const std::vector<std::uint8_t> good = serialize_model(make_sample_network("blazeface", 1));
  std::mt19937 rng(12345);
  int rejected = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<std::uint8_t> bytes = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      // Corrupt mostly the structural start of the body, where counts and names live.
      const std::size_t span = std::min<std::size_t>(bytes.size() - kHeaderSize, 4096);
      bytes[kHeaderSize + rng() % span] = static_cast<std::uint8_t>(rng());
    }
    fix_checksum(bytes);
    try {
      parse_model(bytes.data(), bytes.size(), "fuzz");
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
}

// quantize -> int8 conv (3 output channels, per-channel scales, int32 bias) -> dequantize.
constexpr float kFirstChannelScale = 0.0123456f;

Model tiny_int8_model() {
  GraphBuilder b(Shape{1, 4, 4, 2});
  const int q = b.add(OpType::kQuantize, {b.input()}, {}, {}, "quantize");
  b.quantize_value(q, {0.02f, -5});
  Weight filter;
  filter.dims = {3, 3, 3, 2};
  filter.type = WeightType::kQs8;
  filter.channel_axis = 0;
  filter.channel_scales = {kFirstChannelScale, 0.02f, 0.03f};
  for (int i = 0; i < 54; ++i) filter.qs8.push_back(static_cast<std::int8_t>((i * 37) % 255 - 127));
  Weight bias;
  bias.dims = {3};
  bias.type = WeightType::kI32;
  bias.i32 = {100, -2000, 300000};
  Attributes a = window_attributes(3, 1, "same");
  a.set("output_min", 0.0);
  const int conv = b.add(OpType::kConv2d, {q}, a, {{"filter", filter}, {"bias", bias}}, "conv");
  b.quantize_value(conv, {0.05f, -128});
  b.mark_output(b.add(OpType::kDequantize, {conv}, {}, {}, "dequantize"));
  Model m = tiny_model();
  m.metadata.name = "tiny-int8";
  m.graph = b.finish();
  return m;
}

// Replaces the first occurrence of `from`'s bytes (after the header) and fixes the checksum.
void patch_float(std::vector<std::uint8_t>& bytes, float from, float to) {
  std::uint8_t a[4], c[4];
  std::memcpy(a, &from, 4);
  std::memcpy(c, &to, 4);
  auto it = std::search(bytes.begin() + kHeaderSize, bytes.end(), a, a + 4);
  ASSERT_NE(it, bytes.end());
  std::copy(c, c + 4, it);
  fix_checksum(bytes);
}

std::size_t offset_of_float(const std::vector<std::uint8_t>& bytes, float value) {
  std::uint8_t a[4];
  std::memcpy(a, &value, 4);
  return std::search(bytes.begin() + kHeaderSize, bytes.end(), a, a + 4) - bytes.begin();
}

// Cuts the body to `size` bytes and makes the header agree, so the reader's own checks see it.
std::vector<std::uint8_t> cut_body(const std::vector<std::uint8_t>& bytes, std::size_t size) {
  std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + size);
  const std::uint64_t body = size - kHeaderSize;
  for (int i = 0; i < 8; ++i) cut[16 + i] = static_cast<std::uint8_t>(body >> (8 * i));
  fix_checksum(cut);
  return cut;
}

TEST(ModelFileInt8, RoundTripKeepsInt8WeightsAndValueQuantisation) {
  const Model m = tiny_int8_model();
  const std::vector<std::uint8_t> bytes = serialize_model(m);
  EXPECT_EQ(bytes[8], kModelFormatVersion);
  const Model back = parse_model(bytes.data(), bytes.size(), "memory");
  const Weight* f = back.graph.nodes[1].weight("filter");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->type, WeightType::kQs8);
  EXPECT_EQ(f->qs8, m.graph.nodes[1].weight("filter")->qs8);
  EXPECT_EQ(f->channel_scales, m.graph.nodes[1].weight("filter")->channel_scales);
  EXPECT_EQ(back.graph.nodes[1].weight("bias")->i32,
            (std::vector<std::int32_t>{100, -2000, 300000}));
  ASSERT_EQ(back.graph.quantized_values.size(), 2u);
  EXPECT_EQ(back.graph.quantized_values.at(1).zero_point, -5);
  EXPECT_EQ(serialize_model(back), bytes);
  // It runs: the output is a float tensor.
  Network net(std::make_shared<Model>(back), {Backend::kReference});
  Tensor x(net.input_shape());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.1f * static_cast<float>(i % 7) - 0.3f;
  const Tensor& y = net.run(x)[0];
  EXPECT_EQ(y.shape(), (Shape{1, 4, 4, 3}));
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_GE(y[i], 0.0f);  // the fused ReLU
}

// int32 weights whose values all fit in 16 bits are stored in two bytes each (dtype 6), the
// rest in four; both read back as the same int32 values.
TEST(ModelFileInt8, Int32WeightsThatFitIn16BitsTakeTwoBytesEach) {
  Model m = tiny_int8_model();
  const std::size_t wide = serialize_model(m).size();
  std::vector<std::int32_t>& bias = m.graph.nodes[1].weights["bias"].i32;
  bias = {-32768, 32767, -1};
  const std::vector<std::uint8_t> bytes = serialize_model(m);
  EXPECT_EQ(bytes.size() + 2 * bias.size(), wide);
  const Model back = parse_model(bytes.data(), bytes.size(), "narrow");
  EXPECT_EQ(back.graph.nodes[1].weight("bias")->type, WeightType::kI32);
  EXPECT_EQ(back.graph.nodes[1].weight("bias")->i32, bias);
  EXPECT_EQ(serialize_model(back), bytes);
  bias = {-32769, 0, 1};  // one value past 16 bits: all four bytes again
  EXPECT_EQ(serialize_model(m).size(), wide);
}

// Float models keep version 1 and float32 storage, even for values exact in float16: the
// converters must reproduce the shipped files byte for byte (float16 is for int8 models' float
// remainders, which quantize_model_test round-trips).
TEST(ModelFileInt8, FloatModelsStayVersion1) {
  Model m = tiny_model();
  Weight& filter = m.graph.nodes[0].weights["filter"];
  for (std::size_t i = 0; i < filter.data.size(); ++i) filter.data[i] = 0.001f * i;  // not exact
  const std::size_t float_size = serialize_model(m).size();
  for (float& v : filter.data) v = half_to_float(float_to_half(v));
  const std::vector<std::uint8_t> bytes = serialize_model(m);
  EXPECT_EQ(bytes.size(), float_size);
  ASSERT_GT(bytes.size(), 12u);
  EXPECT_EQ(bytes[8], 1);  // the version, little-endian u32 at offset 8
  EXPECT_EQ(bytes[9] | bytes[10] | bytes[11], 0);
  const Model back = parse_model(bytes.data(), bytes.size(), "half");
  EXPECT_EQ(back.graph.nodes[0].weight("filter")->data, filter.data);
}

// A float model whose weights were rounded to float16 on purpose (round_weights_to_half) is
// written as version 2 with two bytes per value, reads back with the same values, and saves again
// byte for byte; a weight changed afterwards so it is no longer exact goes back to float32.
TEST(ModelFileInt8, FloatModelRoundedToHalfStoresTwoBytesPerValue) {
  Model m = tiny_model();
  Weight& filter = m.graph.nodes[0].weights["filter"];
  for (std::size_t i = 0; i < filter.data.size(); ++i) filter.data[i] = 0.001f * i + 0.0003f;
  const std::vector<float> before = filter.data;
  const std::size_t float_size = serialize_model(m).size();
  const HalfRounding r = round_weights_to_half(m.graph);
  EXPECT_EQ(r.weights, 2u);  // filter and bias
  EXPECT_EQ(r.values, 57u);
  EXPECT_GT(r.largest_change, 0.0);
  EXPECT_LE(r.largest_relative_change, std::ldexp(1.0, -11));  // half an ulp of float16
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(filter.data[i], half_to_float(float_to_half(before[i])));
  }
  const std::vector<std::uint8_t> bytes = serialize_model(m);
  EXPECT_EQ(bytes[8], 2);  // version 2
  // 57 values at two bytes instead of four, against the version 2 file's empty int8 table.
  EXPECT_EQ(bytes.size(), float_size - 2 * 57 + 4);
  const Model back = parse_model(bytes.data(), bytes.size(), "half");
  EXPECT_EQ(back.graph.nodes[0].weight("filter")->data, filter.data);
  EXPECT_TRUE(back.graph.nodes[0].weight("filter")->half_storage);
  EXPECT_EQ(serialize_model(back), bytes);
  // A network built from the file computes with the rounded weights in float32.
  Network net(std::make_shared<const Model>(back));
  EXPECT_EQ(net.input_shape().c, 2);

  Model changed = back;
  for (auto& [role, weight] : changed.graph.nodes[0].weights) weight.data[0] += 1e-6f;
  const std::vector<std::uint8_t> wide = serialize_model(changed);
  EXPECT_EQ(wide[8], 1);  // no weight is exact any more: version 1, float32
  EXPECT_EQ(wide.size(), float_size);
}

TEST(ModelFileInt8, RoundingToHalfRefusesValuesBeyondItsRange) {
  Model m = tiny_model();
  m.graph.nodes[0].weights["bias"].data[1] = 70000.0f;
  const Graph before = m.graph;
  try {
    round_weights_to_half(m.graph);
    FAIL() << "70000 was rounded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("node 'conv'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("65504"), std::string::npos) << e.what();
  }
  EXPECT_EQ(m.graph.nodes[0].weight("bias")->data, before.nodes[0].weight("bias")->data);
  EXPECT_FALSE(m.graph.nodes[0].weight("bias")->half_storage);
}

// The converters' lossless case: only when every float weight is already a float16 value.
TEST(ModelFileInt8, StoresAsHalfOnlyWhenNothingChanges) {
  Model exact = tiny_model();  // 0.5 and 1, 2, 3: all exact in float16
  EXPECT_TRUE(store_as_half_if_lossless(exact.graph));
  const std::vector<std::uint8_t> bytes = serialize_model(exact);
  EXPECT_EQ(bytes[8], 2);
  EXPECT_EQ(parse_model(bytes.data(), bytes.size(), "exact").graph.nodes[0].weight("filter")->data,
            exact.graph.nodes[0].weight("filter")->data);
  Model inexact = tiny_model();
  inexact.graph.nodes[0].weights["bias"].data[2] = 0.1f;  // one value float16 cannot hold
  EXPECT_FALSE(store_as_half_if_lossless(inexact.graph));
  EXPECT_FALSE(inexact.graph.nodes[0].weight("filter")->half_storage);
  EXPECT_EQ(serialize_model(inexact)[8], 1);
}

TEST(ModelFileInt8, Float16ConversionRoundsToNearestEven) {
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_half(1e6f), 0x7c00);
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));             // smallest subnormal
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // tie -> even
  EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie -> even (up)
  for (std::uint32_t h = 0; h < 0x7c00; ++h) {
    EXPECT_EQ(float_to_half(half_to_float(static_cast<std::uint16_t>(h))), h);
  }
}

// A version-1 file, byte for byte as the version-1 writer laid it out (no quantised-value table,
// float32 and uint8-affine weights only), still loads.
TEST(ModelFileInt8, Version1FilesStillLoad) {
  const Model m = tiny_model();
  ByteWriter body;
  std::map<std::string, std::string> pairs = m.metadata.properties;
  pairs["name"] = "tiny-v1";
  pairs["input_height"] = "4";
  pairs["input_width"] = "4";
  pairs["input_channels"] = "2";
  pairs["pixel_mean"] = "127.5,127.5";
  pairs["pixel_scale"] = "0.0078125,0.0078125";
  pairs["output_kind"] = "test";
  pairs["provenance"] = "version 1 layout";
  pairs["license"] = "public domain";
  body.u32(static_cast<std::uint32_t>(pairs.size()));
  for (const auto& [k, v] : pairs) {
    body.str(k);
    body.str(v);
  }
  body.u32(3);
  for (const char* name : {"input", "conv", "relu"}) body.str(name);
  body.u32(0);  // input
  body.u32(1);  // one output
  body.u32(2);
  body.u32(2);  // nodes
  body.str("conv2d");
  body.str("conv");
  body.u32(1);
  body.u32(0);
  body.u32(1);
  body.u32(1);  // one attribute
  body.str("padding");
  body.u8(2);
  body.str("same");
  body.u32(2);  // weights, in role order
  body.str("bias");
  body.u8(1);  // float32
  body.u32(1);
  body.u32(3);
  for (float v : {1.0f, 2.0f, 3.0f}) body.f32(v);
  body.str("filter");
  body.u8(2);  // uint8 affine
  body.u32(4);
  for (std::uint32_t d : {3u, 3u, 3u, 2u}) body.u32(d);
  body.f32(0.5f);
  body.f32(-1.0f);
  for (int i = 0; i < 54; ++i) body.u8(static_cast<std::uint8_t>(i));
  body.str("relu");
  body.str("relu");
  body.u32(1);
  body.u32(1);
  body.u32(2);
  body.u32(0);
  body.u32(0);
  const char magic[8] = {'F', 'U', 'M', 'O', 'D', 'E', 'L', '\0'};
  const std::vector<std::uint8_t> v1 = seal_envelope({magic, 1, "model file"}, body.bytes());
  ASSERT_EQ(v1[8], 1);
  const Model back = parse_model(v1.data(), v1.size(), "v1.fum");
  EXPECT_EQ(back.metadata.name, "tiny-v1");
  EXPECT_EQ(back.graph.nodes[0].weight("bias")->data, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(back.graph.nodes[0].weight("filter")->data[3], 0.5f);
  EXPECT_TRUE(back.graph.quantized_values.empty());
  // A float model is saved as version 1 again, byte for byte.
  EXPECT_EQ(serialize_model(back), v1);

  // Version 1 never had int8 weights: a dtype 4 there is corruption.
  std::vector<std::uint8_t> bad = v1;
  const std::size_t at = offset_of_float(bad, 0.5f) - 4 * 4 - 4 - 1;  // the filter's dtype byte
  ASSERT_EQ(bad[at], 2);
  bad[at] = 4;
  fix_checksum(bad);
  EXPECT_NE(parse_error(bad).find("unknown weight dtype 4 in a version 1 file"), std::string::npos)
      << parse_error(bad);
}

TEST(ModelFileInt8, BadChannelScalesAreRejected) {
  const std::vector<std::uint8_t> good = serialize_model(tiny_int8_model());
  for (float bad : {0.0f, -0.5f, std::numeric_limits<float>::quiet_NaN(),
                    std::numeric_limits<float>::infinity()}) {
    std::vector<std::uint8_t> bytes = good;
    patch_float(bytes, kFirstChannelScale, bad);
    const std::string message = parse_error(bytes);
    EXPECT_NE(message.find("channel scale"), std::string::npos) << bad << ": " << message;
    EXPECT_NE(message.find("finite number > 0"), std::string::npos) << message;
  }
}

TEST(ModelFileInt8, TruncatedInt8ValuesAreRejected) {
  const std::vector<std::uint8_t> good = serialize_model(tiny_int8_model());
  const std::size_t scales = offset_of_float(good, kFirstChannelScale);
  for (std::size_t extra : {std::size_t{2}, std::size_t{3 * 4 + 10}}) {
    const std::string message = parse_error(cut_body(good, scales + extra));
    EXPECT_NE(message.find("truncated"), std::string::npos) << extra << ": " << message;
  }
}

TEST(ModelFileInt8, ChannelAxisAndLevelsAreChecked) {
  const std::vector<std::uint8_t> good = serialize_model(tiny_int8_model());
  const std::size_t scales = offset_of_float(good, kFirstChannelScale);
  std::vector<std::uint8_t> axis = good;
  axis[scales - 4] = 9;  // the channel axis just before the scales
  fix_checksum(axis);
  EXPECT_NE(parse_error(axis).find("channel axis 9 is not below its rank 4"), std::string::npos)
      << parse_error(axis);

  std::vector<std::uint8_t> level = good;
  level[scales + 3 * 4] = 0x80;  // the first int8 value becomes -128
  fix_checksum(level);
  EXPECT_NE(parse_error(level).find("-128"), std::string::npos) << parse_error(level);

  std::vector<std::uint8_t> value_scale = good;
  patch_float(value_scale, 0.02f, -1.0f);  // the quantize output's scale comes first
  EXPECT_NE(parse_error(value_scale).find("expected a finite scale > 0"), std::string::npos)
      << parse_error(value_scale);
}

TEST(ModelFileInt8, WrongScaleCountAndMixedDtypesAreGraphErrors) {
  // The file derives the scale count from the shape; a graph built in memory is checked by plan.
  Model m = tiny_int8_model();
  m.graph.nodes[1].weights["filter"].channel_scales.pop_back();
  std::string message;
  try {
    make_plan(m.graph, m.metadata.input_shape());
  } catch (const Error& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("has 2 scales for 3 channels"), std::string::npos) << message;

  m = tiny_int8_model();
  m.graph.quantized_values.erase(1);  // the conv now reads a float value
  message = parse_error(serialize_model(m));
  EXPECT_NE(message.find("invalid graph"), std::string::npos) << message;

  m = tiny_int8_model();
  m.graph.quantized_values.erase(2);  // the int8 conv now writes a float value
  message = parse_error(serialize_model(m));
  EXPECT_NE(message.find("mixes float32 and int8"), std::string::npos) << message;

  m = tiny_int8_model();
  m.graph.outputs = {2};  // an int8 graph output
  message = parse_error(serialize_model(m));
  EXPECT_NE(message.find("graph outputs must be float32"), std::string::npos) << message;
}

}  // namespace
}  // namespace fu::nn
