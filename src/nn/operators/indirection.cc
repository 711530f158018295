#include "nn/operators/indirection.h"

#include <algorithm>

namespace fu::nn::detail {

std::vector<int32_t> igemm_indirection(const Window2d& w, int in_h, int in_w, int out_h, int out_w,
                                       size_t mr, size_t in_channels, int32_t zero_offset) {
  const size_t ks = static_cast<size_t>(w.kernel_h) * w.kernel_w;
  const size_t pixels = static_cast<size_t>(out_h) * out_w;
  const size_t tiles = (pixels + mr - 1) / mr;
  std::vector<int32_t> indirection(tiles * ks * mr);
  for (size_t tile = 0; tile < tiles; ++tile) {
    for (size_t r = 0; r < mr; ++r) {
      const size_t pixel = std::min(tile * mr + r, pixels - 1);
      const int oy = static_cast<int>(pixel / out_w);
      const int ox = static_cast<int>(pixel % out_w);
      for (int ky = 0; ky < w.kernel_h; ++ky) {
        const int iy = oy * w.stride_h - w.padding.top + ky * w.dilation_h;
        for (int kx = 0; kx < w.kernel_w; ++kx) {
          const int ix = ox * w.stride_w - w.padding.left + kx * w.dilation_w;
          const size_t t = static_cast<size_t>(ky) * w.kernel_w + kx;
          const bool inside = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w;
          indirection[(tile * ks + t) * mr + r] =
              inside ? static_cast<int32_t>((iy * in_w + ix) * in_channels) : zero_offset;
        }
      }
    }
  }
  return indirection;
}

}  // namespace fu::nn::detail
