// The 32-byte header every faceunlock file format shares (model files, gallery files):
//
//   magic[8] | u32 version | u32 flags (0) | u64 body size | u32 CRC-32 of the body | u32 0
//
// followed by the body. Each format picks its magic and version; this code checks the rest, so
// every format rejects truncation, trailing bytes, unknown versions and corruption the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fu {

constexpr std::size_t kEnvelopeHeaderSize = 32;

struct EnvelopeFormat {
  const char* magic;      // exactly 8 bytes
  std::uint32_t version;  // the version written, and the newest one read
  const char* kind;       // "model file", "gallery file": names the format in messages
  // The oldest version still read (0: only `version`); the caller parses by EnvelopeBody::version.
  std::uint32_t oldest_version = 0;
};

std::vector<std::uint8_t> seal_envelope(const EnvelopeFormat& format,
                                        const std::vector<std::uint8_t>& body);

struct EnvelopeBody {
  const std::uint8_t* data;
  std::size_t size;
  std::uint32_t version;  // the file's version, between oldest_version and version
};

// Checks the header and the checksum; throws fu::Error "cannot read <kind> (<label>): <reason>".
EnvelopeBody open_envelope(const EnvelopeFormat& format, const std::uint8_t* data, std::size_t size,
                           const std::string& label);

// Writes `path` + ".tmp" and renames it over `path`: a reader, or a crash, sees the old file or
// the new one, never half of one. Throws fu::Error "cannot write <kind> (<path>): <reason>".
void write_file_atomically(const std::string& path, const std::vector<std::uint8_t>& bytes,
                           const char* kind);

// Throws fu::Error "cannot read <kind> (<path>): <reason>".
std::vector<std::uint8_t> read_whole_file(const std::string& path, const char* kind);

}  // namespace fu
