#include "base/file_envelope.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "base/byte_stream.h"
#include "base/crc32.h"
#include "base/error.h"

namespace fu {

std::vector<std::uint8_t> seal_envelope(const EnvelopeFormat& format,
                                        const std::vector<std::uint8_t>& body) {
  ByteWriter file;
  file.raw(format.magic, 8);
  file.u32(format.version);
  file.u32(0);  // flags: none defined
  file.u64(body.size());
  file.u32(crc32(body.data(), body.size()));
  file.u32(0);  // reserved
  file.raw(body.data(), body.size());
  return std::move(file.bytes());
}

EnvelopeBody open_envelope(const EnvelopeFormat& format, const std::uint8_t* data, std::size_t size,
                           const std::string& label) {
  ByteReader header(data, size, std::string(format.kind) + " (" + label + ")");
  if (size < kEnvelopeHeaderSize) {
    header.fail("truncated: " + std::to_string(size) + " bytes is shorter than the " +
                std::to_string(kEnvelopeHeaderSize) + "-byte header");
  }
  char magic[8];
  header.raw(magic, sizeof magic, "magic");
  if (std::memcmp(magic, format.magic, sizeof magic) != 0) {
    header.fail(std::string("bad magic: not a faceunlock ") + format.kind);
  }
  const std::uint32_t version = header.u32("version");
  const std::uint32_t oldest = format.oldest_version == 0 ? format.version : format.oldest_version;
  if (version < oldest || version > format.version) {
    header.fail("unknown version " + std::to_string(version) + " (this build reads version " +
                (oldest == format.version ? "" : std::to_string(oldest) + " to ") +
                std::to_string(format.version) + ")");
  }
  const std::uint32_t flags = header.u32("flags");
  if (flags != 0) header.fail("unknown flags " + std::to_string(flags));
  const std::uint64_t body_size = header.u64("body size");
  const std::uint32_t checksum = header.u32("checksum");
  // The header is outside the checksum, so every header byte must be checked by value.
  if (header.u32("reserved") != 0) header.fail("reserved header field is not 0");
  const std::size_t available = size - kEnvelopeHeaderSize;
  if (body_size != available) {
    header.fail((body_size > available ? "truncated" : "trailing bytes") +
                std::string(": header announces ") + std::to_string(body_size) +
                " body bytes, file has " + std::to_string(available));
  }
  const std::uint8_t* body = data + kEnvelopeHeaderSize;
  if (crc32(body, available) != checksum) {
    header.fail("checksum mismatch: the file is corrupt or was modified");
  }
  return {body, available, version};
}

void write_file_atomically(const std::string& path, const std::vector<std::uint8_t>& bytes,
                           const char* kind) {
  const std::string prefix = std::string("cannot write ") + kind + " (" + path + "): ";
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(prefix + std::strerror(errno));
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      const std::string reason = std::strerror(errno);
      std::remove(temp.c_str());
      throw Error(prefix + reason);
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(temp.c_str());
    throw Error(prefix + reason);
  }
}

std::vector<std::uint8_t> read_whole_file(const std::string& path, const char* kind) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(std::string("cannot read ") + kind + " (" + path + "): " + std::strerror(errno));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(std::string("cannot read ") + kind + " (" + path + "): read error");
  return bytes;
}

}  // namespace fu
