#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/file_envelope.h"
#include "fuzz/fuzz_targets.h"

namespace fu::fuzz {

const std::vector<Target>& targets() {
  static const std::vector<Target> all = {
      {"image_decode", "image decoder (decode_image)", &decode_image_bytes},
      {"model_file", "model file reader (parse_model) and a run of what it accepts",
       &parse_model_bytes},
      {"gallery_file", "gallery file (Gallery::parse)", &parse_gallery_bytes},
      {"user_record", "stored user record into an engine's gallery (import_user)",
       &import_user_record},
  };
  return all;
}

std::vector<std::uint8_t> as_file(const char (&magic)[8], std::uint32_t version, const char* kind,
                                  const std::uint8_t* data, std::size_t size) {
  if (size >= sizeof magic && std::memcmp(data, magic, sizeof magic) == 0) {
    return std::vector<std::uint8_t>(data, data + size);
  }
  const EnvelopeFormat format = {magic, version, kind};
  return seal_envelope(format, std::vector<std::uint8_t>(data, data + size));
}

void require(bool kept, const std::string& promise) {
  if (kept) return;
  std::fprintf(stderr, "fuzz: broken promise: %s\n", promise.c_str());
  std::abort();
}

}  // namespace fu::fuzz
