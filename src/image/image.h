// Pixel containers shared by every image operation.
//
// Layout: rows top to bottom, pixels left to right, channels interleaved (grey; R,G,B; R,G,B,A).
// Pixel (x, y) covers the unit square around the point (x, y): pixel centres sit at integer
// coordinates, which is the convention resize and warp rely on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fu::image {

// A point in pixel coordinates (x right, y down); (0, 0) is the centre of the top-left pixel.
struct Point {
  double x = 0.0;
  double y = 0.0;
};

// A rectangle in pixel units: columns [x, x + width), rows [y, y + height).
struct Rect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
};

// Throws fu::Error unless width and height are positive, channels is 1, 3 or 4, and
// width * height * channels * element_size bytes fit in std::size_t (32 bits in wasm).
// `what` names the object in the message, e.g. "image" or "resized image".
void check_image_size(int width, int height, int channels, std::size_t element_size,
                      const char* what);

class Image;

// A read-only window on 8-bit pixels owned by someone else, for example an RGBA camera frame
// copied from JavaScript. The owner must keep the buffer alive while the view is used.
// stride_bytes may exceed width * channels (padded rows, or a crop of a larger image).
class ImageView {
 public:
  ImageView() = default;
  // Throws fu::Error if data is null, the size is invalid or stride_bytes < width * channels.
  ImageView(const std::uint8_t* data, int width, int height, int channels,
            std::size_t stride_bytes);
  // Tightly packed rows.
  ImageView(const std::uint8_t* data, int width, int height, int channels);
  // Implicit so that every function taking a view also takes an Image.
  ImageView(const Image& image);  // NOLINT(google-explicit-constructor)

  const std::uint8_t* data() const { return data_; }
  int width() const { return width_; }
  int height() const { return height_; }
  int channels() const { return channels_; }
  std::size_t stride_bytes() const { return stride_bytes_; }
  bool empty() const { return data_ == nullptr; }

  const std::uint8_t* row(int y) const {
    return data_ + static_cast<std::size_t>(y) * stride_bytes_;
  }
  std::uint8_t at(int x, int y, int channel) const {
    return row(y)[static_cast<std::size_t>(x) * channels_ + channel];
  }

  // The part of this view inside `region`; throws fu::Error if region is empty or sticks out.
  ImageView crop(const Rect& region) const;

 private:
  const std::uint8_t* data_ = nullptr;
  int width_ = 0;
  int height_ = 0;
  int channels_ = 0;
  std::size_t stride_bytes_ = 0;
};

// An owning 8-bit image with tightly packed rows (stride = width * channels).
class Image {
 public:
  Image() = default;
  // Pixels start at `fill`. Throws fu::Error on an invalid size.
  Image(int width, int height, int channels, std::uint8_t fill = 0);
  // A packed copy of the pixels a view sees.
  static Image copy_of(ImageView view);

  int width() const { return width_; }
  int height() const { return height_; }
  int channels() const { return channels_; }
  std::size_t stride_bytes() const { return static_cast<std::size_t>(width_) * channels_; }
  bool empty() const { return pixels_.empty(); }
  std::size_t size_bytes() const { return pixels_.size(); }

  std::uint8_t* data() { return pixels_.data(); }
  const std::uint8_t* data() const { return pixels_.data(); }
  std::uint8_t* row(int y) { return pixels_.data() + static_cast<std::size_t>(y) * stride_bytes(); }
  const std::uint8_t* row(int y) const {
    return pixels_.data() + static_cast<std::size_t>(y) * stride_bytes();
  }
  std::uint8_t& at(int x, int y, int channel) {
    return row(y)[static_cast<std::size_t>(x) * channels_ + channel];
  }
  std::uint8_t at(int x, int y, int channel) const {
    return row(y)[static_cast<std::size_t>(x) * channels_ + channel];
  }

  ImageView view() const { return ImageView(*this); }

 private:
  int width_ = 0;
  int height_ = 0;
  int channels_ = 0;
  std::vector<std::uint8_t> pixels_;
};

// An owning float image (network input), same interleaved HWC layout, stride = width * channels
// floats.
// "WIDTHxHEIGHTxCHANNELS", or "empty", for the value part of error messages.
std::string shape_text(ImageView view);

class ImageF {
 public:
  ImageF() = default;
  ImageF(int width, int height, int channels, float fill = 0.0f);

  int width() const { return width_; }
  int height() const { return height_; }
  int channels() const { return channels_; }
  bool empty() const { return values_.empty(); }
  // Number of floats, width * height * channels.
  std::size_t size() const { return values_.size(); }

  float* data() { return values_.data(); }
  const float* data() const { return values_.data(); }
  float* row(int y) { return values_.data() + static_cast<std::size_t>(y) * width_ * channels_; }
  const float* row(int y) const {
    return values_.data() + static_cast<std::size_t>(y) * width_ * channels_;
  }
  float& at(int x, int y, int channel) {
    return row(y)[static_cast<std::size_t>(x) * channels_ + channel];
  }
  float at(int x, int y, int channel) const {
    return row(y)[static_cast<std::size_t>(x) * channels_ + channel];
  }

 private:
  int width_ = 0;
  int height_ = 0;
  int channels_ = 0;
  std::vector<float> values_;
};

}  // namespace fu::image
