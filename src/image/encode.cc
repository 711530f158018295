#include "image/encode.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>

#include "base/error.h"

// The only translation unit with stb_image_write's implementation; files are written below.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#include <stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace fu::image {
namespace {

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(context);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

enum class Codec { kPng, kBmp, kJpeg };

std::vector<std::uint8_t> encode(ImageView image, Codec codec, int quality) {
  const std::string prefix = "cannot encode image (" + shape_text(image) + "): ";
  if (image.empty()) throw Error(prefix + "no pixels");
  if (image.stride_bytes() > static_cast<std::size_t>(INT_MAX)) {
    throw Error(prefix + "rows are too long for the encoder");
  }
  // Only the PNG writer takes a stride; the others need packed rows.
  Image packed;
  if (codec != Codec::kPng &&
      image.stride_bytes() != static_cast<std::size_t>(image.width()) * image.channels()) {
    packed = Image::copy_of(image);
    image = packed;
  }
  std::vector<std::uint8_t> out;
  int ok = 0;
  switch (codec) {
    case Codec::kPng:
      ok = stbi_write_png_to_func(append_bytes, &out, image.width(), image.height(),
                                  image.channels(), image.data(),
                                  static_cast<int>(image.stride_bytes()));
      break;
    case Codec::kBmp:
      ok = stbi_write_bmp_to_func(append_bytes, &out, image.width(), image.height(),
                                  image.channels(), image.data());
      break;
    case Codec::kJpeg:
      ok = stbi_write_jpg_to_func(append_bytes, &out, image.width(), image.height(),
                                  image.channels(), image.data(), quality);
      break;
  }
  if (!ok || out.empty()) throw Error(prefix + "the encoder failed");
  return out;
}

}  // namespace

std::vector<std::uint8_t> encode_png(ImageView image) { return encode(image, Codec::kPng, 0); }

std::vector<std::uint8_t> encode_bmp(ImageView image) { return encode(image, Codec::kBmp, 0); }

std::vector<std::uint8_t> encode_jpeg(ImageView image, int quality) {
  if (quality < 1 || quality > 100) {
    throw Error("cannot encode image (JPEG quality " + std::to_string(quality) +
                "): quality must be 1 to 100");
  }
  return encode(image, Codec::kJpeg, quality);
}

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  const std::string prefix = "cannot write image file (" + path + "): ";
  struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wb"));
  if (!file) throw Error(prefix + std::strerror(errno));
  // An empty vector's data() may be null, and fwrite's pointer must be valid even for 0 bytes.
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file.get()) != bytes.size()) {
    throw Error(prefix + std::strerror(errno));
  }
  // fclose flushes: a full disk may only show up here.
  if (std::fclose(file.release()) != 0) throw Error(prefix + std::strerror(errno));
}

void write_png(ImageView image, const std::string& path) { write_file(path, encode_png(image)); }

}  // namespace fu::image
