// The fuzz entry points in the normal build, so CI keeps what fuzzing found without running a
// fuzzer: each target accepts its seeds, refuses them cut short, survives them damaged, and
// replays every input kept under tests/fuzz/regressions/<target>/ (crashes found and fixed).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "fuzz/fuzz_seeds.h"
#include "fuzz/fuzz_targets.h"
#include "image/decode.h"

namespace fu::fuzz {
namespace {

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>());
}

TEST(FuzzSeeds, EveryTargetAcceptsItsSeeds) {
  for (const Target& target : targets()) {
    const std::vector<Seed> seeds = seeds_for(target.name);
    EXPECT_GE(seeds.size(), 3u) << target.name;
    for (const Seed& seed : seeds) {
      EXPECT_TRUE(target.entry(seed.bytes.data(), seed.bytes.size()))
          << target.name << " refuses its seed " << seed.name;
    }
  }
}

// Every format here knows its length (a JPEG's end marker, a PNG's end chunk, a BMP's or PNM's
// pixel count, the files' counts), so a cut seed is refused, never half read. The one tolerated
// cut is a PNG's closing checksum, which stb_image does not read: the pixels are then all there.
TEST(FuzzSeeds, CutSeedsAreRefusedOrWhole) {
  for (const Target& target : targets()) {
    const bool is_image = std::string(target.name) == "image_decode";
    for (const Seed& seed : seeds_for(target.name)) {
      for (std::size_t size = 1; size < seed.bytes.size(); ++size) {
        const bool accepted = target.entry(seed.bytes.data(), size);
        if (!accepted) continue;
        const std::string what = std::string(target.name) + " accepts " + seed.name + " cut to " +
                                 std::to_string(size) + " of " + std::to_string(seed.bytes.size()) +
                                 " bytes";
        ASSERT_TRUE(is_image) << what;
        const image::Image whole = image::decode_image(seed.bytes, seed.name);
        const image::Image cut = image::decode_image(seed.bytes.data(), size, seed.name);
        EXPECT_TRUE(cut.width() == whole.width() && cut.height() == whole.height() &&
                    cut.channels() == whole.channels() &&
                    std::equal(cut.data(), cut.data() + cut.size_bytes(), whole.data()))
            << what << " with other pixels";
        EXPECT_GE(size + 4, seed.bytes.size()) << what << ": more than a PNG's last checksum";
      }
    }
  }
}

// Damage anywhere ends in an answer: the entries abort or throw on anything else.
TEST(FuzzSeeds, FlippedBitsEndInAnAnswer) {
  for (const Target& target : targets()) {
    for (const Seed& seed : seeds_for(target.name)) {
      for (std::size_t i = 0; i < seed.bytes.size(); ++i) {
        for (std::uint8_t bit : {0x01, 0x80}) {
          std::vector<std::uint8_t> damaged = seed.bytes;
          damaged[i] ^= bit;
          target.entry(damaged.data(), damaged.size());
        }
      }
    }
  }
}

TEST(FuzzRegressions, KeptInputsReplayThroughTheirTarget) {
  const std::filesystem::path root = FACEUNLOCK_FUZZ_REGRESSIONS;
  ASSERT_TRUE(std::filesystem::is_directory(root)) << root;
  std::set<std::string> names;
  for (const Target& target : targets()) names.insert(target.name);
  std::size_t replayed = 0;
  for (const auto& dir : std::filesystem::directory_iterator(root)) {
    if (!dir.is_directory()) continue;
    const std::string name = dir.path().filename().string();
    // A folder that names no target would be skipped silently.
    ASSERT_TRUE(names.count(name)) << dir.path() << " is not named after a fuzz target";
    for (const Target& target : targets()) {
      if (name != target.name) continue;
      for (const auto& file : std::filesystem::directory_iterator(dir.path())) {
        const std::vector<std::uint8_t> bytes = read_bytes(file.path());
        SCOPED_TRACE(file.path().string());
        target.entry(bytes.data(), bytes.size());
        ++replayed;
      }
    }
  }
  std::cout << "replayed " << replayed << " kept fuzz inputs\n";
}

}  // namespace
}  // namespace fu::fuzz
