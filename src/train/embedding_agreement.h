// How closely two embedders agree on the same faces: the cosine between their embeddings of each
// chip. `quantize` uses it to decide whether an int8 copy keeps the float model's identity
// (templates enrolled with one can be probed with the other only when even the worst chip agrees
// closely); `prune` to say how far the narrower network starts from the original.
#pragma once

#include <cstddef>
#include <vector>

#include "nn/executor.h"
#include "nn/model.h"
#include "train/face_dataset.h"

namespace fu::train {

struct EmbeddingAgreement {
  int chips = 0;
  double min_cosine = 0;
  double mean_cosine = 0;
};

// `count` chip indices spread evenly over `total` chips, each moved `offset` past its even spot
// (modulo total), so that they miss chips another step took at the even spots themselves.
std::vector<std::size_t> spread_chips(std::size_t total, std::size_t count, std::size_t offset);

// Both models embed data.samples[i].chip for every i in `chips` (as the embedder feeds a chip:
// the first model's pixel normalisation and input shape; both must take the same input).
// No chips: an agreement of 0 chips.
EmbeddingAgreement embedding_agreement(const nn::Model& reference, const nn::Model& other,
                                       const FaceDataset& data,
                                       const std::vector<std::size_t>& chips, nn::Backend backend);

// The same with each model seeing its own version of every chip (e.g. `other` a degraded copy):
// chip i is reference_data.samples[i] for `reference`, other_data.samples[i] for `other`.
EmbeddingAgreement embedding_agreement(const nn::Model& reference,
                                       const FaceDataset& reference_data, const nn::Model& other,
                                       const FaceDataset& other_data,
                                       const std::vector<std::size_t>& chips, nn::Backend backend);

}  // namespace fu::train
