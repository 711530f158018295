#include "base/error.h"
#include "fuzz/fuzz_targets.h"
#include "image/decode.h"

namespace fu::fuzz {
namespace {

// Limits below the defaults keep each execution fast; the checks that enforce them are the same.
constexpr int kMaxSide = 1024;
constexpr std::int64_t kMaxPixels = std::int64_t{1} << 18;

void check_image(const image::Image& image, const image::DecodeOptions& options) {
  require(image.width() >= 1 && image.height() >= 1, "a decoded image is not empty");
  require(image.width() <= options.max_side && image.height() <= options.max_side,
          "a decoded image keeps to max_side");
  require(static_cast<std::int64_t>(image.width()) * image.height() <= options.max_pixels,
          "a decoded image keeps to max_pixels");
  const int c = image.channels();
  require(options.channels == image::Channels::kAsStored ? (c == 1 || c == 3 || c == 4)
                                                         : c == static_cast<int>(options.channels),
          "a decoded image has the channels asked for");
  require(image.size_bytes() == static_cast<std::size_t>(image.width()) * image.height() * c,
          "a decoded image's size matches its shape");
}

bool decode(const std::uint8_t* data, std::size_t size, const image::DecodeOptions& options) {
  try {
    check_image(image::decode_image(data, size, "fuzz input", options), options);
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

bool decode_image_bytes(const std::uint8_t* data, std::size_t size) {
  image::DecodeOptions options;
  options.max_side = kMaxSide;
  options.max_pixels = kMaxPixels;
  const bool strict = decode(data, size, options);
  // A camera frame or an upload is decoded to RGB: a second path through the conversions.
  if (strict) {
    options.channels = image::Channels::kRgb;
    require(decode(data, size, options), "what decodes as stored also decodes as RGB");
  }
  // Truncated data is handed to stb_image itself: the riskier path.
  image::DecodeOptions lenient = options;
  lenient.channels = image::Channels::kAsStored;
  lenient.allow_truncated = true;
  const bool tolerant = decode(data, size, lenient);
  require(!strict || tolerant, "what decodes strictly also decodes with truncation allowed");
  return strict;
}

}  // namespace fu::fuzz
