#include "image/image.h"

#include <cstring>
#include <limits>
#include <string>

#include "base/error.h"

namespace fu::image {
namespace {

std::string size_text(int width, int height, int channels) {
  return std::to_string(width) + "x" + std::to_string(height) + "x" + std::to_string(channels);
}

}  // namespace

void check_image_size(int width, int height, int channels, std::size_t element_size,
                      const char* what) {
  const std::string prefix =
      std::string("cannot create ") + what + " (" + size_text(width, height, channels) + "): ";
  if (width <= 0 || height <= 0) throw Error(prefix + "width and height must be positive");
  if (channels != 1 && channels != 3 && channels != 4) {
    throw Error(prefix + "channels must be 1 (grey), 3 (RGB) or 4 (RGBA)");
  }
  // Each factor is below 2^31, so checking one product at a time cannot itself overflow.
  const std::size_t max = std::numeric_limits<std::size_t>::max();
  std::size_t bytes = static_cast<std::size_t>(width);
  for (std::size_t factor :
       {static_cast<std::size_t>(height), static_cast<std::size_t>(channels), element_size}) {
    if (bytes > max / factor) throw Error(prefix + "size in bytes overflows this platform");
    bytes *= factor;
  }
}

ImageView::ImageView(const std::uint8_t* data, int width, int height, int channels,
                     std::size_t stride_bytes)
    : data_(data),
      width_(width),
      height_(height),
      channels_(channels),
      stride_bytes_(stride_bytes) {
  check_image_size(width, height, channels, 1, "image view");
  const std::string label = size_text(width, height, channels);
  if (data == nullptr)
    throw Error("cannot create image view (" + label + "): pixel pointer is null");
  const std::size_t packed = static_cast<std::size_t>(width) * channels;
  if (stride_bytes < packed) {
    throw Error("cannot create image view (" + label + "): stride " + std::to_string(stride_bytes) +
                " is less than width * channels = " + std::to_string(packed));
  }
  // The last row only needs width * channels bytes, but the addresses of all rows must exist.
  if ((std::numeric_limits<std::size_t>::max() - packed) / stride_bytes <
      static_cast<std::size_t>(height - 1)) {
    throw Error("cannot create image view (" + label + "): stride " + std::to_string(stride_bytes) +
                " times height overflows this platform");
  }
}

ImageView::ImageView(const std::uint8_t* data, int width, int height, int channels)
    : ImageView(data, width, height, channels,
                width > 0 && channels > 0 ? static_cast<std::size_t>(width) * channels : 0) {}

ImageView::ImageView(const Image& image)
    : data_(image.empty() ? nullptr : image.data()),
      width_(image.width()),
      height_(image.height()),
      channels_(image.channels()),
      stride_bytes_(image.stride_bytes()) {}

ImageView ImageView::crop(const Rect& region) const {
  const std::string label = std::to_string(region.x) + "," + std::to_string(region.y) + " " +
                            std::to_string(region.width) + "x" + std::to_string(region.height);
  if (empty()) throw Error("cannot crop image (" + label + "): the image is empty");
  if (region.width <= 0 || region.height <= 0) {
    throw Error("cannot crop image (" + label + "): width and height must be positive");
  }
  // Written as differences so that huge coordinates cannot overflow int.
  if (region.x < 0 || region.y < 0 || region.width > width_ - region.x ||
      region.height > height_ - region.y) {
    throw Error("cannot crop image (" + label + "): region is outside the " +
                std::to_string(width_) + "x" + std::to_string(height_) + " image");
  }
  return ImageView(row(region.y) + static_cast<std::size_t>(region.x) * channels_, region.width,
                   region.height, channels_, stride_bytes_);
}

std::string shape_text(ImageView view) {
  if (view.empty()) return "empty";
  return size_text(view.width(), view.height(), view.channels());
}

Image::Image(int width, int height, int channels, std::uint8_t fill) {
  check_image_size(width, height, channels, 1, "image");
  width_ = width;
  height_ = height;
  channels_ = channels;
  pixels_.assign(static_cast<std::size_t>(width) * height * channels, fill);
}

Image Image::copy_of(ImageView view) {
  if (view.empty()) return Image();
  Image copy(view.width(), view.height(), view.channels());
  for (int y = 0; y < view.height(); ++y) {
    std::memcpy(copy.row(y), view.row(y), copy.stride_bytes());
  }
  return copy;
}

ImageF::ImageF(int width, int height, int channels, float fill) {
  check_image_size(width, height, channels, sizeof(float), "float image");
  width_ = width;
  height_ = height;
  channels_ = channels;
  values_.assign(static_cast<std::size_t>(width) * height * channels, fill);
}

}  // namespace fu::image
