// The cache of aligned face chips that training builds once per data set
// (docs/train-cache-format.md).
//
// Detecting and aligning thousands of photos takes minutes; a training run, and every resumed or
// repeated one, should not pay that again. The cache stores, per source file, what turning it
// into a chip gave (the chip, or why there is none) together with a key of everything that
// changes that result: the files (path, size, modification time), the mode, the alignment
// template, the detector (name and checksum) and the detection settings. A reader compares keys
// and decides what can be reused (train/face_dataset.h); this file only writes and reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "face/alignment.h"
#include "face/detector.h"
#include "image/image.h"

namespace fu::train {

// How a source image becomes a chip.
enum class DatasetMode : std::uint8_t {
  kPhotos = 0,   // detect, choose the most prominent face, refine, align to the template
  kAligned = 1,  // already aligned crops: resized to the template size only
};

const char* dataset_mode_name(DatasetMode mode);

// One source image as the key sees it. A changed size or modification time means the file
// changed (the same test make and rsync use; hashing every photo would cost a full read).
struct SourceFile {
  std::string path;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  // std::filesystem::last_write_time, nanoseconds since its epoch
};

// Everything that decides the chips, apart from the files themselves.
struct ChipRecipe {
  DatasetMode mode = DatasetMode::kPhotos;
  face::AlignmentTemplate alignment;  // photos: all of it; aligned: width and height only count
  std::string detector_name;          // photos only; empty for aligned
  std::uint32_t detector_crc = 0;     // CRC-32 of the serialised detector model; 0 for aligned
  face::DetectOptions detect;         // photos only
  bool refine_keypoints = true;       // photos only
};

struct FaceCacheKey {
  ChipRecipe recipe;
  std::vector<SourceFile> files;
};

// "" when the recipes agree; otherwise the first difference in words ("the alignment template
// differs (150x150 -> 112x112)"), for the message that says why a cache is rebuilt. Fields that
// the mode does not use are not compared.
std::string recipe_difference(const ChipRecipe& cached, const ChipRecipe& wanted);

enum class ChipStatus : std::uint8_t {
  kOk = 0,          // chip holds the aligned RGB face
  kUnreadable = 1,  // the file could not be read or decoded; message says why
  kNoFace = 2,      // decoded, but the detector found no face
};

// What turning one source file into a chip gave.
struct ChipResult {
  ChipStatus status = ChipStatus::kOk;
  int faces_found = 0;  // photos mode: the detector's count (the most prominent was aligned)
  std::string message;  // why there is no chip; empty for kOk
  image::Image chip;    // RGB, the template's size; empty unless kOk
};

struct FaceCacheContents {
  FaceCacheKey key;
  std::vector<ChipResult> results;  // one per key.files entry, same order
};

constexpr std::uint32_t kFaceCacheVersion = 1;

// Writes atomically (a crash leaves the old cache or the new one). Throws fu::Error
// "cannot write face cache (<path>): <reason>", also when results and key.files differ in count
// or a chip is not RGB of the template's size.
void write_face_cache(const std::string& path, const FaceCacheContents& contents);

// Reads and checks everything: envelope (magic, version, size, CRC), every count against the
// bytes left, every chip's size against the template. Throws fu::Error
// "cannot read face cache (<path>): <reason>" for a missing, truncated or corrupt file.
FaceCacheContents read_face_cache(const std::string& path);

}  // namespace fu::train
