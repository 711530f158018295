#include "unlock/gallery.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "base/crc32.h"
#include "base/error.h"
#include "unlock/embedder_identity.h"
#include "unlock/similarity.h"

// Records the largest single allocation while a test asks for it, to show that the reader never
// allocates what a hostile count claims.
namespace {
bool g_track_allocations = false;
std::size_t g_largest_allocation = 0;
}  // namespace

void* operator new(std::size_t size) {
  if (g_track_allocations && size > g_largest_allocation) g_largest_allocation = size;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return operator new(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
// Out of line, or GCC inlines free() next to a call of operator new and warns of a mismatch.
// The array and nothrow forms are replaced too, so that no allocation pairs another allocator's
// new with this free (AddressSanitizer reports that).
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace fu::unlock {
namespace {

constexpr std::size_t kDim = 128;
constexpr std::size_t kHeaderSize = 32;

std::vector<float> random_unit(std::mt19937& rng, std::size_t dim = kDim) {
  std::normal_distribution<float> normal;
  std::vector<float> v(dim);
  for (float& x : v) x = normal(rng);
  return l2_normalized(v);
}

// A different photo of the same face: the identity's vector plus a little noise (cosine about
// 0.97 at 128 dimensions).
std::vector<float> near(const std::vector<float>& v, std::mt19937& rng, float sigma = 0.02f) {
  std::normal_distribution<float> normal(0.0f, sigma);
  std::vector<float> out = v;
  for (float& x : out) x += normal(rng);
  return l2_normalized(out);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string parse_error(const std::vector<std::uint8_t>& bytes) {
  return error_of([&] { Gallery::parse(bytes.data(), bytes.size(), "test.fug"); });
}

void fix_checksum(std::vector<std::uint8_t>& bytes) {
  const std::uint32_t crc = crc32(bytes.data() + kHeaderSize, bytes.size() - kHeaderSize);
  for (int i = 0; i < 4; ++i) bytes[24 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
}

void fix_body_size(std::vector<std::uint8_t>& bytes) {
  const std::uint64_t body = bytes.size() - kHeaderSize;
  for (int i = 0; i < 8; ++i) bytes[16 + i] = static_cast<std::uint8_t>(body >> (8 * i));
}

void put_u32(std::vector<std::uint8_t>& bytes, std::size_t offset, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes[offset + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

struct Population {
  std::vector<std::string> names;
  std::vector<std::vector<float>> identities;
  Gallery gallery;
};

Population enrolled_population(std::mt19937& rng, std::size_t users = 10,
                               std::size_t templates = 3) {
  Population p;
  for (std::size_t u = 0; u < users; ++u) {
    p.names.push_back("user" + std::to_string(u));
    p.identities.push_back(random_unit(rng));
    for (std::size_t t = 0; t < templates; ++t) {
      p.gallery.enroll(p.names.back(), near(p.identities.back(), rng));
    }
  }
  return p;
}

TEST(Gallery, VerifiesTheRightUserAndRejectsOthers) {
  std::mt19937 rng(1);
  Population p = enrolled_population(rng);
  const std::vector<float> probe = near(p.identities[3], rng);
  const Decision yes = p.gallery.verify("user3", probe, 0.6f);
  EXPECT_TRUE(yes.accepted);
  EXPECT_EQ(yes.user, "user3");
  EXPECT_GT(yes.score, 0.9f);
  EXPECT_LE(yes.score, 1.0f);
  EXPECT_EQ(yes.threshold, 0.6f);
  const Decision no = p.gallery.verify("user4", probe, 0.6f);
  EXPECT_FALSE(no.accepted);
  EXPECT_LT(no.score, 0.5f);
  // Accepted exactly at the threshold.
  EXPECT_TRUE(p.gallery.verify("user3", probe, yes.score).accepted);
}

TEST(Gallery, VerifyScoreIsTheBestTemplate) {
  Gallery g(2);
  g.enroll("ann", {1.0f, 0.0f});
  g.enroll("ann", {0.0f, 1.0f});
  EXPECT_FLOAT_EQ(g.verify("ann", {0.0f, 2.0f}, 0.5f).score, 1.0f);
  EXPECT_NEAR(g.verify("ann", {1.0f, 1.0f}, 0.5f).score, std::sqrt(0.5f), 1e-6f);
}

TEST(Gallery, IdentifiesAndRanksBestPerUser) {
  std::mt19937 rng(2);
  Population p = enrolled_population(rng);
  const std::vector<float> probe = near(p.identities[7], rng);
  const Identification id = p.gallery.identify(probe, 0.6f, 4);
  EXPECT_TRUE(id.best.accepted);
  EXPECT_EQ(id.best.user, "user7");
  ASSERT_EQ(id.ranking.size(), 4u);
  EXPECT_EQ(id.ranking[0].user, "user7");
  EXPECT_EQ(id.ranking[0].score, id.best.score);
  for (std::size_t i = 0; i < id.ranking.size(); ++i) {
    if (i > 0) {
      EXPECT_GE(id.ranking[i - 1].score, id.ranking[i].score);
    }
    // A ranked score is that user's best-template score, as 1:1 verification reports it.
    EXPECT_EQ(id.ranking[i].score, p.gallery.verify(id.ranking[i].user, probe, 0.6f).score);
  }
  EXPECT_EQ(p.gallery.identify(p.identities[0], 0.6f, 100).ranking.size(), 10u);
  EXPECT_TRUE(p.gallery.identify(p.identities[0], 0.6f, 0).ranking.empty());

  const Identification stranger = p.gallery.identify(random_unit(rng), 0.6f);
  EXPECT_FALSE(stranger.best.accepted);
  EXPECT_FALSE(stranger.best.user.empty());
}

TEST(Gallery, IdentifyOnEmptyGalleryRejects) {
  Gallery g;
  const Identification id = g.identify({1.0f, 2.0f}, 0.5f);
  EXPECT_FALSE(id.best.accepted);
  EXPECT_TRUE(id.best.user.empty());
  EXPECT_EQ(id.best.score, -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(id.ranking.empty());
}

TEST(Gallery, UnknownUserAndBadThresholdAreErrors) {
  std::mt19937 rng(3);
  Population p = enrolled_population(rng, 2, 1);
  EXPECT_EQ(error_of([&] { p.gallery.verify("nobody", p.identities[0], 0.5f); }),
            "cannot verify user (nobody): not enrolled");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(error_of([&] {
              p.gallery.verify("user0", p.identities[0], nan);
            }).find("threshold nan is not a finite number"),
            std::string::npos);
  EXPECT_THROW(p.gallery.identify(p.identities[0], std::numeric_limits<float>::infinity()), Error);
}

TEST(Gallery, DimensionIsFixedAndChecked) {
  Gallery g;
  EXPECT_EQ(g.dimension(), 0u);
  EXPECT_THROW(g.enroll("ann", {0.0f, 0.0f, 0.0f, 0.0f}), Error);
  EXPECT_EQ(g.dimension(), 0u) << "a failed first enrollment must not fix the dimension";
  g.enroll("ann", {1.0f, 2.0f, 3.0f, 4.0f});
  EXPECT_EQ(g.dimension(), 4u);
  EXPECT_EQ(error_of([&] {
              g.enroll("bob", {1.0f, 2.0f, 3.0f});
            }),
            "cannot enroll user (bob): embedding has 3 values, the gallery holds 4-value "
            "templates");
  EXPECT_EQ(error_of([&] {
              g.verify("ann", {1.0f, 2.0f, 3.0f, 4.0f, 5.0f}, 0.5f);
            }),
            "cannot verify user (ann): embedding has 5 values, the gallery holds 4-value "
            "templates");
  EXPECT_THROW(g.identify({1.0f}, 0.5f), Error);
  EXPECT_THROW(g.enroll("bob", {1.0f, std::numeric_limits<float>::quiet_NaN(), 0.0f, 0.0f}), Error);
  EXPECT_FALSE(g.has_user("bob"));
  g.clear();
  EXPECT_EQ(g.dimension(), 4u) << "the gallery stays bound to its embedder";

  EXPECT_THROW(Gallery(0), Error);
  EXPECT_THROW(Gallery(kMaxEmbeddingDimension + 1), Error);
  Gallery fixed(8);
  EXPECT_THROW(fixed.enroll("ann", {1.0f, 0.0f}), Error);
  Gallery unbounded;
  EXPECT_THROW(unbounded.enroll("ann", std::vector<float>(kMaxEmbeddingDimension + 1, 1.0f)),
               Error);
}

TEST(Gallery, TemplateCapDropsTheOldest) {
  constexpr std::size_t dim = 64;
  Gallery g(dim);
  auto basis = [&](std::size_t i) {
    std::vector<float> v(dim, 0.0f);
    v[i] = 1.0f;
    return v;
  };
  for (std::size_t i = 0; i < kMaxTemplatesPerUser; ++i) {
    EXPECT_EQ(g.enroll("ann", basis(i)), i + 1);
  }
  EXPECT_EQ(g.enroll("ann", basis(kMaxTemplatesPerUser)), kMaxTemplatesPerUser);
  EXPECT_EQ(g.template_count("ann"), kMaxTemplatesPerUser);
  EXPECT_FLOAT_EQ(g.verify("ann", basis(0), 0.5f).score, 0.0f) << "oldest template is gone";
  EXPECT_FLOAT_EQ(g.verify("ann", basis(1), 0.5f).score, 1.0f);
  EXPECT_FLOAT_EQ(g.verify("ann", basis(kMaxTemplatesPerUser), 0.5f).score, 1.0f);
}

TEST(Gallery, UserManagement) {
  Gallery g(2);
  g.enroll("zoe", {1.0f, 0.0f});
  g.enroll("Ann", {0.0f, 1.0f});
  g.enroll("bob", {1.0f, 1.0f});
  g.enroll("bob", {1.0f, -1.0f});
  EXPECT_EQ(g.users(), (std::vector<std::string>{"Ann", "bob", "zoe"}));
  EXPECT_EQ(g.user_count(), 3u);
  EXPECT_EQ(g.template_count("bob"), 2u);
  EXPECT_EQ(g.template_count("nobody"), 0u);
  EXPECT_TRUE(g.has_user("zoe"));
  EXPECT_TRUE(g.remove("zoe"));
  EXPECT_FALSE(g.remove("zoe"));
  EXPECT_FALSE(g.has_user("zoe"));
  g.clear();
  EXPECT_EQ(g.user_count(), 0u);
  EXPECT_TRUE(g.users().empty());
}

TEST(Gallery, CopyUserKeepsTheTemplatesBytesAndReplaces) {
  std::mt19937 rng(11);
  Gallery source(kDim);
  source.enroll("ann", random_unit(rng));
  source.enroll("ann", random_unit(rng));
  source.enroll("bob", random_unit(rng));

  // An empty gallery without a dimension takes the source's; the user's bytes come out the same.
  Gallery only_ann;
  only_ann.copy_user(source, "ann");
  Gallery expected = source;
  expected.remove("bob");
  EXPECT_EQ(only_ann.serialize(), expected.serialize());

  // Replaces rather than appends.
  Gallery target(kDim);
  target.enroll("ann", random_unit(rng));
  target.enroll("cid", random_unit(rng));
  target.copy_user(source, "ann");
  EXPECT_EQ(target.template_count("ann"), 2u);
  EXPECT_EQ(target.users(), (std::vector<std::string>{"ann", "cid"}));

  const std::vector<std::uint8_t> before = target.serialize();
  EXPECT_NE(error_of([&] { target.copy_user(source, "zed"); }).find("not in the source"),
            std::string::npos);
  Gallery other_dimension(3);
  other_dimension.enroll("bob", {1.0f, 0.0f, 0.0f});
  EXPECT_NE(error_of([&] { target.copy_user(other_dimension, "bob"); }).find("3-value"),
            std::string::npos);
  EXPECT_EQ(target.serialize(), before);
}

TEST(Gallery, NameValidation) {
  for (const std::string good : {"a", "Zo\xC3\xAB", "\xE5\x90\x8D\xE5\x89\x8D",
                                 "\xF0\x9F\x98\x80 smile", "Ann Lee-O'Neil"}) {
    EXPECT_EQ(user_name_problem(good), "") << good;
  }
  EXPECT_EQ(user_name_problem(std::string(kMaxUserNameBytes, 'x')), "");
  EXPECT_EQ(user_name_problem(""), "name is empty");
  EXPECT_EQ(user_name_problem(std::string(kMaxUserNameBytes + 1, 'x')),
            "name is 129 bytes, longer than 128");
  EXPECT_EQ(user_name_problem("a\nb"), "name holds a control character at byte 1");
  EXPECT_EQ(user_name_problem(std::string("a\0b", 3)), "name holds a control character at byte 1");
  EXPECT_EQ(user_name_problem("\x7F"), "name holds a control character at byte 0");
  EXPECT_EQ(user_name_problem("x\xC2\x85"), "name holds a control character at byte 1");  // NEL
  EXPECT_EQ(user_name_problem("\xFF"), "name is not valid UTF-8 at byte 0");
  EXPECT_EQ(user_name_problem("\xC0\xAF"), "name is not valid UTF-8 at byte 0");      // overlong
  EXPECT_EQ(user_name_problem("\xED\xA0\x80"), "name is not valid UTF-8 at byte 0");  // surrogate
  EXPECT_EQ(user_name_problem("\xF4\x90\x80\x80"), "name is not valid UTF-8 at byte 0");
  EXPECT_EQ(user_name_problem("ok\xE2\x82"), "name is not valid UTF-8 at byte 2 (cut short)");
  EXPECT_EQ(user_name_problem("\xE2(\xA1"), "name is not valid UTF-8 at byte 0");

  Gallery g(2);
  // The rejected name is escaped in the message, so it cannot forge a second log line.
  EXPECT_EQ(error_of([&] {
              g.enroll("bad\nname", {1.0f, 0.0f});
            }),
            "cannot enroll user (bad\\x0Aname): name holds a control character at byte 3");
  EXPECT_EQ(error_of([&] { g.enroll("", {1.0f, 0.0f}); }), "cannot enroll user (): name is empty");
  EXPECT_EQ(g.user_count(), 0u);
}

TEST(GalleryFile, RoundTripIsByteExact) {
  std::mt19937 rng(4);
  Population p = enrolled_population(rng, 5, 4);
  p.gallery.enroll("Zo\xC3\xAB", random_unit(rng));
  const std::vector<std::uint8_t> bytes = p.gallery.serialize();
  EXPECT_EQ(bytes.size(), kHeaderSize + 12 + 6 * 8 + 5 * 5 + 4 + 21 * kDim * 4);
  const Gallery back = Gallery::parse(bytes.data(), bytes.size(), "memory");
  EXPECT_EQ(back.serialize(), bytes);
  EXPECT_EQ(back.users(), p.gallery.users());
  EXPECT_EQ(back.dimension(), kDim);
  const std::vector<float> probe = near(p.identities[2], rng);
  EXPECT_EQ(back.verify("user2", probe, 0.6f).score, p.gallery.verify("user2", probe, 0.6f).score);
  EXPECT_EQ(back.template_count("user2"), 4u);
}

TEST(GalleryFile, EmptyGalleriesRoundTrip) {
  for (const Gallery& g : {Gallery(), Gallery(256)}) {
    const std::vector<std::uint8_t> bytes = g.serialize();
    EXPECT_EQ(bytes.size(), kHeaderSize + 12);
    const Gallery back = Gallery::parse(bytes.data(), bytes.size(), "memory");
    EXPECT_EQ(back.dimension(), g.dimension());
    EXPECT_EQ(back.user_count(), 0u);
  }
}

std::vector<std::uint8_t> small_gallery_bytes() {
  std::mt19937 rng(5);
  Gallery g;
  g.enroll("ann", random_unit(rng, 8));
  g.enroll("ann", random_unit(rng, 8));
  g.enroll("bob", random_unit(rng, 8));
  return g.serialize();
}

TEST(GalleryFile, EveryTruncationIsRejected) {
  const std::vector<std::uint8_t> bytes = small_gallery_bytes();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const std::string e = error_of([&] { Gallery::parse(bytes.data(), n, "cut.fug"); });
    EXPECT_NE(e.find("cannot read gallery file (cut.fug): truncated"), std::string::npos)
        << n << ": " << e;
  }
}

TEST(GalleryFile, EveryFlippedBitIsRejected) {
  const std::vector<std::uint8_t> bytes = small_gallery_bytes();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<std::uint8_t> bad = bytes;
      bad[i] ^= static_cast<std::uint8_t>(1u << bit);
      EXPECT_NE(parse_error(bad), "") << "byte " << i << " bit " << bit;
    }
  }
  std::vector<std::uint8_t> bad = bytes;
  bad[kHeaderSize + 20] ^= 0x40;
  EXPECT_EQ(parse_error(bad),
            "cannot read gallery file (test.fug): checksum mismatch: the file is corrupt or was "
            "modified");
}

TEST(GalleryFile, WrongMagicVersionFlagsAndTrailingBytes) {
  const std::vector<std::uint8_t> bytes = small_gallery_bytes();
  std::vector<std::uint8_t> bad = bytes;
  bad[0] = 'X';
  EXPECT_EQ(parse_error(bad),
            "cannot read gallery file (test.fug): bad magic: not a faceunlock gallery file");
  bad = bytes;
  put_u32(bad, 8, 3);
  EXPECT_EQ(parse_error(bad),
            "cannot read gallery file (test.fug): unknown version 3 (this build " +
                std::string("reads version 1 to 2)"));
  bad = bytes;
  put_u32(bad, 12, 1);
  EXPECT_EQ(parse_error(bad), "cannot read gallery file (test.fug): unknown flags 1");
  bad = bytes;
  bad.push_back(0);
  EXPECT_NE(parse_error(bad).find("trailing bytes"), std::string::npos);
  // Trailing bytes inside a consistent header and checksum are still extra.
  fix_body_size(bad);
  fix_checksum(bad);
  EXPECT_EQ(parse_error(bad),
            "cannot read gallery file (test.fug): corrupt: 1 unread bytes after the last user");
}

// Body layout of small_gallery_bytes() (dimension 8, no embedder recorded): embedder length @32,
// dimension @36, user count @40, "ann" length @44, name @48, template count @51, 2 templates @55,
// "bob" length @119.
TEST(GalleryFile, HostileContentBehindAValidChecksumIsRejected) {
  const std::vector<std::uint8_t> bytes = small_gallery_bytes();
  auto patched = [&](std::size_t offset, std::uint32_t value) {
    std::vector<std::uint8_t> bad = bytes;
    put_u32(bad, offset, value);
    fix_checksum(bad);
    g_largest_allocation = 0;
    g_track_allocations = true;
    std::string e = parse_error(bad);
    g_track_allocations = false;
    EXPECT_LT(g_largest_allocation, 4 * bytes.size()) << e;
    return e;
  };
  // The tracking is live: a valid parse is seen allocating.
  g_largest_allocation = 0;
  g_track_allocations = true;
  Gallery::parse(bytes.data(), bytes.size(), "valid");
  g_track_allocations = false;
  EXPECT_GT(g_largest_allocation, 0u);
  EXPECT_NE(patched(40, 0xFFFFFFFFu).find("corrupt: user count says 4294967295"),
            std::string::npos);
  EXPECT_NE(patched(44, 0xFFFFFFF0u).find("truncated: user name"), std::string::npos);
  EXPECT_NE(patched(51, 0x7FFFFFFFu).find("corrupt: template count"), std::string::npos);
  EXPECT_NE(patched(51, 0).find("has 0 templates, expected 1 to 32"), std::string::npos);
  EXPECT_NE(patched(36, 0x40000000u).find("dimension 1073741824 is above 4096"), std::string::npos);
  EXPECT_NE(patched(36, 1000).find("corrupt: user count"), std::string::npos);
  EXPECT_NE(patched(36, 4), "");  // templates misread at half their length
  EXPECT_NE(patched(55, 0x7FC00000u).find("non-finite template value"), std::string::npos);
  EXPECT_NE(patched(55, 0x40000000u).find("expected an L2-normalised one"), std::string::npos);
}

TEST(GalleryFile, BadNamesBehindAValidChecksumAreRejected) {
  std::vector<std::uint8_t> bytes = small_gallery_bytes();
  std::vector<std::uint8_t> bad = bytes;
  bad[49] = '\n';
  fix_checksum(bad);
  EXPECT_EQ(parse_error(bad),
            "cannot read gallery file (test.fug): user 0: name holds a control character at byte "
            "1");
  // Rename "bob" to "ann": the names are no longer strictly ascending.
  bytes[123] = 'a';
  bytes[124] = 'n';
  bytes[125] = 'n';
  fix_checksum(bytes);
  EXPECT_EQ(parse_error(bytes),
            "cannot read gallery file (test.fug): user 1 (ann) is out of name order or appears "
            "twice");
}

TEST(GalleryFile, RandomCorruptionNeverCrashes) {
  const std::vector<std::uint8_t> bytes = small_gallery_bytes();
  std::mt19937 rng(6);
  int accepted = 0;
  for (int iteration = 0; iteration < 20000; ++iteration) {
    std::vector<std::uint8_t> bad = bytes;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < edits; ++k) bad[rng() % bad.size()] = static_cast<std::uint8_t>(rng());
    if (rng() % 4 == 0) bad.resize(rng() % (bad.size() + 1));
    if (bad.size() >= kHeaderSize && rng() % 2 == 0) fix_checksum(bad);
    try {
      const Gallery g = Gallery::parse(bad.data(), bad.size(), "fuzz");
      // Whatever parses must be a gallery the library can use and write again.
      const std::vector<std::uint8_t> again = g.serialize();
      EXPECT_EQ(Gallery::parse(again.data(), again.size(), "again").serialize(), again);
      ++accepted;
    } catch (const Error&) {
    }
  }
  EXPECT_LT(accepted, 20000);
}

// A version 1 file of `g` (which records no embedder): the same body without the identity.
std::vector<std::uint8_t> version1_bytes(const Gallery& g) {
  std::vector<std::uint8_t> bytes = g.serialize();
  bytes.erase(bytes.begin() + kHeaderSize, bytes.begin() + kHeaderSize + 4);  // empty identity
  put_u32(bytes, 8, 1);
  fix_body_size(bytes);
  fix_checksum(bytes);
  return bytes;
}

TEST(GalleryFile, RecordsTheEmbedderThatMadeTheTemplates) {
  std::mt19937 rng(11);
  Gallery g(8, "model-a@0123abcd");
  g.enroll("ann", random_unit(rng, 8));
  const std::vector<std::uint8_t> bytes = g.serialize();
  const Gallery back = Gallery::parse(bytes.data(), bytes.size(), "memory");
  EXPECT_EQ(back.embedder(), "model-a@0123abcd");
  EXPECT_EQ(back.serialize(), bytes);
  EXPECT_THROW(Gallery(8, "bad\x01identity"), Error);
  EXPECT_THROW(g.set_embedder(""), Error);
  EXPECT_EQ(g.embedder(), "model-a@0123abcd");
}

TEST(GalleryFile, Version1FilesStillLoadAsNotRecordingTheirEmbedder) {
  std::mt19937 rng(12);
  Gallery g;
  g.enroll("ann", random_unit(rng, kDim));
  g.enroll("bob", random_unit(rng, kDim));
  const std::vector<std::uint8_t> old = version1_bytes(g);
  const Gallery back = Gallery::parse(old.data(), old.size(), "old.fug");
  EXPECT_EQ(back.users(), g.users());
  EXPECT_EQ(back.embedder(), "");
  EXPECT_EQ(templates_embedder(back.embedder(), back.dimension()), kUnrecordedEmbedder);
  const std::vector<float> probe = random_unit(rng, kDim);
  EXPECT_EQ(back.verify("bob", probe, 0.5f).score, g.verify("bob", probe, 0.5f).score);
  // Written again, it is a current file that still says "not recorded".
  const std::vector<std::uint8_t> again = back.serialize();
  EXPECT_EQ(again, g.serialize());
  EXPECT_EQ(again[8], kGalleryFormatVersion);
}

TEST(GalleryFile, ABadEmbedderIdentityIsRejected) {
  std::mt19937 rng(13);
  Gallery g(8, "model-a@0123abcd");
  g.enroll("ann", random_unit(rng, 8));
  std::vector<std::uint8_t> bad = g.serialize();
  bad[kHeaderSize + 4 + 3] = '\n';  // inside "model-a..."
  fix_checksum(bad);
  EXPECT_EQ(parse_error(bad),
            "cannot read gallery file (test.fug): embedder identity holds a byte outside "
            "printable ASCII at byte 3");
  bad = g.serialize();
  put_u32(bad, kHeaderSize, 0xFFFFFF00u);
  fix_checksum(bad);
  EXPECT_NE(parse_error(bad).find("truncated: embedder"), std::string::npos);
}

TEST(Gallery, CopyUserRefusesTemplatesOfAnotherEmbedder) {
  std::mt19937 rng(14);
  Gallery source(8, "model-b@00000002");
  source.enroll("ann", random_unit(rng, 8));
  Gallery target(8, "model-a@00000001");
  target.enroll("bob", random_unit(rng, 8));
  const std::vector<std::uint8_t> before = target.serialize();
  EXPECT_THROW(target.copy_user(source, "ann"), EmbedderMismatch);
  EXPECT_EQ(target.serialize(), before);
  // A gallery that records none is the caller's to check; the copy keeps the target's.
  Gallery unrecorded(8);
  unrecorded.enroll("cid", random_unit(rng, 8));
  target.copy_user(unrecorded, "cid");
  EXPECT_EQ(target.embedder(), "model-a@00000001");
  Gallery fresh;
  fresh.copy_user(source, "ann");
  EXPECT_EQ(fresh.embedder(), "model-b@00000002");
}

class GallerySave : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/gallery_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static Gallery sample(const std::string& user) {
    Gallery g(3);
    g.enroll(user, {1.0f, 2.0f, 3.0f});
    return g;
  }
  static std::vector<std::uint8_t> file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  std::string dir_;
};

TEST_F(GallerySave, SaveAndLoad) {
  const std::string path = dir_ + "/users.fug";
  const Gallery g = sample("ann");
  g.save(path);
  EXPECT_EQ(file_bytes(path), g.serialize());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_EQ(Gallery::load(path).users(), std::vector<std::string>{"ann"});
  sample("bob").save(path);
  EXPECT_EQ(Gallery::load(path).users(), std::vector<std::string>{"bob"});
}

TEST_F(GallerySave, LoadErrorsNameThePath) {
  EXPECT_NE(error_of([&] {
              Gallery::load(dir_ + "/missing.fug");
            }).find("cannot read gallery file (" + dir_ + "/missing.fug): "),
            std::string::npos);
}

TEST_F(GallerySave, FailedSaveIntoMissingDirectoryCreatesNothing) {
  const std::string path = dir_ + "/no/such/dir/users.fug";
  EXPECT_NE(error_of([&] { sample("ann").save(path); }).find("cannot write gallery file"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST_F(GallerySave, OldFileSurvivesWhenTheTempFileCannotBeWritten) {
  const std::string path = dir_ + "/users.fug";
  const Gallery old = sample("ann");
  old.save(path);
  // A directory where the temporary file should go makes the write fail, even for root.
  std::filesystem::create_directory(path + ".tmp");
  EXPECT_THROW(sample("bob").save(path), Error);
  EXPECT_EQ(file_bytes(path), old.serialize());
}

TEST_F(GallerySave, FailedRenameLeavesNoTempFile) {
  const std::string path = dir_ + "/target";
  std::filesystem::create_directory(path);
  std::ofstream(path + "/keep") << "x";  // a non-empty directory cannot be replaced by a file
  EXPECT_THROW(sample("ann").save(path), Error);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_TRUE(std::filesystem::is_directory(path));
}

TEST_F(GallerySave, OldFileSurvivesInAReadOnlyDirectory) {
  const std::string path = dir_ + "/users.fug";
  const Gallery old = sample("ann");
  old.save(path);
  std::filesystem::permissions(
      dir_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  if (access(dir_.c_str(), W_OK) == 0) {
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
    GTEST_SKIP() << "running with permission to write anywhere (root): read-only is not testable";
  }
  EXPECT_THROW(sample("bob").save(path), Error);
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
  EXPECT_EQ(file_bytes(path), old.serialize());
}

}  // namespace
}  // namespace fu::unlock
