// Every qs8 depthwise micro-kernel of the family list against a plain scalar loop of the int8
// contract, bit-exact: channel counts around the 8- and 16-channel tiles, several output pixels,
// padded taps, extreme values and zero points at the ends, buffers ending at an inaccessible
// page.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/kernels/guarded_buffer.h"
#include "nn/kernels/qs8-dwconv/qs8-dwconv.h"
#include "nn/kernels/qs8_packing.h"
#include "nn/kernels/qs8_test_util.h"

namespace fu::nn::kernels {
namespace {

using testing::contract_requantize;
using testing::GuardedBuffer;
using testing::random_int32;
using testing::random_int8;
using testing::random_scales;

struct DwconvKernel {
  std::string name;
  Qs8DwconvMinMaxFp32Ukernel fn;
  size_t channel_tile;
  size_t taps;  // 0: any
};

#define FU_DWCONV_ENTRY(name, ct, taps) DwconvKernel{#name, name, ct, taps},
const std::vector<DwconvKernel> kDwconvKernels = {
    FU_QS8_DWCONV_MINMAX_FP32_UKERNELS(FU_DWCONV_ENTRY)};
#undef FU_DWCONV_ENTRY

struct Quant {
  int32_t input_zp;
  int32_t output_zp;
  int8_t qmin, qmax;
};

const std::vector<Quant> kQuants = {
    {0, 0, -128, 127}, {-128, 127, -128, 127}, {127, -128, -128, 127},
    {-3, 5, 5, 127},   {17, -9, -40, 60},
};

void run_case(const DwconvKernel& k, size_t channels, size_t ks, size_t width, const Quant& q,
              bool extreme, unsigned seed) {
  const std::string what = k.name + " channels=" + std::to_string(channels) +
                           " ks=" + std::to_string(ks) + " width=" + std::to_string(width);
  // Each input pixel is its own guarded buffer, so reading past any pixel's channels crashes.
  const size_t pixels = width + ks;
  std::vector<std::unique_ptr<GuardedBuffer<int8_t>>> input;
  for (size_t p = 0; p < pixels; ++p) {
    std::vector<int8_t> values = random_int8(channels, seed + p);
    if (extreme)
      for (size_t c = 0; c < channels; ++c) values[c] = (c + p) % 3 ? 127 : -128;
    input.push_back(std::make_unique<GuardedBuffer<int8_t>>(values));
  }
  const GuardedBuffer<int8_t> zero(std::vector<int8_t>(channels, q.input_zp));
  std::vector<const int8_t*> taps(width * ks);
  for (size_t x = 0; x < width; ++x)
    for (size_t t = 0; t < ks; ++t)
      taps[x * ks + t] = (x + t) % 4 == 3 ? zero.data() : input[x + t]->data();
  std::vector<int8_t> filter = random_int8(ks * channels, seed + 1000, -127, 127);
  if (extreme)
    for (size_t i = 0; i < filter.size(); ++i) filter[i] = i % 2 ? -127 : 127;
  const auto bias = random_int32(channels, seed + 1001, -20000, 20000);
  auto scales = random_scales(channels, seed + 1002, ks);
  if (seed % 5 == 0) scales.assign(channels, 0.5f);
  const GuardedBuffer<int8_t> packed(
      pack_qs8_dwconv_weights(channels, ks, filter.data(), bias.data(), scales.data(), q.input_zp));
  std::vector<int8_t> want(width * channels);
  for (size_t x = 0; x < width; ++x)
    for (size_t c = 0; c < channels; ++c) {
      int32_t acc = bias[c];
      for (size_t t = 0; t < ks; ++t) {
        const int8_t* tap = taps[x * ks + t];
        if (tap == zero.data()) continue;  // a padded tap is a real zero
        acc += (int32_t{tap[c]} - q.input_zp) * filter[t * channels + c];
      }
      want[x * channels + c] = contract_requantize(acc, scales[c], q.output_zp, q.qmin, q.qmax);
    }
  GuardedBuffer<int8_t> out(width * channels);
  k.fn(channels, width, ks, taps.data(), packed.data(), out.data(),
       make_qs8_fp32_params(q.output_zp, q.qmin, q.qmax));
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_EQ(int{out[i]}, int{want[i]})
        << what << " at pixel " << i / channels << " channel " << i % channels;
}

TEST(Qs8DwconvKernelTest, AllKernelsAllChannelTailsBitExact) {
  unsigned seed = 1;
  for (const DwconvKernel& k : kDwconvKernels) {
    const std::vector<size_t> tap_counts =
        k.taps != 0 ? std::vector<size_t>{k.taps} : std::vector<size_t>{1, 2, 4, 9, 25};
    for (size_t ks : tap_counts) {
      for (size_t channels = 1; channels <= 3 * k.channel_tile + 9; ++channels) {
        const Quant& q = kQuants[seed % kQuants.size()];
        run_case(k, channels, ks, 1 + seed % 3, q, false, seed);
        ++seed;
      }
    }
  }
}

TEST(Qs8DwconvKernelTest, ExtremeValues) {
  for (const DwconvKernel& k : kDwconvKernels) {
    const size_t ks = k.taps != 0 ? k.taps : 25;
    for (const Quant& q : {Quant{-128, 0, -128, 127}, Quant{127, 0, -128, 127}})
      run_case(k, 2 * k.channel_tile + 5, ks, 2, q, true, 3);
  }
}

}  // namespace
}  // namespace fu::nn::kernels
