#include "train/lfw_pairs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>

#include "base/error.h"

namespace fu::train {
namespace {

namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string parse_error(const std::string& text) {
  return error_of([&] { parse_lfw_pairs(text, "/data", "test.txt"); });
}

TEST(LfwPairs, ImagePathsHaveFourDigitNumbers) {
  EXPECT_EQ(lfw_image_path("/d", "George_W_Bush", 10), "/d/George_W_Bush/George_W_Bush_0010.jpg");
  EXPECT_EQ(lfw_image_path("r", "A", 1234), "r/A/A_1234.jpg");
}

TEST(LfwPairs, ParsesViewTwoFolds) {
  const std::string text =
      "2\t2\n"
      "Ann_A\t1\t4\nBob_B\t2\t3\n"
      "Ann_A\t1\tBob_B\t2\nCid_C 3   Dan_D 1\n"
      "Eve_E\t1\t2\nFay_F\t5\t12\n"
      "Eve_E\t1\tFay_F\t2\nGus_G\t1\tAnn_A\t2\n"
      "\n";
  const std::vector<LfwPair> pairs = parse_lfw_pairs(text, "/data", "small.txt");
  ASSERT_EQ(pairs.size(), 8u);
  EXPECT_TRUE(pairs[0].same);
  EXPECT_EQ(pairs[0].fold, 0);
  EXPECT_EQ(pairs[0].path_a, "/data/Ann_A/Ann_A_0001.jpg");
  EXPECT_EQ(pairs[0].path_b, "/data/Ann_A/Ann_A_0004.jpg");
  EXPECT_FALSE(pairs[3].same);
  EXPECT_EQ(pairs[3].name_a, "Cid_C");
  EXPECT_EQ(pairs[3].number_b, 1);
  EXPECT_EQ(pairs[3].path_b, "/data/Dan_D/Dan_D_0001.jpg");
  EXPECT_EQ(pairs[4].fold, 1);
  EXPECT_TRUE(pairs[5].same);
  EXPECT_EQ(pairs[5].path_b, "/data/Fay_F/Fay_F_0012.jpg");
  EXPECT_EQ(pairs[7].fold, 1);
  EXPECT_FALSE(pairs[7].same);
  EXPECT_EQ(
      lfw_pair_identities(pairs),
      (std::vector<std::string>{"Ann_A", "Bob_B", "Cid_C", "Dan_D", "Eve_E", "Fay_F", "Gus_G"}));
}

TEST(LfwPairs, ParsesViewOne) {
  const std::vector<LfwPair> pairs =
      parse_lfw_pairs("1\r\nAnn_A 1 2\r\nAnn_A 1 Bob_B 1\r\n", "root", "dev.txt");
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].fold, 0);
  EXPECT_EQ(pairs[1].fold, 0);
  EXPECT_EQ(pairs[1].path_b, "root/Bob_B/Bob_B_0001.jpg");
}

TEST(LfwPairs, MalformedLinesNameTheLine) {
  const std::string prefix = "cannot parse LFW pairs file (test.txt): ";
  EXPECT_EQ(parse_error(""), prefix + "line 1: the file is empty");
  EXPECT_EQ(
      parse_error("1 2 3\n"),
      prefix + "line 1: header has 3 fields, expected 'pairs per set' or 'sets pairs per set'");
  EXPECT_EQ(parse_error("x\n"),
            prefix + "line 1: pairs per set 'x' is not a whole number from 1 to 1000000");
  EXPECT_EQ(parse_error("1\nAnn 1 Bob 2\nAnn 1 Bob 2\n"),
            prefix + "line 2: set 1 matched pair 1 has 4 fields, expected 'name n1 n2'");
  EXPECT_EQ(parse_error("1\nAnn 1 2\nAnn 1 2\n"),
            prefix + "line 3: set 1 mismatched pair 1 has 3 fields, expected 'name1 n1 name2 n2'");
  EXPECT_EQ(parse_error("1\nAnn 1 x\nAnn 1 Bob 2\n"),
            prefix + "line 2: image number 'x' is not a whole number from 1 to 9999");
  EXPECT_EQ(parse_error("1\nAnn 1 0\nAnn 1 Bob 2\n"),
            prefix + "line 2: image number '0' is not a whole number from 1 to 9999");
  EXPECT_EQ(parse_error("1\nAnn 2 2\nAnn 1 Bob 2\n"),
            prefix + "line 2: matched pair compares image 2 with itself");
  EXPECT_EQ(parse_error("1\nAnn 1 2\nAnn 1 Ann 2\n"),
            prefix + "line 3: mismatched pair names one person twice (Ann)");
  EXPECT_EQ(parse_error("1\n../etc 1 2\nAnn 1 Bob 2\n"),
            prefix + "line 2: '../etc' is not a person's name");
  EXPECT_EQ(parse_error("2 1\nAnn 1 2\nAnn 1 Bob 2\n\n"),
            prefix +
                "line 5: file ends before set 2 matched pair 1 (the header announces 2 sets "
                "of 1 matched and 1 mismatched pairs)");
  EXPECT_EQ(parse_error("1\nAnn 1 2\nAnn 1 Bob 2\nCid 1 2\n"),
            prefix + "line 4: unexpected line after the 2 pairs the header announces");
  EXPECT_EQ(parse_error("100 1000000\n"), prefix + "line 1: announces more than 1000000 pairs");
  EXPECT_NE(error_of([] {
              read_lfw_pairs("/no/such/pairs.txt", "/data");
            }).find("cannot read LFW pairs file (/no/such/pairs.txt): "),
            std::string::npos);
}

TEST(LfwPairs, ListsIdentityImagesFromFolders) {
  char pattern[] = "/tmp/lfw_pairs_test_XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::string root = pattern;
  fs::create_directories(root + "/Ann_A");
  fs::create_directories(root + "/Bob_B");
  fs::create_directories(root + "/Empty_E");
  for (const char* f : {"Ann_A/Ann_A_0002.jpg", "Ann_A/Ann_A_0001.jpg", "Ann_A/notes.txt",
                        "Ann_A/Ann_A_00x1.jpg", "Bob_B/Bob_B_0010.jpg"}) {
    std::ofstream(root + "/" + f) << "x";
  }
  const std::vector<LabeledImage> images = list_identity_images(root, {"Ann_A", "Bob_B"});
  ASSERT_EQ(images.size(), 3u);
  EXPECT_EQ(images[0].path, root + "/Ann_A/Ann_A_0001.jpg");
  EXPECT_EQ(images[1].path, root + "/Ann_A/Ann_A_0002.jpg");
  EXPECT_EQ(images[2].path, root + "/Bob_B/Bob_B_0010.jpg");
  EXPECT_EQ(images[0].label, 0);
  EXPECT_EQ(images[2].label, 1);
  EXPECT_EQ(images[2].identity, "Bob_B");
  EXPECT_NE(error_of([&] { list_identity_images(root, {"Empty_E"}); }).find("no file named"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              list_identity_images(root, {"Nobody"});
            }).find("cannot list images of identity (" + root + "/Nobody)"),
            std::string::npos);
  fs::remove_all(root);
}

// The real protocol files, where the shared data sits beside the checkout.
class LfwProtocol : public ::testing::Test {
 protected:
  void SetUp() override {
    protocol_ = std::string(FACEUNLOCK_SHARED_DATA) + "/lfw-protocol";
    images_ = std::string(FACEUNLOCK_SHARED_DATA) + "/lfw";
    if (!fs::exists(protocol_ + "/pairs.txt") || !fs::is_directory(images_)) {
      GTEST_SKIP() << "LFW is not at " << FACEUNLOCK_SHARED_DATA
                   << " (lfw-protocol/ and lfw/); see ../shared/data/README.md";
    }
  }

  static void expect_images_exist(const std::vector<LfwPair>& pairs) {
    std::size_t missing = 0;
    for (const LfwPair& p : pairs) {
      for (const std::string* path : {&p.path_a, &p.path_b}) {
        if (!fs::exists(*path) && ++missing <= 5) ADD_FAILURE() << "missing " << *path;
      }
    }
    EXPECT_EQ(missing, 0u);
  }

  std::string protocol_;
  std::string images_;
};

TEST_F(LfwProtocol, ViewTwoHasTenFoldsOf600) {
  const std::vector<LfwPair> pairs = read_lfw_pairs(protocol_ + "/pairs.txt", images_);
  ASSERT_EQ(pairs.size(), 6000u);
  std::size_t same = 0;
  std::vector<std::size_t> per_fold(10, 0);
  for (const LfwPair& p : pairs) {
    same += p.same;
    ASSERT_GE(p.fold, 0);
    ASSERT_LT(p.fold, 10);
    ++per_fold[p.fold];
  }
  EXPECT_EQ(same, 3000u);
  for (std::size_t n : per_fold) EXPECT_EQ(n, 600u);
  expect_images_exist(pairs);
  // README: 4,281 View-2 identities.
  EXPECT_EQ(lfw_pair_identities(pairs).size(), 4281u);
}

TEST_F(LfwProtocol, ViewOneFiles) {
  const std::vector<LfwPair> train = read_lfw_pairs(protocol_ + "/pairsDevTrain.txt", images_);
  EXPECT_EQ(train.size(), 2200u);
  expect_images_exist(train);
  const std::vector<LfwPair> test = read_lfw_pairs(protocol_ + "/pairsDevTest.txt", images_);
  EXPECT_EQ(test.size(), 1000u);
  expect_images_exist(test);
}

TEST_F(LfwProtocol, ListsTheViewTwoIdentitiesImages) {
  const std::vector<LfwPair> pairs = read_lfw_pairs(protocol_ + "/pairs.txt", images_);
  const std::vector<LabeledImage> images =
      list_identity_images(images_, lfw_pair_identities(pairs));
  std::set<std::string> paths;
  for (const LabeledImage& image : images) paths.insert(image.path);
  EXPECT_EQ(paths.size(), images.size());
  for (const LfwPair& p : pairs) {
    EXPECT_TRUE(paths.count(p.path_a) && paths.count(p.path_b)) << p.path_a << " " << p.path_b;
  }
  std::printf("[   INFO   ] View 2 names %zu identities with %zu images\n",
              lfw_pair_identities(pairs).size(), images.size());
}

}  // namespace
}  // namespace fu::train
