// A dense float32 tensor in NHWC order. Every tensor keeps kTensorPaddingBytes of slack after
// its last element, because XNNPACK (and any kernel that follows its contract) may read up to
// XNN_EXTRA_BYTES past the end of an input; they never write there.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace fu::nn {

constexpr std::size_t kTensorPaddingBytes = 16;

struct Shape {
  int n = 1;
  int h = 1;
  int w = 1;
  int c = 1;

  std::size_t size() const {
    return static_cast<std::size_t>(n) * static_cast<std::size_t>(h) * static_cast<std::size_t>(w) *
           static_cast<std::size_t>(c);
  }
  std::string str() const;  // "1x112x112x3"
  bool operator==(const Shape& o) const { return n == o.n && h == o.h && w == o.w && c == o.c; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(const Shape& shape);

  const Shape& shape() const { return shape_; }
  std::size_t size() const { return shape_.size(); }
  float* data() { return storage_.data(); }
  const float* data() const { return storage_.data(); }
  float& operator[](std::size_t i) { return storage_[i]; }
  float operator[](std::size_t i) const { return storage_[i]; }

  // Changes the shape; contents are unspecified afterwards unless the size is unchanged.
  void reshape(const Shape& shape);

 private:
  Shape shape_{0, 0, 0, 0};
  std::vector<float> storage_;
};

}  // namespace fu::nn
