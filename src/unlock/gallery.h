// The enrolled users and their templates, 1:1 verification, 1:N identification, and the gallery
// file (docs/gallery-format.md).
//
// A template is an L2-normalised embedding. All templates of a gallery share one dimension, set
// by the constructor or by the first enrollment, and kept by remove() and clear(): a gallery
// belongs to one embedder, which it names (embedder_identity.h; empty when not recorded). Probes
// and enrolled embeddings are normalised on the way in, so a caller may pass raw embedder output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "unlock/decision.h"

namespace fu::unlock {

// Limits, public so that callers and the file reader agree on them.
constexpr std::size_t kMaxUserNameBytes = 128;
// Enough views (poses, glasses, lighting) for one face; beyond it enroll() drops the oldest
// template, so repeated re-enrollment keeps the templates current instead of failing.
constexpr std::size_t kMaxTemplatesPerUser = 32;
constexpr std::size_t kMaxEmbeddingDimension = 4096;
// Version 2 added the embedder's identity; version 1 files are still read (as not recording it).
constexpr std::uint32_t kGalleryFormatVersion = 2;

// Why `name` cannot be a user name, or an empty string when it can: it must be 1 to
// kMaxUserNameBytes bytes of valid UTF-8 without control characters (U+0000-U+001F,
// U+007F-U+009F), so it prints safely in a UI, a log or an error message.
std::string user_name_problem(const std::string& name);

class Gallery {
 public:
  // A gallery whose dimension is set by the first enrollment.
  Gallery() = default;
  // A gallery for embeddings of `dimension` values (1..kMaxEmbeddingDimension).
  explicit Gallery(std::size_t dimension);
  // A gallery of `embedder`'s templates (embedder_identity.h).
  Gallery(std::size_t dimension, const std::string& embedder);

  // Adds one template for `user`, creating the user if new. Returns the user's template count
  // afterwards (at most kMaxTemplatesPerUser: the oldest template makes room). Throws fu::Error
  // for a bad name, a wrong dimension, or an embedding that cannot be normalised.
  std::size_t enroll(const std::string& user, const std::vector<float>& embedding);
  // Removes `user` and their templates; false if there was no such user.
  bool remove(const std::string& user);
  void clear();

  bool has_user(const std::string& user) const;
  // Enrolled users in byte-wise name order.
  std::vector<std::string> users() const;
  std::size_t user_count() const { return users_.size(); }
  // 0 for a user who is not enrolled.
  std::size_t template_count(const std::string& user) const;
  // 0 until the dimension is set.
  std::size_t dimension() const { return dimension_; }
  // The identity of the embedder that made the templates (embedder_identity.h), or an empty
  // string when the gallery does not record it (a version 1 file): templates_embedder() says
  // what such a gallery is read as.
  const std::string& embedder() const { return embedder_; }
  // Records `identity` as the templates' embedder. The caller has checked that it made them
  // (require_embedder). Throws fu::Error for an identity a file cannot hold.
  void set_embedder(const std::string& identity);

  // Copies `user`'s templates from `other` as they are (no re-normalisation, so a user's bytes
  // survive export and import unchanged), replacing any this gallery holds for that user. A
  // gallery without a dimension takes `other`'s. Throws fu::Error when `other` lacks the user or
  // the dimensions differ, and EmbedderMismatch when both galleries record their embedder and the
  // two differ; this gallery is then unchanged. (A gallery that records none is the caller's to
  // check with require_embedder first.)
  void copy_user(const Gallery& other, const std::string& user);

  // 1:1: is `embedding` the claimed `user`? The score is the best over the user's templates.
  // Throws fu::Error when the user is not enrolled, the threshold is not finite or the embedding
  // does not fit.
  Decision verify(const std::string& user, const std::vector<float>& embedding,
                  float threshold) const;
  // 1:N: who is `embedding`? Ranks every user by their best template score and returns the best
  // `top_k` of them; `best` is the top user. An empty gallery gives a rejection, not an error.
  Identification identify(const std::vector<float>& embedding, float threshold,
                          std::size_t top_k = 5) const;

  // The gallery file (docs/gallery-format.md). serialize() is canonical: parsing its output and
  // serialising again gives the same bytes.
  std::vector<std::uint8_t> serialize() const;
  // Validates everything (header, checksum, counts, names, order, values) and throws fu::Error
  // "cannot read gallery file (<label>): <reason>" for anything it does not accept. No allocation
  // exceeds the input's size.
  static Gallery parse(const std::uint8_t* data, std::size_t size, const std::string& label);
  // Writes `path` + ".tmp" and renames it over `path`, so `path` holds either the old gallery or
  // the new one, never a half-written file.
  void save(const std::string& path) const;
  static Gallery load(const std::string& path);

 private:
  // `embedding` normalised, after checking it against the gallery's dimension; `object` starts
  // the error message ("cannot <verb> <object> (<value>): ").
  std::vector<float> prepare_probe(const std::vector<float>& embedding,
                                   const std::string& object) const;
  float best_score(const std::vector<std::vector<float>>& templates,
                   const std::vector<float>& probe) const;

  std::size_t dimension_ = 0;
  std::string embedder_;
  // Templates per user, oldest first. std::map keeps users in the canonical file order.
  std::map<std::string, std::vector<std::vector<float>>> users_;
};

}  // namespace fu::unlock
