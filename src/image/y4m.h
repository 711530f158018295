// Reading YUV4MPEG2 (.y4m) video, the format of Chromium's fake webcam and of ffmpeg's
// `-f yuv4mpegpipe`, so that the native CLI replays exactly what the browser tests show the
// camera. Only 8-bit 4:2:0 (C420, C420jpeg, C420paldv, C420mpeg2, or no C tag); frames are
// converted to RGB with BT.601 limited-range coefficients (what ffmpeg writes for yuv420p).
//
// The stream is read one frame at a time, so a long video never sits in memory whole.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include "image/image.h"

namespace fu::image {

// Frames larger than this on a side are refused (a damaged header must not allocate gigabytes).
constexpr int kMaxY4mSide = 8192;

class Y4mReader {
 public:
  // Opens `path` and reads its header. Throws fu::Error "cannot read video (<path>): <reason>"
  // for a missing file, a header that is not YUV4MPEG2, or an unsupported colour space.
  explicit Y4mReader(const std::string& path);

  int width() const { return width_; }
  int height() const { return height_; }
  // Frames per second from the F tag; 0 when the header has none (or 0:0).
  double frame_rate() const { return frame_rate_; }
  int frames_read() const { return frames_read_; }

  // The next frame as RGB; false at the end of the file. Throws fu::Error for a truncated frame
  // or a frame header that is not FRAME.
  bool next(Image& rgb);

 private:
  [[noreturn]] void fail(const std::string& reason) const;

  std::string path_;
  std::ifstream in_;
  int width_ = 0;
  int height_ = 0;
  double frame_rate_ = 0.0;
  int frames_read_ = 0;
  std::string planes_;  // one frame's Y, U and V planes
};

// One 4:2:0 frame (planes Y: width x height, U and V: ceil(width/2) x ceil(height/2)) to RGB.
Image yuv420_to_rgb(const std::uint8_t* y, const std::uint8_t* u, const std::uint8_t* v, int width,
                    int height);

}  // namespace fu::image
