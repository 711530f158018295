// Comparing embeddings. Score convention (docs/model-metadata.md): the cosine similarity of
// L2-normalised embeddings, from -1 to 1, higher = more alike, accepted when score >= threshold.
#pragma once

#include <cstddef>
#include <vector>

namespace fu::unlock {

// The dot product of two vectors of `size` floats; for L2-normalised vectors this is their
// cosine similarity. Accumulates in double so that the score does not depend on the dimension's
// rounding order (gallery sizes make speed irrelevant here).
float dot_product(const float* a, const float* b, std::size_t size);

// Cosine similarity of two L2-normalised embeddings (their dot product). Throws fu::Error when
// the sizes differ; the caller is responsible for having normalised both.
float cosine_similarity(const std::vector<float>& a, const std::vector<float>& b);

// `values` scaled to unit Euclidean length. Throws fu::Error for an empty vector, a NaN or
// infinite value, or an all-zero vector: none of them has a direction to compare.
std::vector<float> l2_normalized(const float* values, std::size_t size);
std::vector<float> l2_normalized(const std::vector<float>& values);

}  // namespace fu::unlock
