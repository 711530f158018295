#include "train/face_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "base/byte_stream.h"
#include "base/error.h"
#include "base/file_envelope.h"
#include "train/data_test_support.h"
#include "train/face_dataset.h"

namespace fu::train {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& f) { return face::testing::error_of(f); }

FaceCacheContents sample_contents() {
  FaceCacheContents c;
  c.key.recipe.mode = DatasetMode::kPhotos;
  c.key.recipe.alignment = testing::small_template();
  c.key.recipe.detector_name = "colour-detector";
  c.key.recipe.detector_crc = 0xdeadbeef;
  c.key.recipe.detect.min_score = 0.75f;
  c.key.recipe.refine_keypoints = false;
  c.key.files = {
      {"a/x/1.png", 1234, 1700000000123456789}, {"a/x/2.png", 99, -5}, {"a/y/1.jpg", 0, 0}};
  ChipResult ok;
  ok.faces_found = 2;
  ok.chip = testing::uniform(32, 40, 1, 2, 3);
  ok.chip.at(31, 39, 2) = 77;
  ChipResult none;
  none.status = ChipStatus::kNoFace;
  none.message = "no face found";
  ChipResult bad;
  bad.status = ChipStatus::kUnreadable;
  bad.message = "cannot decode image (a/y/1.jpg): bad";
  c.results = {ok, none, bad};
  return c;
}

TEST(FaceCacheTest, RoundTrip) {
  TempDir dir;
  const FaceCacheContents written = sample_contents();
  write_face_cache(dir / "c.fuchips", written);
  EXPECT_FALSE(fs::exists(dir / "c.fuchips.tmp"));
  const FaceCacheContents read = read_face_cache(dir / "c.fuchips");
  EXPECT_EQ(recipe_difference(read.key.recipe, written.key.recipe), "");
  EXPECT_EQ(read.key.recipe.detector_crc, 0xdeadbeefu);
  EXPECT_EQ(read.key.recipe.detect.min_score, 0.75f);
  ASSERT_EQ(read.key.files.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(read.key.files[i].path, written.key.files[i].path);
    EXPECT_EQ(read.key.files[i].size, written.key.files[i].size);
    EXPECT_EQ(read.key.files[i].mtime_ns, written.key.files[i].mtime_ns);
    EXPECT_EQ(read.results[i].status, written.results[i].status);
    EXPECT_EQ(read.results[i].faces_found, written.results[i].faces_found);
    EXPECT_EQ(read.results[i].message, written.results[i].message);
    EXPECT_TRUE(testing::same_pixels(read.results[i].chip, written.results[i].chip)) << i;
  }
  EXPECT_TRUE(read.results[1].chip.empty());
}

TEST(FaceCacheTest, WriteRefusesInconsistentContents) {
  TempDir dir;
  FaceCacheContents c = sample_contents();
  c.results.pop_back();
  EXPECT_NE(error_of([&] { write_face_cache(dir / "c", c); }).find("2 results for 3 files"),
            std::string::npos);
  c = sample_contents();
  c.results[0].chip = image::Image(31, 40, 3);
  EXPECT_NE(error_of([&] {
              write_face_cache(dir / "c", c);
            }).find("the chip of a/x/1.png is 31x40x3, not 32x40x3"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "c"));
}

TEST(FaceCacheTest, RecipeDifferencesAreNamed) {
  const ChipRecipe a = sample_contents().key.recipe;
  ChipRecipe b = a;
  b.alignment.width = 64;
  EXPECT_EQ(recipe_difference(a, b), "the chip size differs (32x40 -> 64x40)");
  b = a;
  b.alignment.points[2].y += 0.5;
  EXPECT_EQ(recipe_difference(a, b), "the alignment template's keypoints differ");
  b = a;
  b.detector_crc = 1;
  EXPECT_NE(recipe_difference(a, b).find("the detector differs"), std::string::npos);
  b = a;
  b.detect.nms_iou = 0.4f;
  EXPECT_NE(recipe_difference(a, b).find("detection settings differ"), std::string::npos);
  b = a;
  b.refine_keypoints = true;
  EXPECT_EQ(recipe_difference(a, b), "keypoint refinement differs (off -> on)");
  b = a;
  b.mode = DatasetMode::kAligned;
  EXPECT_EQ(recipe_difference(a, b), "the mode differs (photos -> aligned)");
  // The aligned mode ignores keypoints and detector.
  ChipRecipe c = b;
  c.detector_crc = 7;
  c.alignment.points.clear();
  EXPECT_EQ(recipe_difference(b, c), "");
}

// Every strict prefix of a valid cache file and many single flipped bits: always a fu::Error
// naming the cache, never a crash or a wrong result.
TEST(FaceCacheTest, TruncatedOrFlippedFilesAreRefused) {
  TempDir dir;
  write_face_cache(dir / "good", sample_contents());
  const std::vector<std::uint8_t> bytes = testing::read_bytes(dir / "good");
  ASSERT_GT(bytes.size(), kEnvelopeHeaderSize);
  for (std::size_t size = 0; size < bytes.size(); size += (size < 64 ? 1 : 97)) {
    testing::write_bytes(dir / "cut",
                         std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + size));
    const std::string e = error_of([&] { read_face_cache(dir / "cut"); });
    EXPECT_EQ(e.rfind("cannot read face cache (" + (dir / "cut") + "): ", 0), 0u)
        << size << ": " << e;
  }
  for (std::size_t at = 0; at < bytes.size(); at += 13) {
    std::vector<std::uint8_t> flipped = bytes;
    flipped[at] ^= 0x10;
    testing::write_bytes(dir / "flip", flipped);
    EXPECT_NE(error_of([&] { read_face_cache(dir / "flip"); }), "") << "byte " << at;
  }
  EXPECT_NE(error_of([&] { read_face_cache(dir / "absent"); }).find("cannot read face cache"),
            std::string::npos);
}

// A body with a valid checksum that lies about its counts and sizes (a bug in a writer, or a
// hostile file): the reader checks each against the bytes that remain before allocating.
TEST(FaceCacheTest, LyingCountsAreRefusedBeforeAllocating) {
  TempDir dir;
  const char magic[8] = {'F', 'U', 'C', 'H', 'I', 'P', 'S', '\0'};
  const EnvelopeFormat format = {magic, kFaceCacheVersion, "face cache"};
  auto body_with = [](std::uint32_t width, std::uint32_t points, std::uint32_t files) {
    ByteWriter w;
    w.u8(0);
    w.u32(width);
    w.u32(40);
    w.u32(points);
    w.str("det");
    w.u32(1);
    w.f32(0.5f);
    w.f32(0.3f);
    w.u32(10);
    w.u8(1);
    w.u32(files);
    return w.bytes();
  };
  struct Case {
    std::vector<std::uint8_t> body;
    const char* expected;
  };
  std::vector<Case> cases = {{body_with(32, 0xffffffffu, 0), "template points"},
                             {body_with(32, 0, 0xffffffffu), "file count"},
                             {body_with(0, 0, 0), "chip size 0x40"},
                             {body_with(100000, 0, 0), "chip size 100000x40"}};
  // One file entry claiming a chip, with no pixels behind it.
  ByteWriter one;
  one.raw(body_with(32, 0, 1).data(), body_with(32, 0, 1).size());
  one.str("p");
  one.u64(1);
  one.u64(2);
  one.u8(0);
  one.u32(1);
  one.str("");
  cases.push_back({one.bytes(), "the chip of p needs 3840 bytes, 0 left"});
  ByteWriter status;
  status.raw(body_with(32, 0, 1).data(), body_with(32, 0, 1).size());
  status.str("p");
  status.u64(1);
  status.u64(2);
  status.u8(9);
  status.u32(0);  // enough bytes for the file count to pass its check
  status.str("");
  cases.push_back({status.bytes(), "unknown chip status 9"});
  std::vector<std::uint8_t> trailing = body_with(32, 0, 0);
  trailing.push_back(0);
  cases.push_back({trailing, "1 unexpected bytes"});
  for (const Case& c : cases) {
    write_file_atomically(dir / "lying", seal_envelope(format, c.body), "test file");
    const std::string e = error_of([&] { read_face_cache(dir / "lying"); });
    EXPECT_NE(e.find(c.expected), std::string::npos) << e;
  }
}

FaceDatasetOptions cached_options(const std::string& cache) {
  FaceDatasetOptions o;
  o.mode = DatasetMode::kPhotos;
  o.alignment = testing::small_template();
  o.detector = testing::colour_detector();
  o.backend = nn::Backend::kReference;
  o.refine_keypoints = false;
  o.cache_path = cache;
  return o;
}

void write_root(const std::string& root) {
  testing::write_png(root + "/alice/1.png", testing::one_face_photo());
  testing::write_png(root + "/alice/2.png", testing::uniform(128, 128, 180, 10, 10));
  testing::write_png(root + "/alice/3.png", testing::no_face_photo());
  testing::write_bytes(root + "/alice/4.jpg", {1, 2, 3, 4});
  testing::write_png(root + "/bob/1.png", testing::two_face_photo());
  testing::write_png(root + "/bob/2.png", testing::uniform(128, 128, 250, 100, 0));
}

void expect_same_dataset(const FaceDataset& a, const FaceDataset& b) {
  ASSERT_EQ(a.samples.size(), b.samples.size());
  ASSERT_EQ(a.identities.size(), b.identities.size());
  for (std::size_t i = 0; i < a.identities.size(); ++i) {
    EXPECT_EQ(a.identities[i].name, b.identities[i].name);
  }
  for (std::size_t i = 0; i < a.samples.size(); ++i) {
    EXPECT_EQ(a.samples[i].path, b.samples[i].path);
    EXPECT_EQ(a.samples[i].identity, b.samples[i].identity);
    EXPECT_TRUE(testing::same_pixels(a.samples[i].chip, b.samples[i].chip)) << i;
  }
  // The problems come back from the cache too, so the report does not change.
  EXPECT_EQ(a.summary.problem_count, b.summary.problem_count);
  EXPECT_EQ(a.summary.several_faces, b.summary.several_faces);
  EXPECT_EQ(a.summary.no_face, b.summary.no_face);
  EXPECT_EQ(a.summary.unreadable, b.summary.unreadable);
}

TEST(FaceCacheDatasetTest, SecondLoadReusesEverything) {
  TempDir dir;
  write_root(dir / "data");
  const FaceDatasetOptions o = cached_options(dir / "cache.fuchips");
  const FaceDataset first = load_face_dataset({dir / "data"}, o);
  EXPECT_EQ(first.summary.computed, 6u);
  EXPECT_EQ(first.summary.from_cache, 0u);
  EXPECT_NE(first.summary.cache_note.find("did not exist"), std::string::npos);
  ASSERT_TRUE(fs::exists(dir / "cache.fuchips"));
  const auto written = fs::last_write_time(dir / "cache.fuchips");

  const FaceDataset second = load_face_dataset({dir / "data"}, o);
  EXPECT_EQ(second.summary.computed, 0u);
  EXPECT_EQ(second.summary.from_cache, 6u);
  EXPECT_EQ(second.summary.cache_note,
            "face cache " + (dir / "cache.fuchips") + ": reused 6 of 6 images");
  expect_same_dataset(first, second);
  // Nothing changed, so nothing was rewritten.
  EXPECT_EQ(fs::last_write_time(dir / "cache.fuchips"), written);

  // The same data without a cache gives the same chips: the cache changes only the time.
  FaceDatasetOptions uncached = o;
  uncached.cache_path.clear();
  expect_same_dataset(first, load_face_dataset({dir / "data"}, uncached));
}

TEST(FaceCacheDatasetTest, ChangedFilesAreRedoneAndTheRestReused) {
  TempDir dir;
  write_root(dir / "data");
  const FaceDatasetOptions o = cached_options(dir / "cache.fuchips");
  load_face_dataset({dir / "data"}, o);

  // alice/3.png now shows a face: a new size, and a time stamp that differs for sure.
  testing::write_png(dir / "data/alice/3.png", testing::uniform(96, 96, 230, 0, 0));
  fs::last_write_time(dir / "data/alice/3.png",
                      fs::last_write_time(dir / "data/alice/3.png") + std::chrono::seconds(5));
  testing::write_png(dir / "data/carol/1.png", testing::one_face_photo());  // added
  fs::remove(dir / "data/bob/2.png");                                       // removed
  const FaceDataset d = load_face_dataset({dir / "data"}, o);
  EXPECT_EQ(d.summary.computed, 2u);
  EXPECT_EQ(d.summary.from_cache, 4u);
  EXPECT_NE(d.summary.cache_note.find("reused 4 of 6 images, updated it"), std::string::npos)
      << d.summary.cache_note;
  EXPECT_EQ(d.summary.no_face, 0u);
  ASSERT_EQ(d.identities.size(), 3u);
  EXPECT_EQ(d.identities[0].samples, 3u);
  EXPECT_EQ(d.samples[2].chip.at(0, 0, 0), 230);

  // The updated cache now matches exactly.
  const FaceDataset again = load_face_dataset({dir / "data"}, o);
  EXPECT_EQ(again.summary.from_cache, 6u);
  EXPECT_EQ(again.summary.computed, 0u);
  expect_same_dataset(d, again);
}

TEST(FaceCacheDatasetTest, AnotherRecipeRebuildsAndSaysWhy) {
  TempDir dir;
  write_root(dir / "data");
  FaceDatasetOptions o = cached_options(dir / "cache.fuchips");
  load_face_dataset({dir / "data"}, o);

  o.alignment = testing::dlib_template(48);
  const FaceDataset resized = load_face_dataset({dir / "data"}, o);
  EXPECT_EQ(resized.summary.computed, 6u);
  EXPECT_NE(resized.summary.cache_note.find("(the chip size differs (32x40 -> 48x48)): rebuilt it"),
            std::string::npos)
      << resized.summary.cache_note;
  EXPECT_EQ(resized.samples[0].chip.width(), 48);

  o.detect.min_score = 0.6f;
  const FaceDataset rescored = load_face_dataset({dir / "data"}, o);
  EXPECT_EQ(rescored.summary.computed, 6u);
  EXPECT_NE(rescored.summary.cache_note.find("detection settings differ"), std::string::npos);

  // Another detector model: same name, other weights, so only the checksum tells.
  auto other = std::make_shared<nn::Model>(*testing::colour_detector());
  other->metadata.provenance = "retrained";
  o.detector = other;
  const FaceDataset redetected = load_face_dataset({dir / "data"}, o);
  EXPECT_EQ(redetected.summary.computed, 6u);
  EXPECT_NE(redetected.summary.cache_note.find("the detector differs"), std::string::npos);

  FaceDatasetOptions aligned;
  aligned.mode = DatasetMode::kAligned;
  aligned.alignment = o.alignment;
  aligned.cache_path = o.cache_path;
  const FaceDataset crops = load_face_dataset({dir / "data"}, aligned);
  EXPECT_EQ(crops.summary.computed, 6u);
  EXPECT_NE(crops.summary.cache_note.find("the mode differs (photos -> aligned)"),
            std::string::npos);
  EXPECT_EQ(crops.samples.size(), 5u);  // every decodable file, face or not
}

TEST(FaceCacheDatasetTest, AlignedModeIgnoresDetectorSettings) {
  TempDir dir;
  write_root(dir / "data");
  FaceDatasetOptions o;
  o.mode = DatasetMode::kAligned;
  o.alignment.width = 20;
  o.alignment.height = 24;
  o.cache_path = dir / "crops.fuchips";
  const FaceDataset first = load_face_dataset({dir / "data"}, o);
  EXPECT_EQ(first.summary.computed, 6u);
  // None of these changes an aligned chip, so none may cost a rebuild.
  o.detector = testing::colour_detector();
  o.detect.min_score = 0.9f;
  o.refine_keypoints = false;
  o.alignment.keypoint_indices = {0, 1};
  o.alignment.points = {{1, 2}, {3, 4}};
  const FaceDataset second = load_face_dataset({dir / "data"}, o);
  EXPECT_EQ(second.summary.from_cache, 6u) << second.summary.cache_note;
  expect_same_dataset(first, second);
}

TEST(FaceCacheDatasetTest, CorruptCacheWarnsAndIsRebuilt) {
  TempDir dir;
  write_root(dir / "data");
  const std::string cache = dir / "cache.fuchips";
  const FaceDatasetOptions o = cached_options(cache);
  const FaceDataset reference = load_face_dataset({dir / "data"}, o);
  const std::vector<std::uint8_t> good = testing::read_bytes(cache);

  std::vector<std::vector<std::uint8_t>> damaged;
  for (std::size_t size : {std::size_t{0}, std::size_t{7}, std::size_t{31}, std::size_t{32},
                           std::size_t{45}, good.size() / 2, good.size() - 1}) {
    damaged.emplace_back(good.begin(), good.begin() + size);
  }
  for (std::size_t at : {std::size_t{0}, std::size_t{9}, std::size_t{20}, std::size_t{40},
                         good.size() / 3, good.size() - 1}) {
    damaged.push_back(good);
    damaged.back()[at] ^= 0xff;
  }
  std::vector<std::uint8_t> longer = good;
  longer.push_back(42);
  damaged.push_back(longer);
  for (std::size_t i = 0; i < damaged.size(); ++i) {
    testing::write_bytes(cache, damaged[i]);
    const FaceDataset d = load_face_dataset({dir / "data"}, o);
    EXPECT_EQ(d.summary.computed, 6u) << i;
    EXPECT_EQ(d.summary.cache_note.rfind("warning: cannot read face cache (" + cache + "): ", 0),
              0u)
        << i << ": " << d.summary.cache_note;
    EXPECT_NE(d.summary.cache_note.find("; rebuilt it"), std::string::npos);
    expect_same_dataset(reference, d);
    // Rebuilt means rewritten: the file is whole again.
    EXPECT_EQ(testing::read_bytes(cache), good) << i;
  }
}

TEST(FaceCacheDatasetTest, UnwritableCacheIsAWarningNotAFailure) {
  TempDir dir;
  write_root(dir / "data");
  const FaceDatasetOptions o = cached_options(dir / "no/such/folder/cache.fuchips");
  const FaceDataset d = load_face_dataset({dir / "data"}, o);
  EXPECT_EQ(d.samples.size(), 4u);
  EXPECT_NE(d.summary.cache_note.find("warning: cannot write face cache"), std::string::npos)
      << d.summary.cache_note;
  EXPECT_NE(d.summary.cache_note.find("training goes on without"), std::string::npos);
}

}  // namespace
}  // namespace fu::train
