#include "train/face_dataset.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>

#include "base/error.h"
#include "image/convert.h"
#include "image/decode.h"
#include "image/resize.h"
#include "train/data_test_support.h"

namespace fu::train {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& f) { return face::testing::error_of(f); }

FaceDatasetOptions photo_options() {
  FaceDatasetOptions o;
  o.mode = DatasetMode::kPhotos;
  o.alignment = testing::small_template();
  o.detector = testing::colour_detector();
  o.backend = nn::Backend::kReference;
  // The colour detector reports the same face wherever it looks, so refining on a crop would
  // move it; refinement is exercised by the att-faces test with the real detector.
  o.refine_keypoints = false;
  return o;
}

// One root with every kind of trouble:
//   alice/  one.png (1 face) two.png (2 faces) none.png (no face) broken.jpg (not an image)
//           truncated.png notes.txt
//   bob/    a.png  b.pgm (grey: all channels 200 -> two faces)
//   carol/  single.png            (one usable photo)
//   dave/   dark.png              (no usable photo)
//   eve/    (empty)
//   loose.png, README.txt         (outside identity folders)
void write_messy_root(const std::string& root) {
  testing::write_png(root + "/alice/one.png", testing::one_face_photo());
  testing::write_png(root + "/alice/two.png", testing::two_face_photo());
  testing::write_png(root + "/alice/none.png", testing::no_face_photo());
  testing::write_bytes(root + "/alice/broken.jpg", {'n', 'o', 't', ' ', 'a', ' ', 'j', 'p', 'g'});
  std::vector<std::uint8_t> png = image::encode_png(testing::one_face_photo());
  png.resize(png.size() / 2);
  testing::write_bytes(root + "/alice/truncated.png", png);
  testing::write_bytes(root + "/alice/notes.txt", {'h', 'i'});
  testing::write_png(root + "/bob/a.png", testing::one_face_photo());
  testing::write_pgm(root + "/bob/b.pgm", image::Image(128, 128, 1, 200));
  testing::write_png(root + "/carol/single.png", testing::one_face_photo());
  testing::write_png(root + "/dave/dark.png", testing::no_face_photo());
  fs::create_directories(root + "/eve");
  testing::write_png(root + "/loose.png", testing::one_face_photo());
  testing::write_bytes(root + "/README.txt", {'r'});
}

int count_kind(const DatasetSummary& s, ProblemKind kind) {
  int n = 0;
  for (const DatasetProblem& p : s.problems) n += p.kind == kind;
  return n;
}

TEST(FaceDatasetTest, PhotosModeSkipsAndCountsBadData) {
  TempDir dir;
  write_messy_root(dir / "data");
  const FaceDataset d = load_face_dataset({dir / "data"}, photo_options());

  ASSERT_EQ(d.identities.size(), 3u);  // dave and eve have nothing usable
  EXPECT_EQ(d.identities[0].name, "alice");
  EXPECT_EQ(d.identities[1].name, "bob");
  EXPECT_EQ(d.identities[2].name, "carol");
  EXPECT_EQ(d.identities[0].samples, 2u);
  EXPECT_EQ(d.identities[1].samples, 2u);
  EXPECT_EQ(d.identities[2].samples, 1u);
  ASSERT_EQ(d.samples.size(), 5u);
  EXPECT_EQ(d.samples[0].path, dir / "data/alice/one.png");
  EXPECT_EQ(d.samples[1].path, dir / "data/alice/two.png");
  EXPECT_EQ(d.samples[3].path, dir / "data/bob/b.pgm");
  EXPECT_EQ(d.sample_identities(), (std::vector<int>{0, 0, 1, 1, 2}));
  EXPECT_EQ(d.chip_width, 32);
  EXPECT_EQ(d.chip_height, 40);
  for (const FaceSample& s : d.samples) {
    EXPECT_EQ(s.chip.width(), 32);
    EXPECT_EQ(s.chip.height(), 40);
    EXPECT_EQ(s.chip.channels(), 3);
  }
  // A uniform photo aligns to a chip of its colour; the grey PGM becomes RGB.
  EXPECT_EQ(d.samples[0].chip.at(16, 20, 0), 200);
  EXPECT_EQ(d.samples[0].chip.at(16, 20, 1), 40);
  EXPECT_EQ(d.samples[0].chip.at(16, 20, 2), 90);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(d.samples[3].chip.at(3, 5, c), 200);

  const DatasetSummary& s = d.summary;
  EXPECT_EQ(s.roots, 1u);
  EXPECT_EQ(s.identity_folders, 5u);
  EXPECT_EQ(s.image_files, 9u);
  EXPECT_EQ(s.samples, 5u);
  EXPECT_EQ(s.identities, 3u);
  EXPECT_EQ(s.unreadable, 2u);
  EXPECT_EQ(s.no_face, 2u);
  EXPECT_EQ(s.several_faces, 2u);  // two.png and the bright grey b.pgm
  EXPECT_EQ(s.single_sample_identities, 1u);
  EXPECT_EQ(s.empty_identities, 2u);
  EXPECT_EQ(s.ignored_files, 3u);  // notes.txt, README.txt, loose.png
  EXPECT_EQ(s.computed, 9u);
  EXPECT_EQ(s.from_cache, 0u);
  EXPECT_TRUE(s.cache_note.empty());
  EXPECT_EQ(s.problem_count, 10u);
  ASSERT_EQ(s.problems.size(), 10u);
  EXPECT_EQ(count_kind(s, ProblemKind::kUnreadable), 2);
  EXPECT_EQ(count_kind(s, ProblemKind::kNoFace), 2);
  EXPECT_EQ(count_kind(s, ProblemKind::kSeveralFaces), 2);
  EXPECT_EQ(count_kind(s, ProblemKind::kSingleSample), 1);
  EXPECT_EQ(count_kind(s, ProblemKind::kEmptyIdentity), 2);
  EXPECT_EQ(count_kind(s, ProblemKind::kOutsideFolders), 1);
  // In file order, each with its path and a reason.
  EXPECT_EQ(s.problems[0].kind, ProblemKind::kOutsideFolders);
  EXPECT_EQ(s.problems[0].path, dir / "data/loose.png");
  EXPECT_EQ(s.problems[1].kind, ProblemKind::kUnreadable);
  EXPECT_EQ(s.problems[1].path, dir / "data/alice/broken.jpg");
  EXPECT_NE(s.problems[1].message.find("cannot decode image"), std::string::npos);
  EXPECT_EQ(s.problems[2].path, dir / "data/alice/none.png");
  EXPECT_NE(s.problems[2].message.find("no face found"), std::string::npos);
  EXPECT_EQ(s.problems[3].path, dir / "data/alice/truncated.png");
  EXPECT_EQ(s.problems[4].kind, ProblemKind::kSeveralFaces);
  EXPECT_EQ(s.problems[4].message, "2 faces found: the most prominent (largest) was used");
  EXPECT_EQ(s.problems[9].kind, ProblemKind::kEmptyIdentity);
  EXPECT_EQ(s.problems[9].path, dir / "data/eve");
  for (const DatasetProblem& p : s.problems) EXPECT_FALSE(p.message.empty()) << p.path;

  const std::string text = s.text();
  EXPECT_NE(text.find("5 samples of 3 identities"), std::string::npos) << text;
  EXPECT_NE(text.find("broken.jpg"), std::string::npos) << text;
}

TEST(FaceDatasetTest, KeepsTheFirstProblemsOfEachKindButCountsAll) {
  TempDir dir;
  write_messy_root(dir / "data");
  FaceDatasetOptions o = photo_options();
  o.max_problems = 1;
  const FaceDataset d = load_face_dataset({dir / "data"}, o);
  ASSERT_EQ(d.summary.problems.size(), 6u);  // one of each kind
  EXPECT_EQ(d.summary.problem_count, 10u);
  EXPECT_EQ(d.summary.problems[1].path, dir / "data/alice/broken.jpg");
  EXPECT_EQ(d.summary.problems[2].path, dir / "data/alice/none.png");
  EXPECT_EQ(d.summary.problems[3].path, dir / "data/alice/two.png");
  for (ProblemKind kind :
       {ProblemKind::kUnreadable, ProblemKind::kNoFace, ProblemKind::kSeveralFaces,
        ProblemKind::kSingleSample, ProblemKind::kEmptyIdentity, ProblemKind::kOutsideFolders}) {
    EXPECT_EQ(count_kind(d.summary, kind), 1) << problem_kind_name(kind);
  }
  o.max_problems = 0;
  EXPECT_TRUE(load_face_dataset({dir / "data"}, o).summary.problems.empty());
}

TEST(FaceDatasetTest, IdsAreDenseAcrossRootsAndCollidingNamesArePrefixed) {
  TempDir dir;
  for (const char* id : {"s1", "s2"}) {
    testing::write_png(dir / (std::string("a/") + id + "/1.png"), testing::one_face_photo());
    testing::write_png(dir / (std::string("a/") + id + "/2.png"), testing::one_face_photo());
  }
  for (const char* id : {"s1", "t9"}) {
    testing::write_png(dir / (std::string("b/") + id + "/1.png"), testing::one_face_photo());
  }
  // The trailing slash does not make another root name.
  const FaceDataset d = load_face_dataset({dir / "a", dir / "b/"}, photo_options());
  ASSERT_EQ(d.identities.size(), 4u);
  EXPECT_EQ(d.identities[0].name, dir / "a/s1");
  EXPECT_EQ(d.identities[1].name, "s2");
  EXPECT_EQ(d.identities[2].name, dir / "b/s1");
  EXPECT_EQ(d.identities[3].name, "t9");
  EXPECT_EQ(d.identities[3].root, dir / "b");
  EXPECT_EQ(d.sample_identities(), (std::vector<int>{0, 0, 1, 1, 2, 3}));
  EXPECT_EQ(d.summary.roots, 2u);
  EXPECT_EQ(d.summary.single_sample_identities, 2u);
}

TEST(FaceDatasetTest, RefusesWhatTheUserMustFix) {
  TempDir dir;
  const FaceDatasetOptions o = photo_options();
  EXPECT_NE(error_of([&] { load_face_dataset({}, o); }).find("at least one --data"),
            std::string::npos);

  const std::string missing = error_of([&] { load_face_dataset({dir / "nope"}, o); });
  EXPECT_EQ(missing, "cannot load training data (" + (dir / "nope") + "): no such folder");

  testing::write_png(dir / "file.png", testing::one_face_photo());
  EXPECT_NE(error_of([&] { load_face_dataset({dir / "file.png"}, o); }).find("not a folder"),
            std::string::npos);

  // Photos straight in the root: the user pointed at one person's folder, or a flat folder.
  testing::write_png(dir / "flat/1.png", testing::one_face_photo());
  testing::write_png(dir / "flat/2.png", testing::one_face_photo());
  const std::string flat = error_of([&] { load_face_dataset({dir / "flat"}, o); });
  EXPECT_NE(flat.find("cannot load training data (" + (dir / "flat") + "): no identity folders"),
            std::string::npos)
      << flat;
  EXPECT_NE(flat.find("its 2 images lie directly in it"), std::string::npos) << flat;

  testing::write_png(dir / "twice/alice/1.png", testing::one_face_photo());
  EXPECT_EQ(error_of([&] {
              load_face_dataset({dir / "twice", dir / "twice/../twice/"}, o);
            }),
            "cannot load training data (" + (dir / "twice/../twice") + "): given twice (also as " +
                (dir / "twice") + ")");

  fs::create_directories(dir / "hollow/alice");
  testing::write_bytes(dir / "hollow/alice/notes.txt", {'x'});
  EXPECT_NE(error_of([&] { load_face_dataset({dir / "hollow"}, o); }).find("hold no image files"),
            std::string::npos);

  // One good root does not excuse a useless one: the user named it for a reason.
  testing::write_png(dir / "good/alice/1.png", testing::one_face_photo());
  testing::write_png(dir / "dark/alice/1.png", testing::no_face_photo());
  testing::write_bytes(dir / "dark/bob/1.jpg", {1, 2, 3});
  const std::string dark = error_of([&] { load_face_dataset({dir / "good", dir / "dark"}, o); });
  EXPECT_NE(dark.find("cannot load training data (" + (dir / "dark") +
                      "): none of its 2 images gave a usable face; first: "),
            std::string::npos)
      << dark;
  EXPECT_NE(dark.find("no face found"), std::string::npos) << dark;
}

TEST(FaceDatasetTest, RefusesOptionsThatCannotMakeChips) {
  TempDir dir;
  testing::write_png(dir / "data/alice/1.png", testing::one_face_photo());
  FaceDatasetOptions o = photo_options();
  o.detector = nullptr;
  EXPECT_EQ(error_of([&] { load_face_dataset({dir / "data"}, o); }),
            "cannot load training data (photos mode): no detector model given");
  o = photo_options();
  o.alignment.keypoint_indices = {0, 1, 6};
  EXPECT_NE(error_of([&] {
              load_face_dataset({dir / "data"}, o);
            }).find("uses keypoint 6, the detector has 6"),
            std::string::npos);
  o = photo_options();
  o.alignment.points.pop_back();
  EXPECT_NE(error_of([&] { load_face_dataset({dir / "data"}, o); }).find("3 keypoint indices"),
            std::string::npos);
  o = photo_options();
  o.alignment.width = 0;
  EXPECT_NE(error_of([&] { load_face_dataset({dir / "data"}, o); }).find("chip size 0x40"),
            std::string::npos);
  // A model that is not a detector is refused by FaceDetector, with its own message.
  o = photo_options();
  o.detector = face::testing::fake_embedder();
  EXPECT_NE(error_of([&] {
              load_face_dataset({dir / "data"}, o);
            }).find("cannot use model as a face detector"),
            std::string::npos);
}

TEST(FaceDatasetTest, AlignedModeResizesAndConvertsToRgb) {
  TempDir dir;
  image::Image grey(92, 112, 1);
  for (int y = 0; y < 112; ++y) {
    for (int x = 0; x < 92; ++x) grey.at(x, y, 0) = static_cast<std::uint8_t>((x * 2 + y) % 256);
  }
  testing::write_pgm(dir / "att/s1/1.pgm", grey);
  image::Image colour = testing::uniform(32, 40, 10, 20, 30);
  colour.at(5, 7, 1) = 250;
  testing::write_png(dir / "att/s1/2.png", colour);
  testing::write_bytes(dir / "att/s1/3.bmp", {'B', 'M', 0});

  FaceDatasetOptions o;
  o.mode = DatasetMode::kAligned;
  o.alignment.width = 32;  // aligned mode needs only the size
  o.alignment.height = 40;
  const FaceDataset d = load_face_dataset({dir / "att"}, o);
  ASSERT_EQ(d.samples.size(), 2u);
  EXPECT_TRUE(testing::same_pixels(d.samples[0].chip,
                                   image::resize_bilinear(image::grey_to_rgb(grey), 32, 40)));
  // Already the template's size: used exactly as it is.
  EXPECT_TRUE(testing::same_pixels(d.samples[1].chip, colour));
  EXPECT_EQ(d.summary.unreadable, 1u);
  EXPECT_EQ(d.summary.several_faces, 0u);
}

TEST(FaceDatasetTest, ThreadsChangeNothingButTheTime) {
  TempDir dir;
  write_messy_root(dir / "data");
  for (int i = 0; i < 12; ++i) {
    // Different colours, all with a face, so that a mix-up between files would show.
    testing::write_png(dir / ("data/frank/" + std::to_string(i) + ".png"),
                       testing::uniform(128, 128, 200, static_cast<std::uint8_t>(i * 9), 90));
  }
  FaceDatasetOptions o = photo_options();
  const FaceDataset one = load_face_dataset({dir / "data"}, o);
  o.jobs = 3;
  std::atomic<std::size_t> calls{0};
  std::atomic<std::size_t> last_total{0};
  o.progress = [&](std::size_t, std::size_t total) {
    ++calls;
    last_total = total;
  };
  const FaceDataset three = load_face_dataset({dir / "data"}, o);
  EXPECT_EQ(calls.load(), 21u);
  EXPECT_EQ(last_total.load(), 21u);
  ASSERT_EQ(one.samples.size(), three.samples.size());
  for (std::size_t i = 0; i < one.samples.size(); ++i) {
    EXPECT_EQ(one.samples[i].path, three.samples[i].path);
    EXPECT_EQ(one.samples[i].identity, three.samples[i].identity);
    EXPECT_TRUE(testing::same_pixels(one.samples[i].chip, three.samples[i].chip)) << i;
  }
  EXPECT_EQ(one.summary.text(), three.summary.text());
  o.jobs = -4;  // read as 1, not as a huge thread count
  o.progress = nullptr;
  EXPECT_EQ(load_face_dataset({dir / "data"}, o).samples.size(), one.samples.size());
}

// The real detector on the AT&T faces: 40 people x 10 grey 92x112 photos.
class AttFacesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::shared_data_dir() + "/att-faces";
    detector_path_ = face::testing::models_dir() + "/blazeface-short.fum";
    if (!fs::exists(root_ + "/s1/1.pgm")) {
      GTEST_SKIP() << "att-faces is not at " << root_ << " (../shared/data is absent)";
    }
    if (!fs::exists(detector_path_)) GTEST_SKIP() << detector_path_ << " is absent";
  }
  std::string root_;
  std::string detector_path_;
};

TEST_F(AttFacesTest, PhotosModeFindsTheFacesAndTheCacheMakesTheSecondLoadFast) {
  TempDir dir;
  FaceDatasetOptions o;
  o.mode = DatasetMode::kPhotos;
  o.alignment = testing::dlib_template(64);
  o.detector = std::make_shared<const nn::Model>(nn::load_model(detector_path_));
  o.jobs = 2;
  o.cache_path = dir / "att.fuchips";
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const FaceDataset d = load_face_dataset({root_}, o);
  const double first_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("%s", d.summary.text().c_str());
  EXPECT_EQ(d.summary.image_files, 400u);
  EXPECT_EQ(d.summary.identity_folders, 40u);
  EXPECT_EQ(d.summary.unreadable, 0u);
  // Frontal lab photos: nearly every one has a face; no person loses all ten.
  EXPECT_GE(d.samples.size(), 380u);
  EXPECT_EQ(d.identities.size(), 40u);
  EXPECT_EQ(d.identities[0].name, "s1");

  const Clock::time_point again = Clock::now();
  const FaceDataset cached = load_face_dataset({root_}, o);
  const double second_s = std::chrono::duration<double>(Clock::now() - again).count();
  std::printf("att-faces photos mode, 2 jobs: %.2f s; again from the cache: %.3f s\n", first_s,
              second_s);
  EXPECT_EQ(cached.summary.from_cache, 400u);
  EXPECT_EQ(cached.summary.computed, 0u);
  ASSERT_EQ(cached.samples.size(), d.samples.size());
  for (std::size_t i = 0; i < d.samples.size(); ++i) {
    ASSERT_TRUE(testing::same_pixels(d.samples[i].chip, cached.samples[i].chip)) << i;
  }
  EXPECT_LT(second_s, first_s);
}

TEST_F(AttFacesTest, AlignedModeUsesEveryPhoto) {
  FaceDatasetOptions o;
  o.mode = DatasetMode::kAligned;
  o.alignment.width = 46;
  o.alignment.height = 56;
  const FaceDataset d = load_face_dataset({root_}, o);
  EXPECT_EQ(d.samples.size(), 400u);
  EXPECT_EQ(d.identities.size(), 40u);
  EXPECT_EQ(d.summary.problem_count, 0u);
  const std::vector<int> labels = d.sample_identities();
  const std::set<int> ids(labels.begin(), labels.end());
  EXPECT_EQ(ids.size(), 40u);
  EXPECT_EQ(*ids.rbegin(), 39);
}

// A measurement, not a check run by default (10,000 JPEGs):
//   build/tests/train_tests --gtest_also_run_disabled_tests --gtest_filter='*CelebA*'
TEST(CelebATest, DISABLED_AlignedModeLoadTime) {
  const std::string root = testing::shared_data_dir() + "/celeba-align-10k";
  if (!fs::exists(root)) GTEST_SKIP() << root << " is absent";
  FaceDatasetOptions o;
  o.mode = DatasetMode::kAligned;
  o.alignment = testing::dlib_template(112);
  o.jobs = 2;
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const FaceDataset d = load_face_dataset({root}, o);
  std::printf("%scelebA aligned mode, 2 jobs: %.2f s\n", d.summary.text().c_str(),
              std::chrono::duration<double>(Clock::now() - start).count());
  EXPECT_EQ(d.summary.image_files, 10000u);
  EXPECT_EQ(d.identities.size(), 5429u);
}

// The same crops through the unlock path's detector and aligner (what a model that will see
// BlazeFace-aligned faces should train on), with the cache's second load:
//   build/tests/train_tests --gtest_also_run_disabled_tests --gtest_filter='*CelebA*Photos*'
TEST(CelebATest, DISABLED_PhotosModeLoadTime) {
  const std::string root = testing::shared_data_dir() + "/celeba-align-10k";
  const std::string detector = face::testing::models_dir() + "/blazeface-short.fum";
  if (!fs::exists(root) || !fs::exists(detector))
    GTEST_SKIP() << root << " or the detector is absent";
  TempDir dir;
  FaceDatasetOptions o;
  o.mode = DatasetMode::kPhotos;
  o.alignment = testing::dlib_template(112);
  o.detector = std::make_shared<const nn::Model>(nn::load_model(detector));
  o.jobs = 2;
  o.cache_path = dir / "celeba.fuchips";
  o.max_problems = 5;
  using Clock = std::chrono::steady_clock;
  Clock::time_point start = Clock::now();
  const FaceDataset d = load_face_dataset({root}, o);
  const double first_s = std::chrono::duration<double>(Clock::now() - start).count();
  start = Clock::now();
  const FaceDataset again = load_face_dataset({root}, o);
  const double second_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("%scelebA photos mode, 2 jobs: %.1f s; from the cache (%.0f MB): %.2f s\n",
              d.summary.text().c_str(), first_s, fs::file_size(o.cache_path) / 1e6, second_s);
  EXPECT_EQ(d.summary.image_files, 10000u);
  EXPECT_EQ(again.summary.from_cache, 10000u);
}

}  // namespace
}  // namespace fu::train
