// Every f32 depthwise micro-kernel of the family list against a double-precision loop: channel
// counts around the 4- and 8-channel tiles, several output pixels, padded taps (the zero
// buffer), a clamp, buffers that end at an inaccessible page.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "nn/kernels/f32-dwconv/f32-dwconv.h"
#include "nn/kernels/guarded_buffer.h"
#include "nn/kernels/packing.h"
#include "nn/operators/test_util.h"

namespace fu::nn::kernels {
namespace {

using testing::GuardedBuffer;
using testing::random_vector;

struct DwconvKernel {
  std::string name;
  F32DwconvMinMaxUkernel fn;
  size_t channel_tile;
  size_t taps;  // 0: any
};

#define FU_DWCONV_ENTRY(name, ct, taps) DwconvKernel{#name, name, ct, taps},
const std::vector<DwconvKernel> kDwconvKernels = {FU_F32_DWCONV_MINMAX_UKERNELS(FU_DWCONV_ENTRY)};
#undef FU_DWCONV_ENTRY

TEST(F32DwconvKernelTest, AllKernelsAllChannelTails) {
  unsigned seed = 1;
  for (const DwconvKernel& k : kDwconvKernels) {
    const std::vector<size_t> tap_counts =
        k.taps != 0 ? std::vector<size_t>{k.taps} : std::vector<size_t>{1, 4, 9, 25};
    for (size_t ks : tap_counts) {
      for (size_t channels = 1; channels <= 3 * k.channel_tile + 3; ++channels) {
        const size_t width = 1 + seed % 3;
        ++seed;
        // Each input pixel is its own guarded buffer, so reading past its channels crashes.
        std::vector<std::unique_ptr<GuardedBuffer<float>>> pixels;
        for (size_t p = 0; p < width + ks; ++p)
          pixels.push_back(
              std::make_unique<GuardedBuffer<float>>(random_vector(channels, seed * 31 + p)));
        const GuardedBuffer<float> zero(std::vector<float>(channels, 0.0f));
        std::vector<const float*> taps(width * ks);
        for (size_t x = 0; x < width; ++x)
          for (size_t t = 0; t < ks; ++t)
            taps[x * ks + t] = (x + t) % 4 == 3 ? zero.data() : pixels[x + t]->data();
        const auto filter = random_vector(ks * channels, seed + 7);
        const auto bias = random_vector(channels, seed + 8);
        const GuardedBuffer<float> packed(
            pack_f32_dwconv_weights(channels, ks, filter.data(), bias.data()));
        const MinMaxParams p{-1.2f, 1.5f};
        GuardedBuffer<float> out(width * channels);
        k.fn(channels, width, ks, taps.data(), packed.data(), out.data(), p);
        for (size_t x = 0; x < width; ++x)
          for (size_t c = 0; c < channels; ++c) {
            double sum = bias[c], magnitude = std::fabs(bias[c]);
            for (size_t t = 0; t < ks; ++t) {
              sum += double(taps[x * ks + t][c]) * filter[t * channels + c];
              magnitude += std::fabs(double(taps[x * ks + t][c]) * filter[t * channels + c]);
            }
            const double want = std::fmin(std::fmax(sum, p.min), p.max);
            ASSERT_NEAR(out[x * channels + c], want, 1e-6 * (1 + magnitude))
                << k.name << " ks=" << ks << " channels=" << channels << " at " << x << "," << c;
          }
      }
    }
  }
}

}  // namespace
}  // namespace fu::nn::kernels
