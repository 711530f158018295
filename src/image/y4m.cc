#include "image/y4m.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "base/error.h"

namespace fu::image {
namespace {

constexpr std::size_t kMaxHeaderBytes = 4096;

// One line up to '\n' (not included); false at the end of the stream or past `limit` bytes.
bool read_line(std::istream& in, std::string& line, std::size_t limit) {
  line.clear();
  char c;
  while (in.get(c)) {
    if (c == '\n') return true;
    if (line.size() >= limit) return false;
    line.push_back(c);
  }
  return false;
}

std::uint8_t clamp_byte(int v) { return static_cast<std::uint8_t>(std::clamp(v, 0, 255)); }

}  // namespace

Y4mReader::Y4mReader(const std::string& path) : path_(path), in_(path, std::ios::binary) {
  if (!in_) fail("the file cannot be opened");
  std::string header;
  if (!read_line(in_, header, kMaxHeaderBytes)) fail("the header line is missing or too long");
  std::istringstream tags(header);
  std::string tag;
  tags >> tag;
  if (tag != "YUV4MPEG2") fail("it does not start with YUV4MPEG2 (not a .y4m video)");
  while (tags >> tag) {
    const char key = tag[0];
    const std::string value = tag.substr(1);
    if (key == 'W' || key == 'H') {
      char* end = nullptr;
      const long n = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || n < 1 || n > kMaxY4mSide) {
        fail(std::string(1, key) + " is '" + value + "', expected 1 to " +
             std::to_string(kMaxY4mSide));
      }
      (key == 'W' ? width_ : height_) = static_cast<int>(n);
    } else if (key == 'F') {
      const std::size_t colon = value.find(':');
      const double num = std::atof(value.substr(0, colon).c_str());
      const double den =
          colon == std::string::npos ? 0 : std::atof(value.substr(colon + 1).c_str());
      frame_rate_ = num > 0 && den > 0 ? num / den : 0.0;
    } else if (key == 'C') {
      if (value != "420" && value != "420jpeg" && value != "420paldv" && value != "420mpeg2") {
        fail("colour space C" + value + " is not supported; convert with ffmpeg -pix_fmt yuv420p");
      }
    }
  }
  if (width_ == 0 || height_ == 0) fail("the header lacks W or H");
  const std::size_t luma = static_cast<std::size_t>(width_) * height_;
  const std::size_t chroma = static_cast<std::size_t>((width_ + 1) / 2) * ((height_ + 1) / 2);
  planes_.resize(luma + 2 * chroma);
}

void Y4mReader::fail(const std::string& reason) const {
  throw Error("cannot read video (" + path_ + "): " + reason);
}

bool Y4mReader::next(Image& rgb) {
  std::string line;
  if (!read_line(in_, line, kMaxHeaderBytes)) {
    if (line.empty() && in_.eof()) return false;
    fail("frame " + std::to_string(frames_read_ + 1) + " has no complete FRAME header");
  }
  if (line.compare(0, 5, "FRAME") != 0) {
    fail("frame " + std::to_string(frames_read_ + 1) + " does not start with FRAME");
  }
  in_.read(planes_.data(), static_cast<std::streamsize>(planes_.size()));
  if (in_.gcount() != static_cast<std::streamsize>(planes_.size())) {
    fail("frame " + std::to_string(frames_read_ + 1) + " is cut short (" +
         std::to_string(in_.gcount()) + " of " + std::to_string(planes_.size()) + " bytes)");
  }
  const auto* y = reinterpret_cast<const std::uint8_t*>(planes_.data());
  const std::size_t luma = static_cast<std::size_t>(width_) * height_;
  const std::size_t chroma = static_cast<std::size_t>((width_ + 1) / 2) * ((height_ + 1) / 2);
  rgb = yuv420_to_rgb(y, y + luma, y + luma + chroma, width_, height_);
  ++frames_read_;
  return true;
}

Image yuv420_to_rgb(const std::uint8_t* y, const std::uint8_t* u, const std::uint8_t* v, int width,
                    int height) {
  Image out(width, height, 3);
  const int chroma_width = (width + 1) / 2;
  for (int row = 0; row < height; ++row) {
    std::uint8_t* dst = out.row(row);
    const std::uint8_t* yr = y + static_cast<std::size_t>(row) * width;
    const std::uint8_t* ur = u + static_cast<std::size_t>(row / 2) * chroma_width;
    const std::uint8_t* vr = v + static_cast<std::size_t>(row / 2) * chroma_width;
    for (int x = 0; x < width; ++x) {
      // BT.601 limited range in 16.16 fixed point: 1.164 (Y-16), 1.596 / 0.392 / 0.813 / 2.017.
      const int c = 76309 * (yr[x] - 16);
      const int d = ur[x / 2] - 128;
      const int e = vr[x / 2] - 128;
      dst[3 * x + 0] = clamp_byte((c + 104597 * e + 32768) >> 16);
      dst[3 * x + 1] = clamp_byte((c - 25674 * d - 53278 * e + 32768) >> 16);
      dst[3 * x + 2] = clamp_byte((c + 132201 * d + 32768) >> 16);
    }
  }
  return out;
}

}  // namespace fu::image
