#include "image/decode.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/encode.h"
#include "image/test_images.h"

namespace fu::image {
namespace {

using testing::max_abs_difference;
using testing::random_image;
using testing::same_pixels;

std::vector<std::uint8_t> bytes_of(const std::string& text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

// A binary PGM (P5) or PPM (P6) written by hand, so PNM decoding is not checked against itself.
std::vector<std::uint8_t> pnm_bytes(const Image& image) {
  const std::string magic = image.channels() == 1 ? "P5" : "P6";
  std::vector<std::uint8_t> bytes = bytes_of(magic + "\n# test\n" + std::to_string(image.width()) +
                                             " " + std::to_string(image.height()) + "\n255\n");
  bytes.insert(bytes.end(), image.data(), image.data() + image.size_bytes());
  return bytes;
}

// Decodes and requires either an image of the expected size or an fu::Error naming `name`: the
// contract for damaged input. width <= 0 skips the size check. Returns true when it decoded.
bool decodes_or_fails_cleanly(const std::vector<std::uint8_t>& bytes, const std::string& name,
                              int width, int height, const DecodeOptions& options = {}) {
  try {
    const Image image = decode_image(bytes, name, options);
    if (width > 0) {
      EXPECT_EQ(image.width(), width);
      EXPECT_EQ(image.height(), height);
    }
    return true;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot decode image (" + name + "): "), std::string::npos)
        << e.what();
    return false;
  }
}

std::string error_of(const std::vector<std::uint8_t>& bytes, const std::string& name,
                     const DecodeOptions& options = {}) {
  try {
    decode_image(bytes, name, options);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(DecodeTest, PngRoundTripIsExactForEveryChannelCount) {
  for (int channels : {1, 3, 4}) {
    const Image original = random_image(17, 9, channels, channels);
    const Image decoded = decode_image(encode_png(original), "round-trip.png");
    EXPECT_TRUE(same_pixels(original, decoded)) << channels << " channels";
  }
}

TEST(DecodeTest, PngOfACroppedViewUsesTheStride) {
  const Image original = random_image(20, 10, 3);
  const ImageView crop = ImageView(original).crop(Rect{3, 2, 7, 5});
  EXPECT_TRUE(same_pixels(Image::copy_of(crop), decode_image(encode_png(crop), "crop.png")));
  EXPECT_TRUE(same_pixels(Image::copy_of(crop), decode_image(encode_bmp(crop), "crop.bmp")));
}

TEST(DecodeTest, BmpRoundTripIsExact) {
  const Image rgb = random_image(13, 7, 3);  // odd width: rows are padded to 4 bytes
  EXPECT_TRUE(same_pixels(rgb, decode_image(encode_bmp(rgb), "rgb.bmp")));
  const Image rgba = random_image(5, 4, 4);
  EXPECT_TRUE(same_pixels(rgba, decode_image(encode_bmp(rgba), "rgba.bmp")));
  // The BMP writer stores grey as RGB; asking for grey gives it back.
  const Image grey = random_image(6, 3, 1);
  DecodeOptions as_grey;
  as_grey.channels = Channels::kGrey;
  EXPECT_TRUE(same_pixels(grey, decode_image(encode_bmp(grey), "grey.bmp", as_grey)));
}

TEST(DecodeTest, PgmAndPpmRoundTripIsExact) {
  const Image grey = random_image(11, 6, 1);
  EXPECT_TRUE(same_pixels(grey, decode_image(pnm_bytes(grey), "hand.pgm")));
  const Image rgb = random_image(4, 9, 3);
  EXPECT_TRUE(same_pixels(rgb, decode_image(pnm_bytes(rgb), "hand.ppm")));
}

// stb_image v2.27 decodes 16-bit PNM samples in the wrong byte order: refused, not misread.
TEST(DecodeTest, SixteenBitPgmIsRefused) {
  std::vector<std::uint8_t> pgm = bytes_of("P5\n2 1\n65535\n");
  pgm.insert(pgm.end(), {0x12, 0x34, 0xFF, 0xFF});
  EXPECT_EQ(error_of(pgm, "deep.pgm"),
            "cannot decode image (deep.pgm): 16-bit PGM/PPM is not supported (maximum value "
            "65535)");
}

TEST(DecodeTest, PgmWithASmallMaximumIsStretched) {
  std::vector<std::uint8_t> pgm = bytes_of("P5 3 1 15 ");
  pgm.insert(pgm.end(), {0, 7, 15});
  const Image grey = decode_image(pgm, "nibbles.pgm");
  EXPECT_EQ(grey.at(0, 0, 0), 0);
  EXPECT_EQ(grey.at(1, 0, 0), 119);  // 7 * 255 / 15
  EXPECT_EQ(grey.at(2, 0, 0), 255);
}

TEST(DecodeTest, CallerChoosesChannels) {
  Image rgb(2, 1, 3);
  rgb.at(0, 0, 0) = 255;  // red
  rgb.at(1, 0, 1) = 255;  // green
  const std::vector<std::uint8_t> png = encode_png(rgb);

  DecodeOptions options;
  options.channels = Channels::kRgba;
  const Image rgba = decode_image(png, "x.png", options);
  ASSERT_EQ(rgba.channels(), 4);
  EXPECT_EQ(rgba.at(0, 0, 0), 255);
  EXPECT_EQ(rgba.at(0, 0, 3), 255);
  EXPECT_EQ(rgba.at(1, 0, 1), 255);

  options.channels = Channels::kGrey;
  const Image grey = decode_image(png, "x.png", options);
  ASSERT_EQ(grey.channels(), 1);
  // The same BT.601 luma as rgb_to_grey.
  EXPECT_EQ(grey.at(0, 0, 0), 76);
  EXPECT_EQ(grey.at(1, 0, 0), 150);
}

TEST(DecodeTest, JpegEncodedHereDecodesClose) {
  // A smooth image, which JPEG keeps well.
  Image original(32, 24, 3);
  for (int y = 0; y < 24; ++y) {
    for (int x = 0; x < 32; ++x) {
      original.at(x, y, 0) = static_cast<std::uint8_t>(x * 8);
      original.at(x, y, 1) = static_cast<std::uint8_t>(y * 10);
      original.at(x, y, 2) = 128;
    }
  }
  const Image decoded = decode_image(encode_jpeg(original, 95), "smooth.jpg");
  ASSERT_EQ(decoded.width(), 32);
  ASSERT_EQ(decoded.height(), 24);
  ASSERT_EQ(decoded.channels(), 3);
  EXPECT_LE(max_abs_difference(original, decoded), 12);
}

TEST(DecodeTest, JpegWithDataAfterTheEndMarkerDecodes) {
  std::vector<std::uint8_t> jpeg = encode_jpeg(random_image(8, 8, 3), 90);
  jpeg.insert(jpeg.end(), {'t', 'r', 'a', 'i', 'l', 'e', 'r'});
  EXPECT_EQ(decode_image(jpeg, "trailer.jpg").width(), 8);
}

TEST(DecodeTest, RealLfwJpegAndAttPgm) {
  const std::string data = testing::shared_data_dir();
  const std::string lfw = data + "/lfw/Aaron_Eckhart/Aaron_Eckhart_0001.jpg";
  const std::string att = data + "/att-faces/s1/1.pgm";
  std::FILE* probe = data.empty() ? nullptr : std::fopen(lfw.c_str(), "rb");
  if (probe == nullptr) {
    GTEST_SKIP() << "shared face data not found (" << lfw << "); it lives in ../shared/data";
  }
  std::fclose(probe);
  const Image face = read_image(lfw);
  EXPECT_EQ(face.width(), 250);
  EXPECT_EQ(face.height(), 250);
  EXPECT_EQ(face.channels(), 3);
  // A photo, not a flat or black frame.
  int lowest = 255;
  int highest = 0;
  for (std::size_t i = 0; i < face.size_bytes(); ++i) {
    lowest = std::min<int>(lowest, face.data()[i]);
    highest = std::max<int>(highest, face.data()[i]);
  }
  EXPECT_GT(highest - lowest, 100);

  const Image grey = read_image(att);
  EXPECT_EQ(grey.width(), 92);
  EXPECT_EQ(grey.height(), 112);
  EXPECT_EQ(grey.channels(), 1);
}

TEST(DecodeTest, MissingFileSaysSo) {
  try {
    read_image("/nonexistent/photo.jpg");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "cannot read image file (/nonexistent/photo.jpg): No such file or directory");
  }
}

TEST(DecodeTest, DirectoryIsNotAFile) { EXPECT_THROW(read_image("/tmp"), Error); }

TEST(DecodeTest, FileRoundTrip) {
  const Image original = random_image(9, 4, 4);
  const std::string path = ::testing::TempDir() + "/faceunlock_decode_test.png";
  write_png(original, path);
  EXPECT_TRUE(same_pixels(original, read_image(path)));
  std::remove(path.c_str());
  EXPECT_THROW(write_png(original, "/nonexistent/dir/x.png"), Error);
}

TEST(DecodeTest, EmptyBufferAndNonImages) {
  EXPECT_EQ(error_of({}, "frame"), "cannot decode image (frame): no data (empty buffer)");
  EXPECT_EQ(error_of(bytes_of("hello, this is not an image"), "note.txt"),
            "cannot decode image (note.txt): unknown format (expected JPEG, PNG, BMP, binary "
            "PGM or binary PPM)");
  // ASCII PGM (P2) and GIF are not supported.
  EXPECT_NE(error_of(bytes_of("P2\n2 2\n255\n0 0 0 0\n"), "ascii.pgm").find("unknown format"),
            std::string::npos);
  EXPECT_NE(error_of(bytes_of("GIF89a......"), "a.gif").find("unknown format"), std::string::npos);
}

TEST(DecodeTest, RandomBytesBehindValidSignaturesFailCleanly) {
  std::mt19937 rng(7);
  const std::vector<std::vector<std::uint8_t>> signatures = {
      {0xFF, 0xD8, 0xFF}, {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}, {'B', 'M'}, {'P', '5'}};
  for (const auto& signature : signatures) {
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<std::uint8_t> bytes = signature;
      const int extra = static_cast<int>(rng() % 200);
      for (int i = 0; i < extra; ++i) bytes.push_back(static_cast<std::uint8_t>(rng()));
      decodes_or_fails_cleanly(bytes, "noise", 0, 0);
    }
  }
}

TEST(DecodeTest, TruncatedPngFailsUnlessOnlyTheTrailerIsCut) {
  const Image original = random_image(16, 16, 3);
  const std::vector<std::uint8_t> png = encode_png(original);
  const std::size_t last_chunk = png.size() - 12;  // IEND: no data, only the end mark
  for (std::size_t length = 1; length < png.size(); length += 7) {
    const std::vector<std::uint8_t> cut(png.begin(), png.begin() + length);
    if (decodes_or_fails_cleanly(cut, "cut.png", 16, 16)) {
      // stb_image stops at the end of the pixel data, so cutting after it loses nothing.
      EXPECT_GE(length, last_chunk);
      EXPECT_TRUE(same_pixels(original, decode_image(cut, "cut.png")));
    }
  }
}

// Found by fuzz_image_decode (tests/fuzz/regressions/image_decode/png-idat-claims-1gb): stb_image
// sized its buffer by an IDAT chunk's claimed length, 1 GB here, before reading the chunk.
TEST(DecodeTest, PngChunkLongerThanTheDataIsRefusedBeforeDecoding) {
  std::vector<std::uint8_t> png = encode_png(random_image(5, 6, 4));
  const std::size_t idat = 8 + 25;  // the signature, then IHDR's 12 + 13 bytes
  ASSERT_EQ(std::string(png.begin() + idat + 4, png.begin() + idat + 8), "IDAT");
  png[idat] = 0x40;
  png[idat + 1] = png[idat + 2] = png[idat + 3] = 0x00;
  for (const bool allow_truncated : {false, true}) {
    DecodeOptions options;
    options.allow_truncated = allow_truncated;
    try {
      decode_image(png, "claims.png", options);
      ADD_FAILURE() << "decoded a PNG whose IDAT claims 1 GB";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("cannot decode image (claims.png): truncated PNG data "
                                           "(a chunk claims 1073741824 bytes"),
                std::string::npos)
          << e.what();
    }
  }
}

// Found by fuzz_image_decode under UBSan (tests/fuzz/regressions/image_decode/
// pgm-width-overflows-int): stb_image read a 40-digit width into an int before any check of ours.
TEST(DecodeTest, PnmNumberBeyondAnIntIsRefusedBeforeStbImageReadsIt) {
  const std::vector<std::uint8_t> pgm = bytes_of("P5 " + std::string(40, '2') + " 1 255\n\x7f");
  EXPECT_EQ(error_of(pgm, "long.pgm"),
            "cannot decode image (long.pgm): corrupt PGM/PPM header (number too large)");
}

TEST(DecodeTest, TruncatedJpegFails) {
  const std::vector<std::uint8_t> jpeg = encode_jpeg(random_image(40, 30, 3), 90);
  DecodeOptions lenient;
  lenient.allow_truncated = true;
  for (std::size_t length = 1; length < jpeg.size(); length += 11) {
    const std::vector<std::uint8_t> cut(jpeg.begin(), jpeg.begin() + length);
    EXPECT_FALSE(decodes_or_fails_cleanly(cut, "cut.jpg", 40, 30)) << length;
    // Left to stb_image, it may fail or fill in; either way no crash and the right size.
    decodes_or_fails_cleanly(cut, "cut.jpg", 40, 30, lenient);
  }
  const std::vector<std::uint8_t> cut(jpeg.begin(), jpeg.end() - 40);
  EXPECT_EQ(error_of(cut, "photo.jpg"),
            "cannot decode image (photo.jpg): truncated JPEG data (no end-of-image marker)");
}

TEST(DecodeTest, TruncatedBmpAndPgmFail) {
  const std::vector<std::uint8_t> bmp = encode_bmp(random_image(10, 10, 3));
  const std::vector<std::uint8_t> pgm = pnm_bytes(random_image(10, 10, 1));
  for (std::size_t length = 1; length < bmp.size(); length += 5) {
    EXPECT_FALSE(decodes_or_fails_cleanly({bmp.begin(), bmp.begin() + length}, "cut.bmp", 10, 10))
        << length;
  }
  for (std::size_t length = 1; length < pgm.size(); length += 5) {
    EXPECT_FALSE(decodes_or_fails_cleanly({pgm.begin(), pgm.begin() + length}, "cut.pgm", 10, 10))
        << length;
  }
  EXPECT_EQ(error_of({pgm.begin(), pgm.end() - 1}, "face.pgm"),
            "cannot decode image (face.pgm): truncated PGM/PPM data (119 bytes, the pixels end at "
            "120)");
}

TEST(DecodeTest, FlippedBytesNeverCrash) {
  const Image original = random_image(24, 20, 3);
  const std::vector<std::vector<std::uint8_t>> files = {
      encode_png(original), encode_jpeg(original, 80), encode_bmp(original), pnm_bytes(original)};
  std::mt19937 rng(11);
  DecodeOptions lenient;
  lenient.allow_truncated = true;
  for (const auto& file : files) {
    for (int trial = 0; trial < 150; ++trial) {
      std::vector<std::uint8_t> bytes = file;
      for (int flips = 0; flips < 4; ++flips) {
        bytes[rng() % bytes.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
      }
      try {
        const Image image = decode_image(bytes, "flipped", lenient);
        EXPECT_GT(image.width(), 0);
        EXPECT_LE(image.width(), kMaxDecodeSide);
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("(flipped)"), std::string::npos) << e.what();
      }
    }
  }
}

// Offset of the first Huffman table segment's marker (FF C4) in a JPEG from encode_jpeg.
std::size_t first_dht(const std::vector<std::uint8_t>& jpeg) {
  for (std::size_t i = 2; i + 1 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC4) return i;
  }
  ADD_FAILURE() << "no DHT segment";
  return 0;
}

// stb_image v2.27 overruns its arrays on a Huffman table with more than 256 codes; the decoder
// must refuse such files before stb_image parses them.
TEST(DecodeTest, OversizedHuffmanTableIsRefused) {
  const std::vector<std::uint8_t> jpeg = encode_jpeg(random_image(16, 16, 3), 90);
  const std::size_t dht = first_dht(jpeg);
  const std::string expected =
      "cannot decode image (evil.jpg): corrupt JPEG (Huffman table with more than 256 codes)";

  std::vector<std::uint8_t> evil = jpeg;
  evil[dht + 5 + 15] = 255;  // the first table's count of 16-bit codes
  evil[dht + 5 + 14] = 255;
  EXPECT_EQ(error_of(evil, "evil.jpg"), expected);

  // The same through a segment whose length ends just after the second table's id byte: stb_image
  // still reads that table's counts from the bytes that follow the segment.
  evil = jpeg;
  std::size_t first_codes = 0;
  for (int i = 0; i < 16; ++i) first_codes += evil[dht + 5 + i];
  const std::size_t length = 2 + 17 + first_codes + 1;
  evil[dht + 2] = static_cast<std::uint8_t>(length >> 8);
  evil[dht + 3] = static_cast<std::uint8_t>(length & 0xFF);
  const std::size_t second = dht + 4 + 17 + first_codes;
  for (int i = 1; i <= 16; ++i) evil[second + i] = 200;
  DecodeOptions lenient;
  lenient.allow_truncated = true;
  EXPECT_EQ(error_of(evil, "evil.jpg", lenient), expected);
}

// A 1x1 PNG whose IHDR claims another size. stb_image skips chunk CRCs, so the stale CRC does
// not matter (the test would show it if that changed: the error would name a CRC instead).
std::vector<std::uint8_t> png_claiming(std::uint32_t width, std::uint32_t height) {
  std::vector<std::uint8_t> png = encode_png(Image(1, 1, 3));
  for (int i = 0; i < 4; ++i) {
    png[16 + i] = static_cast<std::uint8_t>(width >> (24 - 8 * i));
    png[20 + i] = static_cast<std::uint8_t>(height >> (24 - 8 * i));
  }
  return png;
}

TEST(DecodeTest, HugeHeadersAreRefusedBeforeDecoding) {
  const std::string pgm_error = error_of(bytes_of("P5\n100000 100000\n255\n"), "huge.pgm");
  EXPECT_EQ(pgm_error,
            "cannot decode image (huge.pgm): header gives 100000x100000, more than the limit of "
            "16384 pixels per side");
  // stb_image itself refuses this PNG in its header pass (more than 2^30 bytes).
  const std::string png_error = error_of(png_claiming(100000, 100000), "huge.png");
  EXPECT_EQ(png_error.rfind("cannot decode image (huge.png): ", 0), 0u) << png_error;
  // Under stb_image's own ceiling: our limits are what stop it.
  EXPECT_EQ(error_of(png_claiming(16000, 16000), "big.png"),
            "cannot decode image (big.png): header gives 16000x16000, more than the limit of "
            "67108864 pixels");
  EXPECT_EQ(error_of(png_claiming(20000, 10), "wide.png"),
            "cannot decode image (wide.png): header gives 20000x10, more than the limit of 16384 "
            "pixels per side");
}

TEST(DecodeTest, LimitsAreOptions) {
  const std::vector<std::uint8_t> png = encode_png(random_image(64, 48, 3));
  DecodeOptions small;
  small.max_side = 50;
  EXPECT_THROW(decode_image(png, "x.png", small), Error);
  small.max_side = 64;
  small.max_pixels = 64 * 48 - 1;
  EXPECT_THROW(decode_image(png, "x.png", small), Error);
  small.max_pixels = 64 * 48;
  EXPECT_EQ(decode_image(png, "x.png", small).width(), 64);
}

TEST(DecodeTest, ZeroSizedHeadersFail) {
  EXPECT_THROW(decode_image(bytes_of("P5\n0 10\n255\n"), "zero.pgm"), Error);
  EXPECT_THROW(decode_image(png_claiming(0, 5), "zero.png"), Error);
  EXPECT_THROW(decode_image(bytes_of("BM"), "tiny.bmp"), Error);
}

}  // namespace
}  // namespace fu::image
