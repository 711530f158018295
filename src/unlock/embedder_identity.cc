#include "unlock/embedder_identity.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "base/crc32.h"

namespace fu::unlock {

// embedder_identity(models/dlib-resnet.fum); tests/unlock/embedder_identity_test.cc checks that
// the shipped file still has it.
const char kUnrecordedEmbedder[] = "dlib-resnet@6c83f8d0";

namespace {

// Feeds `value` to the CRC as 4 little-endian bytes, whatever the host's byte order, so the
// native build and WebAssembly agree.
std::uint32_t crc_u32(std::uint32_t crc, std::uint32_t value) {
  const std::uint8_t bytes[4] = {
      static_cast<std::uint8_t>(value), static_cast<std::uint8_t>(value >> 8),
      static_cast<std::uint8_t>(value >> 16), static_cast<std::uint8_t>(value >> 24)};
  return crc32(bytes, sizeof bytes, crc);
}

std::uint32_t crc_f32(std::uint32_t crc, float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return crc_u32(crc, bits);
}

std::uint32_t weights_crc(const nn::Graph& graph) {
  std::uint32_t crc = 0;
  std::vector<std::uint8_t> chunk;
  for (const nn::Node& node : graph.nodes) {
    // std::map: roles in a fixed order.
    for (const auto& [role, weight] : node.weights) {
      crc = crc32(reinterpret_cast<const std::uint8_t*>(role.data()), role.size(), crc);
      crc = crc_u32(crc, static_cast<std::uint32_t>(weight.dims.size()));
      for (int d : weight.dims) crc = crc_u32(crc, static_cast<std::uint32_t>(d));
      chunk.resize(weight.data.size() * 4);
      for (std::size_t i = 0; i < weight.data.size(); ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, &weight.data[i], sizeof bits);
        for (int b = 0; b < 4; ++b) chunk[i * 4 + b] = static_cast<std::uint8_t>(bits >> (8 * b));
      }
      crc = crc32(chunk.data(), chunk.size(), crc);
      // Float weights hash as they always have (the identities of float models recorded in
      // stored galleries stay valid); int8 ones add what the float data does not hold.
      if (weight.type != nn::WeightType::kF32) {
        crc = crc_u32(crc, static_cast<std::uint32_t>(weight.type));
        crc =
            crc32(reinterpret_cast<const std::uint8_t*>(weight.qs8.data()), weight.qs8.size(), crc);
        for (float scale : weight.channel_scales) crc = crc_f32(crc, scale);
        crc = crc_u32(crc, static_cast<std::uint32_t>(weight.channel_axis));
        for (std::int32_t v : weight.i32) crc = crc_u32(crc, static_cast<std::uint32_t>(v));
      }
    }
  }
  // Activation ranges: two int8 files with the same weights but other calibrations embed
  // differently.
  for (const auto& [value, params] : graph.quantized_values) {
    crc = crc_u32(crc, static_cast<std::uint32_t>(value));
    crc = crc_f32(crc, params.scale);
    crc = crc_u32(crc, static_cast<std::uint32_t>(params.zero_point));
  }
  return crc;
}

}  // namespace

std::string embedder_identity(const nn::Model& model) {
  const auto declared = model.metadata.properties.find(kEmbedderIdentityKey);
  std::string identity;
  if (declared != model.metadata.properties.end()) {
    identity = declared->second;
  } else {
    char crc[9];
    std::snprintf(crc, sizeof crc, "%08x", static_cast<unsigned>(weights_crc(model.graph)));
    identity = model.metadata.name + "@" + crc;
  }
  if (const std::string problem = embedder_identity_problem(identity); !problem.empty()) {
    throw Error("cannot use model as a face embedder (" + model.metadata.name + "): its identity " +
                (declared != model.metadata.properties.end()
                     ? std::string("(metadata '") + kEmbedderIdentityKey + "') "
                     : std::string("(name and weights) ")) +
                problem);
  }
  return identity;
}

std::string embedder_name(const std::string& identity) {
  return identity.substr(0, identity.rfind('@'));
}

std::string templates_identity(const std::string& embedder, const std::string& keypoints) {
  if (keypoints.empty() || keypoints.find_first_of("+@") != std::string::npos) {
    throw Error("cannot name templates' keypoints (" + keypoints +
                "): expected a keypoint source's name such as 'landmarks-68'");
  }
  return keypoints == kDetectorKeypoints ? embedder : embedder + "+" + keypoints;
}

std::string templates_keypoints(const std::string& identity) {
  const std::size_t plus = identity.rfind('+');
  // A '+' inside the embedder's own part (a declared identity may hold one) names no keypoints.
  if (plus == std::string::npos || plus < identity.rfind('@')) return kDetectorKeypoints;
  return identity.substr(plus + 1);
}

std::string without_keypoints(const std::string& identity) {
  const std::size_t plus = identity.rfind('+');
  if (plus == std::string::npos || plus < identity.rfind('@')) return identity;
  return identity.substr(0, plus);
}

std::string templates_embedder(const std::string& recorded, std::size_t dimension) {
  if (!recorded.empty()) return recorded;
  return dimension == kUnrecordedEmbedderDimension ? kUnrecordedEmbedder : "";
}

std::string embedder_identity_problem(const std::string& identity) {
  if (identity.empty()) return "is empty";
  if (identity.size() > kMaxEmbedderIdentityBytes) {
    return "is " + std::to_string(identity.size()) + " bytes, longer than " +
           std::to_string(kMaxEmbedderIdentityBytes);
  }
  for (std::size_t i = 0; i < identity.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(identity[i]);
    if (c < 0x20 || c >= 0x7F) {
      return "holds a byte outside printable ASCII at byte " + std::to_string(i);
    }
  }
  return "";
}

void require_embedder(const std::string& recorded, std::size_t dimension,
                      const std::string& running, const std::string& verb_object) {
  const std::string stored = templates_embedder(recorded, dimension);
  if (stored == running) return;
  std::string made_by;
  std::string runs = "this engine runs " + running;
  std::string advice;
  if (stored.empty()) {
    made_by = "an unrecorded embedder of " + std::to_string(dimension) + " dimensions (a gallery " +
              "file of version 1, before galleries named their embedder)";
    advice = "enroll the users again with this embedder";
  } else if (without_keypoints(stored) == without_keypoints(running)) {
    // The same embedder on faces aligned on other points: the fix is the keypoint source.
    made_by = "this embedder on faces aligned on the keypoints '" + templates_keypoints(stored) +
              "' (" + stored + ")";
    runs = "this engine aligns on '" + templates_keypoints(running) + "' (" + running + ")";
    advice =
        "align on the keypoints they were enrolled with (load the 68-point landmark model "
        "or not, as then) or enroll the users again";
  } else if (embedder_name(stored) == embedder_name(running)) {
    made_by = "another version of the same model (" + stored + ")";
    advice = "enroll the users again: a retrained model's embeddings do not match the old ones";
  } else {
    made_by = "embedder " + stored;
    advice = "run the embedder that made them (model '" + embedder_name(stored) +
             "') or enroll the users again with this one";
  }
  throw EmbedderMismatch("cannot " + verb_object + ": these templates were made by " + made_by +
                             "; " + runs + ": " + advice,
                         stored, running);
}

}  // namespace fu::unlock
