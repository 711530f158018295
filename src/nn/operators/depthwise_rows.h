// Drives a depthwise micro-kernel over every output row of a batch; shared by the float and the
// int8 depthwise operators, which differ only in element type and kernel arguments.
#pragma once

#include <cstddef>
#include <vector>

#include "base/thread_pool.h"
#include "nn/op_params.h"
#include "nn/operators/gemm.h"

namespace fu::nn::detail {

// Builds each output row's tap pointers (padded taps point at `zero`, a row of channels of the
// padding value) and calls run_row(taps, out_row). Pointers are rebuilt per row: it costs ks
// pointer writes per pixel against ks x channels multiply-adds, and keeps the operators
// independent of the input's address. With a pool, threads take whole rows, each with its own
// part of `row_taps`, so the result is bit-identical to one thread.
template <typename T, typename RunRow>
void run_depthwise_rows(const Window2d& w, int batch, int in_h, int in_w, int out_h, int out_w,
                        size_t channels, const T* input, const T* zero, T* output,
                        std::vector<const T*>& row_taps, ThreadPool* pool, RunRow&& run_row) {
  const size_t ks = static_cast<size_t>(w.kernel_h) * w.kernel_w;
  const size_t rows = static_cast<size_t>(batch) * out_h;
  ThreadPool* split = pool_worth(pool, rows * out_w * channels * ks);
  const size_t row_size = static_cast<size_t>(out_w) * ks;
  row_taps.resize(row_size * parts_of(split));
  auto run_rows = [&](size_t begin, size_t end, int part) {
    const T** part_taps = row_taps.data() + part * row_size;
    for (size_t row = begin; row < end; ++row) {
      const int n = static_cast<int>(row / out_h);
      const int oy = static_cast<int>(row % out_h);
      const T* image = input + static_cast<size_t>(n) * in_h * in_w * channels;
      const T** taps = part_taps;
      for (int ox = 0; ox < out_w; ++ox) {
        for (int ky = 0; ky < w.kernel_h; ++ky) {
          const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
          for (int kx = 0; kx < w.kernel_w; ++kx) {
            const int ix = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
            const bool inside = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w;
            *taps++ = inside ? image + (static_cast<size_t>(iy) * in_w + ix) * channels : zero;
          }
        }
      }
      run_row(part_taps, output + ((static_cast<size_t>(n) * out_h + oy) * out_w) * channels);
    }
  };
  for_parts(split, rows, run_rows);
}

}  // namespace fu::nn::detail
