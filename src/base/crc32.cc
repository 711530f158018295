#include "base/crc32.h"

#include <array>

namespace fu {

namespace {

// tables[k][b]: the CRC register after byte b followed by k zero bytes, so that eight bytes fold
// in with eight independent look-ups (slicing-by-8).
using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

Tables make_tables() {
  Tables tables{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    tables[0][i] = c;
  }
  for (std::size_t k = 1; k < tables.size(); ++k) {
    for (std::uint32_t i = 0; i < 256; ++i) {
      tables[k][i] = (tables[k - 1][i] >> 8) ^ tables[0][tables[k - 1][i] & 0xFF];
    }
  }
  return tables;
}

}  // namespace

// Eight bytes per step rather than one: engine creation checks every model file, and on a web
// page's first visit that runs in WebAssembly code V8 has not optimised yet (Liftoff), where the
// loop's iterations count most (`node --liftoff-only wasm/creation-bench.mjs`, with the PReLU
// multiplier check of nn/kernels/qs8_packing.cc: creation's own work about halved).
std::uint32_t crc32(const std::uint8_t* data, std::size_t size, std::uint32_t crc) {
  static const Tables t = make_tables();
  crc = ~crc;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    // The low four bytes as a little-endian word, assembled bytewise so that the host's byte
    // order does not matter.
    const std::uint32_t low =
        crc ^ (std::uint32_t{data[i]} | std::uint32_t{data[i + 1]} << 8 |
               std::uint32_t{data[i + 2]} << 16 | std::uint32_t{data[i + 3]} << 24);
    crc = t[7][low & 0xFF] ^ t[6][(low >> 8) & 0xFF] ^ t[5][(low >> 16) & 0xFF] ^ t[4][low >> 24] ^
          t[3][data[i + 4]] ^ t[2][data[i + 5]] ^ t[1][data[i + 6]] ^ t[0][data[i + 7]];
  }
  for (; i < size; ++i) crc = t[0][(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

}  // namespace fu
