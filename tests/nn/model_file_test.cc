#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "base/crc32.h"
#include "base/error.h"
#include "nn/graph_builder.h"
#include "nn/model.h"
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

}  // namespace
}  // namespace fu::nn
