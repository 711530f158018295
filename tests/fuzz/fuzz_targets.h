// The fuzzed entry points, one per surface where bytes from outside reach the C++ core. Each takes
// arbitrary bytes, hands them to the code under test the way the product does, checks what the
// product promises about the result, and returns whether the input was accepted.
//
// The contract under test: bad input ends in fu::Error and nothing else. Any other exception
// escapes the entry (libFuzzer and the replay test then report it), and a broken promise aborts
// through require() below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fu::fuzz {

// The template size of the gallery that import_user_record imports into (the shipped embedder has
// 128; a small one keeps the seeds small and says the same).
constexpr std::size_t kRecordDimension = 16;
// The identity of the embedder the engine of import_user_record runs.
constexpr char kRecordEmbedder[] = "fuzz-embedder@0000f00d";

using Entry = bool (*)(const std::uint8_t* data, std::size_t size);

struct Target {
  const char* name;     // the folder name of its corpus and regressions
  const char* surface;  // what it fuzzes, for listings
  Entry entry;
};

// Every target, in a stable order.
const std::vector<Target>& targets();

// src/image/decode.h: decode_image on the bytes, strictly and with truncation allowed.
bool decode_image_bytes(const std::uint8_t* data, std::size_t size);
// src/nn/model_file.cc: parse_model, then a run of the parsed model on the reference and the own
// SIMD backend when its work is small.
bool parse_model_bytes(const std::uint8_t* data, std::size_t size);
// src/unlock/gallery.h: Gallery::parse, the canonical round trip, 1:1 and 1:N on the result.
bool parse_gallery_bytes(const std::uint8_t* data, std::size_t size);
// The stored per-user record (a one-user gallery file, docs/store-format.md) going into an
// engine's gallery the way wasm/js_engine.cc's import_user takes it: Gallery::parse, one user,
// unlock::require_embedder against kRecordEmbedder, Gallery::copy_user into a gallery of that
// embedder that already holds users of kRecordDimension values.
bool import_user_record(const std::uint8_t* data, std::size_t size);

// Files carry a CRC-32 that a mutation almost always breaks, so a fuzzer would rarely get past
// the header. An input that does not start with the format's magic is therefore taken as a body
// and sealed with a correct header first; one that does is used as it is.
std::vector<std::uint8_t> as_file(const char (&magic)[8], std::uint32_t version, const char* kind,
                                  const std::uint8_t* data, std::size_t size);

// Aborts with `promise` on stderr when `kept` is false.
void require(bool kept, const std::string& promise);

}  // namespace fu::fuzz
