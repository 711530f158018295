#include "train/face_cache.h"

#include <cmath>
#include <cstdio>

#include "base/byte_stream.h"
#include "base/error.h"
#include "base/file_envelope.h"

namespace fu::train {

namespace {

constexpr char kMagic[8] = {'F', 'U', 'C', 'H', 'I', 'P', 'S', '\0'};
constexpr EnvelopeFormat kFormat = {kMagic, kFaceCacheVersion, "face cache"};
// Larger chips than any embedder input; a header claiming more is corrupt.
constexpr std::uint32_t kMaxChipSide = 4096;

std::string size_text(int width, int height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

void write_recipe(ByteWriter& out, const ChipRecipe& r) {
  out.u8(static_cast<std::uint8_t>(r.mode));
  out.u32(static_cast<std::uint32_t>(r.alignment.width));
  out.u32(static_cast<std::uint32_t>(r.alignment.height));
  out.u32(static_cast<std::uint32_t>(r.alignment.keypoint_indices.size()));
  for (std::size_t i = 0; i < r.alignment.keypoint_indices.size(); ++i) {
    out.u32(static_cast<std::uint32_t>(r.alignment.keypoint_indices[i]));
    out.f64(r.alignment.points[i].x);
    out.f64(r.alignment.points[i].y);
  }
  out.str(r.detector_name);
  out.u32(r.detector_crc);
  out.f32(r.detect.min_score);
  out.f32(r.detect.nms_iou);
  out.u32(static_cast<std::uint32_t>(r.detect.max_faces));
  out.u8(r.refine_keypoints ? 1 : 0);
}

ChipRecipe read_recipe(ByteReader& in) {
  ChipRecipe r;
  const std::uint8_t mode = in.u8("mode");
  if (mode > static_cast<std::uint8_t>(DatasetMode::kAligned)) {
    in.fail("unknown mode " + std::to_string(mode));
  }
  r.mode = static_cast<DatasetMode>(mode);
  const std::uint32_t width = in.u32("chip width");
  const std::uint32_t height = in.u32("chip height");
  if (width == 0 || height == 0 || width > kMaxChipSide || height > kMaxChipSide) {
    in.fail("chip size " + std::to_string(width) + "x" + std::to_string(height) +
            " is outside 1.." + std::to_string(kMaxChipSide));
  }
  r.alignment.width = static_cast<int>(width);
  r.alignment.height = static_cast<int>(height);
  const std::uint32_t points = in.count("template points", 4 + 8 + 8);
  for (std::uint32_t i = 0; i < points; ++i) {
    r.alignment.keypoint_indices.push_back(static_cast<int>(in.u32("keypoint index")));
    const double x = in.f64("template x");
    const double y = in.f64("template y");
    r.alignment.points.push_back(image::Point{x, y});
  }
  r.detector_name = in.str("detector name");
  r.detector_crc = in.u32("detector checksum");
  r.detect.min_score = in.f32("min score");
  r.detect.nms_iou = in.f32("NMS IoU");
  r.detect.max_faces = static_cast<int>(in.u32("max faces"));
  r.refine_keypoints = in.u8("refine keypoints") != 0;
  return r;
}

}  // namespace

const char* dataset_mode_name(DatasetMode mode) {
  return mode == DatasetMode::kAligned ? "aligned" : "photos";
}

std::string recipe_difference(const ChipRecipe& cached, const ChipRecipe& wanted) {
  if (cached.mode != wanted.mode) {
    return std::string("the mode differs (") + dataset_mode_name(cached.mode) + " -> " +
           dataset_mode_name(wanted.mode) + ")";
  }
  const face::AlignmentTemplate& a = cached.alignment;
  const face::AlignmentTemplate& b = wanted.alignment;
  if (a.width != b.width || a.height != b.height) {
    return "the chip size differs (" + size_text(a.width, a.height) + " -> " +
           size_text(b.width, b.height) + ")";
  }
  if (wanted.mode == DatasetMode::kAligned) return "";
  bool same_points = a.keypoint_indices == b.keypoint_indices && a.points.size() == b.points.size();
  for (std::size_t i = 0; same_points && i < a.points.size(); ++i) {
    same_points = a.points[i].x == b.points[i].x && a.points[i].y == b.points[i].y;
  }
  if (!same_points) return "the alignment template's keypoints differ";
  if (cached.detector_name != wanted.detector_name || cached.detector_crc != wanted.detector_crc) {
    return "the detector differs (" + cached.detector_name + ", CRC " +
           std::to_string(cached.detector_crc) + " -> " + wanted.detector_name + ", CRC " +
           std::to_string(wanted.detector_crc) + ")";
  }
  if (cached.detect.min_score != wanted.detect.min_score ||
      cached.detect.nms_iou != wanted.detect.nms_iou ||
      cached.detect.max_faces != wanted.detect.max_faces) {
    return "the detection settings differ (min score " + number_text(cached.detect.min_score) +
           " -> " + number_text(wanted.detect.min_score) + ", NMS IoU " +
           number_text(cached.detect.nms_iou) + " -> " + number_text(wanted.detect.nms_iou) +
           ", max faces " + std::to_string(cached.detect.max_faces) + " -> " +
           std::to_string(wanted.detect.max_faces) + ")";
  }
  if (cached.refine_keypoints != wanted.refine_keypoints) {
    return std::string("keypoint refinement differs (") + (cached.refine_keypoints ? "on" : "off") +
           " -> " + (wanted.refine_keypoints ? "on" : "off") + ")";
  }
  return "";
}

void write_face_cache(const std::string& path, const FaceCacheContents& contents) {
  const std::string prefix = "cannot write face cache (" + path + "): ";
  const ChipRecipe& recipe = contents.key.recipe;
  if (contents.results.size() != contents.key.files.size()) {
    throw Error(prefix + std::to_string(contents.results.size()) + " results for " +
                std::to_string(contents.key.files.size()) + " files");
  }
  if (recipe.alignment.keypoint_indices.size() != recipe.alignment.points.size()) {
    throw Error(
        prefix + "the template has " + std::to_string(recipe.alignment.keypoint_indices.size()) +
        " keypoint indices and " + std::to_string(recipe.alignment.points.size()) + " points");
  }
  ByteWriter body;
  write_recipe(body, recipe);
  body.u32(static_cast<std::uint32_t>(contents.key.files.size()));
  for (std::size_t i = 0; i < contents.key.files.size(); ++i) {
    const SourceFile& file = contents.key.files[i];
    const ChipResult& result = contents.results[i];
    body.str(file.path);
    body.u64(file.size);
    body.u64(static_cast<std::uint64_t>(file.mtime_ns));
    body.u8(static_cast<std::uint8_t>(result.status));
    body.u32(static_cast<std::uint32_t>(result.faces_found));
    body.str(result.message);
    if (result.status != ChipStatus::kOk) continue;
    if (result.chip.width() != recipe.alignment.width ||
        result.chip.height() != recipe.alignment.height || result.chip.channels() != 3) {
      throw Error(prefix + "the chip of " + file.path + " is " + shape_text(result.chip) +
                  ", not " + size_text(recipe.alignment.width, recipe.alignment.height) + "x3");
    }
    body.raw(result.chip.data(), result.chip.size_bytes());
  }
  write_file_atomically(path, seal_envelope(kFormat, body.bytes()), kFormat.kind);
}

FaceCacheContents read_face_cache(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_whole_file(path, kFormat.kind);
  const EnvelopeBody body = open_envelope(kFormat, bytes.data(), bytes.size(), path);
  ByteReader in(body.data, body.size, std::string(kFormat.kind) + " (" + path + ")");
  FaceCacheContents contents;
  contents.key.recipe = read_recipe(in);
  const int width = contents.key.recipe.alignment.width;
  const int height = contents.key.recipe.alignment.height;
  // Smallest entry: empty path and message (4 + 4), size, mtime, status, face count.
  const std::uint32_t files = in.count("file count", 4 + 8 + 8 + 1 + 4 + 4);
  contents.key.files.reserve(files);
  contents.results.reserve(files);
  for (std::uint32_t i = 0; i < files; ++i) {
    SourceFile file;
    file.path = in.str("file path");
    file.size = in.u64("file size");
    file.mtime_ns = static_cast<std::int64_t>(in.u64("file time"));
    ChipResult result;
    const std::uint8_t status = in.u8("chip status");
    if (status > static_cast<std::uint8_t>(ChipStatus::kNoFace)) {
      in.fail("unknown chip status " + std::to_string(status) + " for " + file.path);
    }
    result.status = static_cast<ChipStatus>(status);
    result.faces_found = static_cast<int>(in.u32("face count"));
    result.message = in.str("message");
    if (result.status == ChipStatus::kOk) {
      // Checked before allocating, so a lying header cannot ask for more than the file holds.
      const std::size_t chip_bytes = static_cast<std::size_t>(width) * height * 3;
      if (chip_bytes > in.remaining()) {
        in.fail("truncated: the chip of " + file.path + " needs " + std::to_string(chip_bytes) +
                " bytes, " + std::to_string(in.remaining()) + " left");
      }
      result.chip = image::Image(width, height, 3);
      in.raw(result.chip.data(), chip_bytes, "chip pixels");
    }
    contents.key.files.push_back(std::move(file));
    contents.results.push_back(std::move(result));
  }
  if (in.remaining() != 0) {
    in.fail(std::to_string(in.remaining()) + " unexpected bytes after the last chip");
  }
  return contents;
}

}  // namespace fu::train
