#include "nn/tensor.h"

namespace fu::nn {

namespace {
constexpr std::size_t kPaddingFloats = kTensorPaddingBytes / sizeof(float);
}

std::string Shape::str() const {
  return std::to_string(n) + "x" + std::to_string(h) + "x" + std::to_string(w) + "x" +
         std::to_string(c);
}

Tensor::Tensor(const Shape& shape) : shape_(shape), storage_(shape.size() + kPaddingFloats, 0.0f) {}

void Tensor::reshape(const Shape& shape) {
  shape_ = shape;
  storage_.resize(shape.size() + kPaddingFloats, 0.0f);
}

}  // namespace fu::nn
