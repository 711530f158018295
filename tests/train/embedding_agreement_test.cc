#include "train/embedding_agreement.h"

#include <gtest/gtest.h>

#include <random>

#include "train/architecture.h"

namespace fu::train {
namespace {

nn::Model tiny(std::uint64_t seed) {
  ArchitectureOptions arch;
  arch.name = "tiny";
  arch.input_size = 32;
  arch.embedding_size = 16;
  arch.seed = seed;
  return build_architecture(arch);
}

// Noise chips: the agreement only needs inputs both networks take.
FaceDataset noise_chips(int count) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> byte(0, 255);
  FaceDataset data;
  data.chip_width = data.chip_height = 32;
  for (int i = 0; i < count; ++i) {
    image::Image chip(32, 32, 3);
    for (std::size_t k = 0; k < chip.size_bytes(); ++k) {
      chip.data()[k] = static_cast<std::uint8_t>(byte(rng));
    }
    data.samples.push_back({0, "noise/" + std::to_string(i), std::move(chip)});
  }
  return data;
}

TEST(SpreadChips, EvenlySpacedShiftedAndWrapped) {
  EXPECT_EQ(spread_chips(10, 5, 0), (std::vector<std::size_t>{0, 2, 4, 6, 8}));
  EXPECT_EQ(spread_chips(10, 5, 1), (std::vector<std::size_t>{1, 3, 5, 7, 9}));
  EXPECT_EQ(spread_chips(10, 4, 3), (std::vector<std::size_t>{3, 5, 8, 0}));
  EXPECT_EQ(spread_chips(3, 10, 0), (std::vector<std::size_t>{0, 1, 2}));  // at most total
  EXPECT_TRUE(spread_chips(0, 10, 0).empty());
}

TEST(EmbeddingAgreement, ANetworkAgreesWithItselfAndNotWithAnother) {
  const FaceDataset data = noise_chips(12);
  const nn::Model a = tiny(3);
  const std::vector<std::size_t> chips = spread_chips(12, 6, 1);

  const EmbeddingAgreement same = embedding_agreement(a, a, data, chips, nn::Backend::kReference);
  EXPECT_EQ(same.chips, 6);
  EXPECT_NEAR(same.min_cosine, 1.0, 1e-6);
  EXPECT_NEAR(same.mean_cosine, 1.0, 1e-6);

  const EmbeddingAgreement other =
      embedding_agreement(a, tiny(4), data, chips, nn::Backend::kReference);
  EXPECT_EQ(other.chips, 6);
  EXPECT_LT(other.mean_cosine, 0.99);
  EXPECT_LE(other.min_cosine, other.mean_cosine);
  EXPECT_GE(other.min_cosine, -1.0);

  EXPECT_EQ(embedding_agreement(a, a, data, {}, nn::Backend::kReference).chips, 0);
}

TEST(EmbeddingAgreement, EachModelSeesItsOwnVersionOfTheChips) {
  const FaceDataset data = noise_chips(8);
  FaceDataset inverted = noise_chips(8);
  for (FaceSample& s : inverted.samples) {
    for (std::size_t k = 0; k < s.chip.size_bytes(); ++k) s.chip.data()[k] = 255 - s.chip.data()[k];
  }
  const nn::Model a = tiny(3);
  const std::vector<std::size_t> chips = spread_chips(8, 8, 0);
  EXPECT_NEAR(embedding_agreement(a, data, a, data, chips, nn::Backend::kReference).mean_cosine,
              1.0, 1e-6);
  const EmbeddingAgreement changed =
      embedding_agreement(a, data, a, inverted, chips, nn::Backend::kReference);
  EXPECT_EQ(changed.chips, 8);
  EXPECT_LT(changed.mean_cosine, 0.999);
}

}  // namespace
}  // namespace fu::train
