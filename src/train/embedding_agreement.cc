#include "train/embedding_agreement.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "face/metadata.h"
#include "image/convert.h"
#include "nn/network.h"

namespace fu::train {

std::vector<std::size_t> spread_chips(std::size_t total, std::size_t count, std::size_t offset) {
  std::vector<std::size_t> chips;
  if (total == 0) return chips;
  count = std::min(count, total);
  for (std::size_t k = 0; k < count; ++k) chips.push_back((k * total / count + offset) % total);
  return chips;
}

EmbeddingAgreement embedding_agreement(const nn::Model& reference, const nn::Model& other,
                                       const FaceDataset& data,
                                       const std::vector<std::size_t>& chips, nn::Backend backend) {
  return embedding_agreement(reference, data, other, data, chips, backend);
}

EmbeddingAgreement embedding_agreement(const nn::Model& reference,
                                       const FaceDataset& reference_data, const nn::Model& other,
                                       const FaceDataset& other_data,
                                       const std::vector<std::size_t>& chips, nn::Backend backend) {
  EmbeddingAgreement agreement;
  if (chips.empty()) return agreement;
  nn::Network first(std::make_shared<const nn::Model>(reference), {backend, 1, 1});
  nn::Network second(std::make_shared<const nn::Model>(other), {backend, 1, 1});
  const image::ChannelNormalization norm = face::pixel_normalization(reference.metadata);
  nn::Tensor x(reference.metadata.input_shape());
  nn::Tensor y(reference.metadata.input_shape());
  double sum = 0;
  agreement.min_cosine = 1;
  for (const std::size_t i : chips) {
    image::normalize_to_float(reference_data.samples.at(i).chip, norm, x.data(), x.size());
    // One dataset for both (quantize, prune): the input is already there.
    if (&other_data != &reference_data) {
      image::normalize_to_float(other_data.samples.at(i).chip, norm, y.data(), y.size());
    }
    const nn::Tensor& a = first.run(x).front();
    const nn::Tensor& b = second.run(&other_data != &reference_data ? y : x).front();
    double ab = 0, aa = 0, bb = 0;
    for (std::size_t j = 0; j < a.size(); ++j) {
      ab += static_cast<double>(a[j]) * b[j];
      aa += static_cast<double>(a[j]) * a[j];
      bb += static_cast<double>(b[j]) * b[j];
    }
    const double c = aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
    agreement.min_cosine = std::min(agreement.min_cosine, c);
    sum += c;
  }
  agreement.chips = static_cast<int>(chips.size());
  agreement.mean_cosine = sum / static_cast<double>(chips.size());
  return agreement;
}

}  // namespace fu::train
