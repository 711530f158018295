// Decoding JPEG, PNG, BMP and binary PGM/PPM (P5/P6) into 8-bit images.
//
// Input is untrusted (user photos, uploads): the header's dimensions are checked against
// DecodeOptions before any pixel memory is allocated, and damaged data gives fu::Error with
// "cannot decode image (<name>): <reason>", never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "image/image.h"

namespace fu::image {

// The channel count the caller wants. kAsStored keeps the file's own: grey stays grey, RGB stays
// RGB, and anything with alpha (grey+alpha too) becomes RGBA.
enum class Channels { kAsStored = 0, kGrey = 1, kRgb = 3, kRgba = 4 };

// Default limits; a header claiming more is treated as corrupt or hostile.
inline constexpr int kMaxDecodeSide = 16384;
inline constexpr std::int64_t kMaxDecodePixels = std::int64_t{64} << 20;  // 64 megapixels
// Encoded data larger than this is refused before it is read (stb_image also takes int sizes).
inline constexpr std::size_t kMaxEncodedBytes = std::size_t{256} << 20;

struct DecodeOptions {
  Channels channels = Channels::kAsStored;
  int max_side = kMaxDecodeSide;               // largest width or height accepted
  std::int64_t max_pixels = kMaxDecodePixels;  // largest width * height accepted
  // Data that ends early is an error by default: a JPEG without its end-of-image marker, a BMP
  // or PGM/PPM shorter than its pixel array (stb_image v2.27 would zero-fill the last two).
  // true hands such data to stb_image as it is: it may then fail or return an image whose
  // missing part is filled in.
  bool allow_truncated = false;
};

// Decodes an encoded image held in memory. `name` only labels error messages (a file name,
// "camera frame", ...).
Image decode_image(const std::uint8_t* data, std::size_t size, const std::string& name,
                   const DecodeOptions& options = {});
Image decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name,
                   const DecodeOptions& options = {});

// Reads a whole file into memory. Throws "cannot read image file (<path>): <reason>", e.g.
// "No such file or directory", or when the file is larger than kMaxEncodedBytes.
std::vector<std::uint8_t> read_image_file(const std::string& path);

// read_image_file followed by decode_image, with the path as the name.
Image read_image(const std::string& path, const DecodeOptions& options = {});

}  // namespace fu::image
