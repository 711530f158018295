#include <cmath>

#include "base/error.h"
#include "fuzz/fuzz_targets.h"
#include "unlock/gallery.h"

namespace fu::fuzz {
namespace {

constexpr char kMagic[8] = {'F', 'U', 'G', 'A', 'L', 'L', 'R', 'Y'};

}  // namespace

bool parse_gallery_bytes(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> file =
      as_file(kMagic, unlock::kGalleryFormatVersion, "gallery file", data, size);
  unlock::Gallery gallery;
  try {
    gallery = unlock::Gallery::parse(file.data(), file.size(), "fuzz");
  } catch (const Error&) {
    return false;
  }
  // docs/gallery-format.md: serialize(parse(bytes)) == bytes for every file of the current version
  // the reader accepts (an older one is written back in the current version).
  const std::uint32_t version =
      file[8] | file[9] << 8 | file[10] << 16 | std::uint32_t{file[11]} << 24;
  if (version == unlock::kGalleryFormatVersion) {
    require(gallery.serialize() == file, "an accepted gallery file is canonical");
  } else {
    const std::vector<std::uint8_t> again = gallery.serialize();
    require(unlock::Gallery::parse(again.data(), again.size(), "again").serialize() == again,
            "an older gallery file is written back as a canonical current one");
  }
  if (gallery.dimension() == 0) {
    require(gallery.user_count() == 0, "a gallery without a dimension has no users");
    return true;
  }

  // Matching on what was read: scores are cosines, so within [-1, 1] whatever the templates.
  std::vector<float> probe(gallery.dimension());
  for (std::size_t i = 0; i < probe.size(); ++i) probe[i] = (i % 3 == 0) ? 1.0f : -0.5f;
  const unlock::Identification found = gallery.identify(probe, 0.5f, 3);
  if (gallery.user_count() == 0) {
    require(!found.best.accepted && found.ranking.empty(), "an empty gallery identifies nobody");
    return true;
  }
  require(std::isfinite(found.best.score) && std::fabs(found.best.score) <= 1.0f,
          "an identification score is a cosine");
  require(found.ranking.size() == std::min<std::size_t>(3, gallery.user_count()),
          "the ranking holds min(top_k, users) entries");
  for (const std::string& user : gallery.users()) {
    const unlock::Decision d = gallery.verify(user, probe, 0.5f);
    require(std::isfinite(d.score) && std::fabs(d.score) <= 1.0f && d.score <= found.best.score,
            "a verification score is a cosine no better than the best identification");
  }
  return true;
}

}  // namespace fu::fuzz
