// Milliseconds of the per-frame image work around the networks, on one synthetic 640x480 RGBA
// camera frame with a 200-pixel face (a user at arm's length): the detector's letterbox (two
// halvings and a warp to 128x128), the quality check (a halving, a warp to 96x96 grey, the
// Laplacian), the 112x112 alignment warp of a slightly rolled face (a halving of the face's region,
// then the warp), plain 112x112 warps (rotated and axis-aligned) and one halving of the whole
// frame. Natively `build/bench/frame_stages_bench`, in WebAssembly
// `node --no-experimental-fetch --no-liftoff build-wasm/bench/frame_stages_bench.cjs`. The stages
// run interleaved, one of each per round, and the fastest and the median of each are printed (on
// a shared machine preemption only ever adds time). Speed figures only: the results' correctness
// is in tests/image and tests/face.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "face/alignment.h"
#include "face/face.h"
#include "face/letterbox.h"
#include "face/quality.h"
#include "image/image.h"
#include "image/resize.h"
#include "image/warp.h"

namespace {

constexpr const char* kUsage = "usage: frame_stages_bench [--min-time SECONDS] [--runs N]\n";
constexpr int kWidth = 640;
constexpr int kHeight = 480;

// Smooth shading with texture and noise, so that no stage meets a flat (and so easy) picture.
fu::image::Image synthetic_frame() {
  fu::image::Image frame(kWidth, kHeight, 4);
  std::uint32_t state = 12345;
  for (int y = 0; y < kHeight; ++y) {
    std::uint8_t* row = frame.row(y);
    for (int x = 0; x < kWidth; ++x) {
      for (int c = 0; c < 3; ++c) {
        state = state * 1664525u + 1013904223u;
        const double noise = static_cast<double>(state >> 24) / 16.0 - 8.0;
        const double v = 120.0 + 60.0 * std::sin(x * 0.07 + c) * std::cos(y * 0.05) + noise;
        row[4 * x + c] = static_cast<std::uint8_t>(std::clamp(v, 0.0, 255.0));
      }
      row[4 * x + 3] = 255;
    }
  }
  return frame;
}

// A 200-pixel face rolled by about 5 degrees, keypoints in the canonical order.
fu::face::Face synthetic_face() {
  fu::face::Face face;
  face.box = {220.0f, 140.0f, 200.0f, 200.0f};
  face.score = 0.9f;
  const std::vector<std::string>& names = fu::face::canonical_keypoint_names();
  face.keypoints.resize(names.size(), fu::image::Point{320.0, 240.0});
  auto place = [&](std::string_view name, double x, double y) {
    const int index = fu::face::find_keypoint(names, name);
    if (index >= 0) face.keypoints[index] = {x, y};
  };
  place(fu::face::kRightEye, 275.0, 205.0);
  place(fu::face::kLeftEye, 365.0, 213.0);
  place(fu::face::kNoseTip, 318.0, 255.0);
  place(fu::face::kMouthCenter, 316.0, 300.0);
  return face;
}

// Five points of a 112x112 template, as the embedders' metadata gives them.
fu::face::AlignmentTemplate synthetic_template(const fu::face::Face& face) {
  const std::vector<std::string>& names = fu::face::canonical_keypoint_names();
  fu::face::AlignmentTemplate t;
  t.width = 112;
  t.height = 112;
  auto add = [&](std::string_view name, double x, double y) {
    const int index = fu::face::find_keypoint(names, name);
    if (index >= 0 && index < static_cast<int>(face.keypoints.size())) {
      t.keypoint_indices.push_back(index);
      t.points.push_back({x, y});
    }
  };
  add(fu::face::kRightEye, 38.3, 51.7);
  add(fu::face::kLeftEye, 73.5, 51.5);
  add(fu::face::kNoseTip, 56.0, 71.7);
  add(fu::face::kMouthCenter, 56.0, 92.2);
  return t;
}

struct Stage {
  const char* name;
  std::function<std::uint32_t()> run;  // returns a byte of its result, so nothing is elided
  std::vector<double> ms;
};

}  // namespace

int main(int argc, char** argv) {
  double min_time = 1.0;
  int runs = 50;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--min-time") == 0 && i + 1 < argc) {
      min_time = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
    } else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  const fu::image::Image frame = synthetic_frame();
  const fu::face::Face face = synthetic_face();
  const fu::face::AlignmentTemplate alignment = synthetic_template(face);
  const fu::face::Letterbox letterbox = fu::face::make_letterbox(kWidth, kHeight, 128, 128);

  std::vector<Stage> stages;
  auto add = [&](const char* name, std::function<std::uint32_t()> run) {
    stages.push_back(Stage{name, std::move(run), {}});
  };
  add("detector letterbox 640x480 -> 128x128",
      [&] { return std::uint32_t{fu::face::apply_letterbox(frame, letterbox).data()[0]}; });
  add("quality (assess_quality, 200-px face)",
      [&] { return static_cast<std::uint32_t>(fu::face::assess_quality(frame, face).sharpness); });
  add("alignment 112x112 (align_face)",
      [&] { return std::uint32_t{fu::face::align_face(frame, face, alignment).data()[0]}; });
  // The two kinds of warp without the prefilter's halvings (scale above 1/2).
  const fu::image::AffineTransform rotated =
      fu::image::AffineTransform::similarity(0.8, 0.1, -180.0, -120.0);
  const fu::image::AffineTransform axis_aligned(0.8, 0.0, -180.0, 0.0, 0.8, -120.0);
  add("warp_affine 112x112 RGBA, rotated",
      [&] { return std::uint32_t{fu::image::warp_affine(frame, rotated, 112, 112).data()[0]}; });
  add("warp_affine 112x112 RGBA, axis-aligned", [&] {
    return std::uint32_t{fu::image::warp_affine(frame, axis_aligned, 112, 112).data()[0]};
  });
  add("halve 640x480 RGBA (resize_bilinear)", [&] {
    return std::uint32_t{fu::image::resize_bilinear(frame, kWidth / 2, kHeight / 2).data()[0]};
  });

  using Clock = std::chrono::steady_clock;
  std::uint32_t checksum = 0;
  for (Stage& s : stages) checksum += s.run();  // warm-up: first-use allocations
  const Clock::time_point start = Clock::now();
  for (int round = 0;
       round < runs || std::chrono::duration<double>(Clock::now() - start).count() < min_time;
       ++round) {
    for (Stage& s : stages) {
      const Clock::time_point t0 = Clock::now();
      checksum += s.run();
      s.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
  }
  std::printf("%-42s %10s %10s %6s\n", "stage (one thread)", "fastest ms", "median ms", "runs");
  for (Stage& s : stages) {
    std::sort(s.ms.begin(), s.ms.end());
    std::printf("%-42s %10.4f %10.4f %6zu\n", s.name, s.ms.front(), s.ms[s.ms.size() / 2],
                s.ms.size());
  }
  std::printf("(checksum %u)\n", checksum);
  return 0;
}
