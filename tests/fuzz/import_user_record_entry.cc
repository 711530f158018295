#include <set>

#include "base/error.h"
#include "fuzz/fuzz_targets.h"
#include "unlock/embedder_identity.h"
#include "unlock/gallery.h"

namespace fu::fuzz {
namespace {

constexpr char kMagic[8] = {'F', 'U', 'G', 'A', 'L', 'L', 'R', 'Y'};

// The engine's gallery before the import: two enrolled users of the fuzz seeds' dimension.
unlock::Gallery enrolled_gallery() {
  unlock::Gallery gallery(kRecordDimension, kRecordEmbedder);
  std::vector<float> e(kRecordDimension);
  for (int t = 0; t < 3; ++t) {
    for (std::size_t i = 0; i < e.size(); ++i) e[i] = static_cast<float>((i * 7 + t * 5) % 11) - 5;
    gallery.enroll(t < 2 ? "alice" : "bob", e);
  }
  return gallery;
}

// What export_user hands to the store for `user`: a one-user gallery file.
std::vector<std::uint8_t> export_user(const unlock::Gallery& gallery, const std::string& user) {
  unlock::Gallery one(gallery.dimension(), gallery.embedder());
  one.copy_user(gallery, user);
  return one.serialize();
}

}  // namespace

bool import_user_record(const std::uint8_t* data, std::size_t size) {
  static const unlock::Gallery before = enrolled_gallery();
  const std::vector<std::uint8_t> record =
      as_file(kMagic, unlock::kGalleryFormatVersion, "gallery file", data, size);
  unlock::Gallery engine = before;
  std::string name;
  try {
    const unlock::Gallery one = unlock::Gallery::parse(record.data(), record.size(), "fuzz");
    if (one.user_count() != 1) return false;  // import_user refuses these with fu::Error
    name = one.users().front();
    unlock::require_embedder(one.embedder(), one.dimension(), engine.embedder(), "import user");
    engine.copy_user(one, name);
  } catch (const Error&) {
    require(engine.serialize() == before.serialize(), "a refused record changes no user");
    return false;
  }
  // The imported user holds exactly the record's templates: exporting them gives its bytes back.
  require(export_user(engine, name) == record, "an imported user exports as the record");
  const std::vector<std::string> before_users = before.users();
  std::set<std::string> expected_users(before_users.begin(), before_users.end());
  expected_users.insert(name);
  const std::vector<std::string> users = engine.users();
  require(std::set<std::string>(users.begin(), users.end()) == expected_users,
          "an import adds or replaces exactly its user");
  for (const std::string& other : before_users) {
    if (other == name) continue;
    require(export_user(engine, other) == export_user(before, other),
            "an import leaves the other users' templates alone");
  }
  return true;
}

}  // namespace fu::fuzz
