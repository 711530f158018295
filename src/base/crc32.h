// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum that zlib and PNG use,
// so a file's checksum can be checked with ordinary tools.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fu {

std::uint32_t crc32(const std::uint8_t* data, std::size_t size, std::uint32_t crc = 0);

}  // namespace fu
