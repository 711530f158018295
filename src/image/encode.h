// Encoding 8-bit images (annotated debug output, test fixtures) with stb_image_write.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image/image.h"

namespace fu::image {

// Each throws fu::Error "cannot encode image (<shape>): <reason>" for an empty image or if the
// encoder fails. Grey, RGB and RGBA are all accepted; BMP stores grey as 24-bit RGB.
std::vector<std::uint8_t> encode_png(ImageView image);
std::vector<std::uint8_t> encode_bmp(ImageView image);
// quality in 1..100.
std::vector<std::uint8_t> encode_jpeg(ImageView image, int quality = 90);

// Writes bytes to a file, replacing it. Throws "cannot write image file (<path>): <reason>".
void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes);
// encode_png followed by write_file.
void write_png(ImageView image, const std::string& path);

}  // namespace fu::image
