#include "image/decode.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "base/error.h"
#include "image/convert.h"

// The only translation unit with stb_image's implementation. Formats are limited to what faces
// arrive in, which also shrinks the attack surface; no stdio because files are read below.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#define STBI_NO_STDIO
#define STBI_NO_HDR
#define STBI_NO_LINEAR
// Human-readable failure reasons ("Corrupt PNG") instead of terse codes ("outofdata").
#define STBI_FAILURE_USERMSG
// A second wall behind DecodeOptions, should a caller raise max_side far beyond sense.
#define STBI_MAX_DIMENSIONS (1 << 20)
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#endif
#include <stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace fu::image {
namespace {

enum class Format { kUnknown, kJpeg, kPng, kBmp, kPnm };

Format sniff_format(const std::uint8_t* d, std::size_t n) {
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return Format::kJpeg;
  static const std::uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (n >= 8 && std::memcmp(d, kPngSignature, 8) == 0) return Format::kPng;
  if (n >= 2 && d[0] == 'B' && d[1] == 'M') return Format::kBmp;
  if (n >= 2 && d[0] == 'P' && (d[1] == '5' || d[1] == '6')) return Format::kPnm;
  return Format::kUnknown;
}

bool is_restart_marker(std::uint8_t m) { return m >= 0xD0 && m <= 0xD7; }

// What is wrong with the Huffman table segment (DHT) whose body of `length` bytes starts at
// d + pos, or "". stb_image v2.27 does not check that a table's code counts sum to at most 256
// and then writes past its arrays. This follows its reading exactly: tables are read back to back
// while the segment has bytes left, even when a table's counts run past the segment's end, and
// bytes past the end of the data read as zero.
// Which Huffman tables (class 0 = DC, 1 = AC; ids 0 to 3) a DHT segment has defined so far.
using HuffmanTablesDefined = bool[2][4];

std::string dht_problem(const std::uint8_t* d, std::size_t n, std::size_t pos, std::size_t length,
                        HuffmanTablesDefined& defined) {
  auto byte_at = [&](std::size_t i) -> std::uint8_t { return i < n ? d[i] : 0; };
  std::int64_t left = static_cast<std::int64_t>(length);
  while (left > 0) {
    const std::uint8_t table = byte_at(pos);
    if ((table >> 4) > 1 || (table & 15) > 3) return "corrupt JPEG (bad Huffman table id)";
    defined[table >> 4][table & 15] = true;
    std::size_t codes = 0;
    for (std::size_t i = 1; i <= 16; ++i) codes += byte_at(pos + i);
    if (codes > 256) return "corrupt JPEG (Huffman table with more than 256 codes)";
    pos += 17 + codes;
    left -= static_cast<std::int64_t>(17 + codes);
  }
  return "";
}

// What is wrong with the Huffman tables a scan header (SOS body of `length` bytes at `p`) uses,
// or "". stb_image v2.27 decodes with a table no DHT defined, reading it from uninitialised
// memory (the same bytes decoded, then failed, within one process). Baseline scans use both
// tables of each component; a progressive scan uses the DC table in a first DC pass and the AC
// table in an AC pass. Malformed headers are left to stb_image, which refuses them.
std::string scan_tables_problem(const std::uint8_t* p, std::size_t length, bool progressive,
                                const HuffmanTablesDefined& defined) {
  if (length < 1) return "";
  const std::size_t components = p[0];
  if (length < 1 + 2 * components + 3) return "";
  const std::uint8_t spectral_start = p[1 + 2 * components];
  const std::uint8_t approximation_high = p[1 + 2 * components + 2] >> 4;
  const bool uses_dc = !progressive || (spectral_start == 0 && approximation_high == 0);
  const bool uses_ac = !progressive || spectral_start != 0;
  for (std::size_t i = 0; i < components; ++i) {
    const int dc = p[2 + 2 * i] >> 4;
    const int ac = p[2 + 2 * i] & 15;
    if (uses_dc && dc <= 3 && !defined[0][dc]) {
      return "corrupt JPEG (a scan uses DC Huffman table " + std::to_string(dc) +
             ", which no DHT segment defined)";
    }
    if (uses_ac && ac <= 3 && !defined[1][ac]) {
      return "corrupt JPEG (a scan uses AC Huffman table " + std::to_string(ac) +
             ", which no DHT segment defined)";
    }
  }
  return "";
}

struct JpegCheck {
  std::string problem;    // "" when the structure is sound
  bool complete = false;  // the end-of-image marker was reached
};

// Walks the JPEG marker segments and entropy-coded scans up to the end-of-image marker, checking
// the Huffman tables on the way. Must run before any stb_image call on the data, as even
// stbi_info parses the tables. A plain search for FF D9 would not find the end: an embedded EXIF
// thumbnail has its own.
JpegCheck check_jpeg(const std::uint8_t* d, std::size_t n) {
  JpegCheck check;
  HuffmanTablesDefined defined = {};
  bool progressive = false;
  std::size_t pos = 2;  // after SOI
  while (pos < n) {
    // Stray bytes between segments are skipped as stb_image does; a marker is FF, any FF fill,
    // then the marker byte.
    if (d[pos] != 0xFF) {
      ++pos;
      continue;
    }
    while (pos < n && d[pos] == 0xFF) ++pos;
    if (pos >= n) break;
    const std::uint8_t marker = d[pos++];
    if (marker == 0xD9) {
      check.complete = true;
      return check;
    }
    if (marker == 0x00 || marker == 0x01 || is_restart_marker(marker)) continue;  // no length
    if (n - pos < 2) break;
    const std::size_t length = (static_cast<std::size_t>(d[pos]) << 8) | d[pos + 1];
    if (length < 2) {
      check.problem = "corrupt JPEG (segment length below 2)";
      return check;
    }
    if (marker == 0xC4) {
      // Checked even when cut short: stb_image reads the missing bytes as zeros.
      check.problem = dht_problem(d, n, pos + 2, length - 2, defined);
      if (!check.problem.empty()) return check;
    }
    if (length > n - pos) break;
    if (marker == 0xC2) progressive = true;
    if (marker == 0xDA) {
      check.problem = scan_tables_problem(d + pos + 2, length - 2, progressive, defined);
      if (!check.problem.empty()) return check;
    }
    pos += length;
    if (marker == 0xDA) {
      // Entropy-coded data: FF is stuffed as FF 00 and restart markers may appear, so the scan
      // ends at the first FF followed by anything else.
      while (pos + 1 < n &&
             !(d[pos] == 0xFF && d[pos + 1] != 0x00 && !is_restart_marker(d[pos + 1]))) {
        ++pos;
      }
      if (pos + 1 >= n) break;
    }
  }
  return check;
}

// What is wrong with the PNG's chunk layout, or "". stb_image v2.27 grows its buffer to an IDAT
// chunk's declared length before reading the chunk, so a few bytes claiming a 1 GB chunk made it
// allocate up to 2 GB before finding the data missing. A chunk cut short fails in stb_image
// anyway; refusing it first changes no result but the allocation. Chunks after IEND are never
// read, and the checksum after a chunk's data is not checked, so neither is required here.
std::string png_problem(const std::uint8_t* d, std::size_t n) {
  std::size_t pos = 8;  // after the signature
  while (n - pos >= 8) {
    const std::size_t length = (static_cast<std::size_t>(d[pos]) << 24) |
                               (static_cast<std::size_t>(d[pos + 1]) << 16) |
                               (static_cast<std::size_t>(d[pos + 2]) << 8) | d[pos + 3];
    const std::string type(reinterpret_cast<const char*>(d + pos + 4), 4);
    if (length > n - pos - 8) {
      return "truncated PNG data (a chunk claims " + std::to_string(length) + " bytes, " +
             std::to_string(n - pos - 8) + " are left)";
    }
    if (type == "IEND") break;
    pos = std::min(n, pos + 12 + length);
  }
  return "";
}

std::uint32_t read_le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint16_t read_le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

// Bytes an uncompressed BMP needs up to the end of its pixel array, or 0 when the layout is not
// one we can compute (stb_image then decides alone).
std::uint64_t bmp_required_bytes(const std::uint8_t* d, std::size_t n) {
  if (n < 26) return 0;
  const std::uint64_t pixel_offset = read_le32(d + 10);
  const std::uint32_t header_size = read_le32(d + 14);
  std::int64_t width = 0;
  std::int64_t height = 0;
  std::uint32_t bits = 0;
  std::uint32_t compression = 0;
  if (header_size == 12) {  // OS/2 BITMAPCOREHEADER
    width = read_le16(d + 18);
    height = read_le16(d + 20);
    bits = read_le16(d + 24);
  } else {
    if (n < 34) return 0;
    width = static_cast<std::int32_t>(read_le32(d + 18));
    height = static_cast<std::int32_t>(read_le32(d + 22));
    bits = read_le16(d + 28);
    compression = read_le32(d + 30);
  }
  const bool uncompressed = compression == 0 || compression == 3 || compression == 6;
  if (!uncompressed || width <= 0 || height == 0) return 0;
  if (height < 0) height = -height;  // negative height means top-down rows
  const std::uint64_t row_bytes = (static_cast<std::uint64_t>(width) * bits + 31) / 32 * 4;
  return pixel_offset + row_bytes * static_cast<std::uint64_t>(height);
}

bool is_pnm_space(std::uint8_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

struct PnmCheck {
  std::string problem;  // "" when the header (and, unless truncation is allowed, length) is sound
  int max_value = 255;  // the header's maximum sample value
};

// Checks a binary PGM/PPM header and length. stb_image v2.27 reads missing header fields and
// samples as zeros, so it accepts such files itself.
PnmCheck check_pnm(const std::uint8_t* d, std::size_t n, bool allow_truncated) {
  PnmCheck check;
  std::size_t pos = 2;
  std::uint64_t fields[3] = {0, 0, 0};  // width, height, maximum sample value
  for (std::uint64_t& field : fields) {
    while (pos < n && (is_pnm_space(d[pos]) || d[pos] == '#')) {
      if (d[pos] == '#') {
        while (pos < n && d[pos] != '\n' && d[pos] != '\r') ++pos;
      } else {
        ++pos;
      }
    }
    if (pos >= n) {
      check.problem = "truncated PGM/PPM header";
      return check;
    }
    if (d[pos] < '0' || d[pos] > '9') {
      check.problem = "corrupt PGM/PPM header (expected a number)";
      return check;
    }
    while (pos < n && d[pos] >= '0' && d[pos] <= '9') {
      field = field * 10 + (d[pos] - '0');
      // Far beyond any accepted size; also keeps the products below from overflowing.
      if (field > (1u << 24)) {
        check.problem = "corrupt PGM/PPM header (number too large)";
        return check;
      }
      ++pos;
    }
  }
  if (fields[2] == 0 || fields[2] > 65535) {
    check.problem = "corrupt PGM/PPM header (bad maximum value)";
    return check;
  }
  // stb_image v2.27 reads 16-bit samples in the wrong byte order (and overruns a buffer when it
  // converts their channels), so they are refused rather than decoded wrongly.
  if (fields[2] > 255) {
    check.problem =
        "16-bit PGM/PPM is not supported (maximum value " + std::to_string(fields[2]) + ")";
    return check;
  }
  check.max_value = static_cast<int>(fields[2]);
  if (allow_truncated) return check;
  ++pos;  // exactly one whitespace byte separates the header from the samples
  const std::uint64_t channels = d[1] == '5' ? 1 : 3;
  const std::uint64_t required = pos + fields[0] * fields[1] * channels;
  if (required > n) {
    check.problem = "truncated PGM/PPM data (" + std::to_string(n) + " bytes, the pixels end at " +
                    std::to_string(required) + ")";
  }
  return check;
}

struct StbFree {
  void operator()(stbi_uc* pixels) const { stbi_image_free(pixels); }
};

int output_channels(Channels wanted, int stored) {
  if (wanted != Channels::kAsStored) return static_cast<int>(wanted);
  if (stored == 2) return 4;  // grey + alpha: keep the alpha in a layout Image supports
  return stored;
}

}  // namespace

Image decode_image(const std::uint8_t* data, std::size_t size, const std::string& name,
                   const DecodeOptions& options) {
  const std::string prefix = "cannot decode image (" + name + "): ";
  if (data == nullptr || size == 0) throw Error(prefix + "no data (empty buffer)");
  if (size > kMaxEncodedBytes || size > static_cast<std::size_t>(INT_MAX)) {
    throw Error(prefix + std::to_string(size) + " bytes is more than the limit of " +
                std::to_string(kMaxEncodedBytes));
  }
  const Format format = sniff_format(data, size);
  if (format == Format::kUnknown) {
    throw Error(prefix + "unknown format (expected JPEG, PNG, BMP, binary PGM or binary PPM)");
  }
  const int length = static_cast<int>(size);
  JpegCheck jpeg;
  if (format == Format::kJpeg) {
    jpeg = check_jpeg(data, size);
    if (!jpeg.problem.empty()) throw Error(prefix + jpeg.problem);
  }

  if (format == Format::kPng) {
    const std::string problem = png_problem(data, size);
    if (!problem.empty()) throw Error(prefix + problem);
  }
  if (format == Format::kPnm) {
    // The header alone, before stbi_info reads it: stb_image v2.27 parses its numbers into an int
    // without an overflow check (undefined behaviour), which check_pnm caps at 2^24.
    const std::string problem = check_pnm(data, size, /*allow_truncated=*/true).problem;
    if (!problem.empty()) throw Error(prefix + problem);
  }

  int width = 0;
  int height = 0;
  int stored_channels = 0;
  if (!stbi_info_from_memory(data, length, &width, &height, &stored_channels)) {
    throw Error(prefix + "bad header: " + stbi_failure_reason());
  }
  const std::string dims = std::to_string(width) + "x" + std::to_string(height);
  if (width <= 0 || height <= 0) throw Error(prefix + "header gives a zero size " + dims);
  if (width > options.max_side || height > options.max_side) {
    throw Error(prefix + "header gives " + dims + ", more than the limit of " +
                std::to_string(options.max_side) + " pixels per side");
  }
  if (static_cast<std::int64_t>(width) * height > options.max_pixels) {
    throw Error(prefix + "header gives " + dims + ", more than the limit of " +
                std::to_string(options.max_pixels) + " pixels");
  }

  if (!options.allow_truncated) {
    if (format == Format::kJpeg && !jpeg.complete) {
      throw Error(prefix + "truncated JPEG data (no end-of-image marker)");
    }
    if (format == Format::kBmp) {
      const std::uint64_t required = bmp_required_bytes(data, size);
      if (required > size) {
        throw Error(prefix + "truncated BMP data (" + std::to_string(size) +
                    " bytes, the pixels end at " + std::to_string(required) + ")");
      }
    }
  }
  PnmCheck pnm;
  if (format == Format::kPnm) {
    pnm = check_pnm(data, size, options.allow_truncated);
    if (!pnm.problem.empty()) throw Error(prefix + pnm.problem);
  }

  // Channels are converted here, not by stb_image, so that grey always uses convert.h's weights
  // (and as a second guard: stb_image v2.27's own conversion of 16-bit PNM overruns its buffer).
  int decoded_width = 0;
  int decoded_height = 0;
  int file_channels = 0;
  std::unique_ptr<stbi_uc, StbFree> pixels(
      stbi_load_from_memory(data, length, &decoded_width, &decoded_height, &file_channels, 0));
  if (!pixels) throw Error(prefix + stbi_failure_reason());
  // The header was checked, not the pixels' source; they must agree or the limits meant nothing.
  if (decoded_width != width || decoded_height != height) {
    throw Error(prefix + "decoded size " + std::to_string(decoded_width) + "x" +
                std::to_string(decoded_height) + " differs from the header's " + dims);
  }
  if (file_channels < 1 || file_channels > 4) {
    throw Error(prefix + "unexpected channel count " + std::to_string(file_channels));
  }
  if (pnm.max_value != 255) {
    // stb_image returns raw samples; stretch them to 0..255 (values above the maximum saturate).
    stbi_uc* p = pixels.get();
    const std::size_t count = static_cast<std::size_t>(width) * height * file_channels;
    for (std::size_t i = 0; i < count; ++i) {
      const int v = p[i] >= pnm.max_value ? 255 : (p[i] * 255 + pnm.max_value / 2) / pnm.max_value;
      p[i] = static_cast<stbi_uc>(v);
    }
  }
  const int channels = output_channels(options.channels, file_channels);
  if (file_channels != 2) {
    const ImageView stored(pixels.get(), width, height, file_channels);
    return channels == file_channels ? Image::copy_of(stored) : convert_channels(stored, channels);
  }
  // Grey + alpha, which Image has no layout for.
  Image image(width, height, channels);
  const stbi_uc* src = pixels.get();
  std::uint8_t* dst = image.data();
  const std::size_t count = static_cast<std::size_t>(width) * height;
  for (std::size_t i = 0; i < count; ++i, src += 2, dst += channels) {
    for (int c = 0; c < channels; ++c) dst[c] = c == 3 ? src[1] : src[0];
  }
  return image;
}

Image decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name,
                   const DecodeOptions& options) {
  return decode_image(bytes.data(), bytes.size(), name, options);
}

std::vector<std::uint8_t> read_image_file(const std::string& path) {
  const std::string prefix = "cannot read image file (" + path + "): ";
  struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw Error(prefix + std::strerror(errno));

  // Read in chunks rather than trusting a size from fseek: pipes and /proc files have none.
  constexpr std::size_t kChunk = std::size_t{1} << 16;
  std::vector<std::uint8_t> bytes;
  std::size_t used = 0;
  while (true) {
    bytes.resize(used + kChunk);
    const std::size_t got = std::fread(bytes.data() + used, 1, kChunk, file.get());
    used += got;
    if (used > kMaxEncodedBytes) {
      throw Error(prefix + "file is larger than the limit of " + std::to_string(kMaxEncodedBytes) +
                  " bytes");
    }
    if (got < kChunk) break;
  }
  bytes.resize(used);
  if (std::ferror(file.get())) throw Error(prefix + std::strerror(errno));
  return bytes;
}

Image read_image(const std::string& path, const DecodeOptions& options) {
  return decode_image(read_image_file(path), path, options);
}

}  // namespace fu::image
