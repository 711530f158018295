// The indirection buffer of the IGEMM convolutions, shared by the float and the int8 operator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "nn/op_params.h"

namespace fu::nn::detail {

// For every register tile of `mr` output pixels and every tap of the window, the element offset
// of the input pixel the tap reads (pixel * in_channels), or `zero_offset` for a padded tap (the
// kernels then read their zero row). Laid out [tile][tap][row]; rows past the last pixel repeat
// it, since the kernel reads every row of a tile.
std::vector<int32_t> igemm_indirection(const Window2d& w, int in_h, int in_w, int out_h, int out_w,
                                       size_t mr, size_t in_channels, int32_t zero_offset);

}  // namespace fu::nn::detail
