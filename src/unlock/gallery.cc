#include "unlock/gallery.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "base/byte_stream.h"
#include "base/error.h"
#include "base/file_envelope.h"
#include "unlock/embedder_identity.h"
#include "unlock/similarity.h"

namespace fu::unlock {

namespace {

constexpr char kMagic[8] = {'F', 'U', 'G', 'A', 'L', 'L', 'R', 'Y'};
// Version 1 lacks the embedder's identity; otherwise the same.
constexpr std::uint32_t kFirstVersionWithEmbedder = 2;
constexpr EnvelopeFormat kFormat = {kMagic, kGalleryFormatVersion, "gallery file", 1};
// A stored template must be a unit vector up to float rounding; anything further off was not
// written by serialize() and would skew every score.
constexpr double kNormTolerance = 1e-3;

// The name as it may appear in an error message: as given when it is a valid name, otherwise
// with every byte outside printable ASCII escaped and the length capped, so a hostile name cannot
// forge log lines or flood a message.
std::string display_name(const std::string& name) {
  if (user_name_problem(name).empty()) return name;
  constexpr std::size_t kMaxShown = 64;
  std::string out;
  for (std::size_t i = 0; i < name.size() && i < kMaxShown; ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  if (name.size() > kMaxShown) out += "...";
  return out;
}

void require_finite_threshold(float threshold, const std::string& object) {
  if (!std::isfinite(threshold)) {
    throw Error(object + "threshold " + std::to_string(threshold) + " is not a finite number");
  }
}

}  // namespace

std::string user_name_problem(const std::string& name) {
  if (name.empty()) return "name is empty";
  if (name.size() > kMaxUserNameBytes) {
    return "name is " + std::to_string(name.size()) + " bytes, longer than " +
           std::to_string(kMaxUserNameBytes);
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(name.data());
  std::size_t i = 0;
  while (i < name.size()) {
    const std::string at = " at byte " + std::to_string(i);
    const unsigned char lead = bytes[i];
    std::size_t length;
    std::uint32_t code;
    std::uint32_t smallest;  // below it the sequence is an overlong form of a shorter one
    if (lead < 0x80) {
      length = 1;
      code = lead;
      smallest = 0;
    } else if ((lead >> 5) == 0x6) {
      length = 2;
      code = lead & 0x1Fu;
      smallest = 0x80;
    } else if ((lead >> 4) == 0xE) {
      length = 3;
      code = lead & 0x0Fu;
      smallest = 0x800;
    } else if ((lead >> 3) == 0x1E) {
      length = 4;
      code = lead & 0x07u;
      smallest = 0x10000;
    } else {
      return "name is not valid UTF-8" + at;
    }
    if (length > name.size() - i) return "name is not valid UTF-8" + at + " (cut short)";
    for (std::size_t k = 1; k < length; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) return "name is not valid UTF-8" + at;
      code = (code << 6) | (bytes[i + k] & 0x3Fu);
    }
    if (code < smallest || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return "name is not valid UTF-8" + at;
    }
    if (code < 0x20 || (code >= 0x7F && code <= 0x9F)) {
      return "name holds a control character" + at;
    }
    i += length;
  }
  return "";
}

Gallery::Gallery(std::size_t dimension) : dimension_(dimension) {
  if (dimension == 0 || dimension > kMaxEmbeddingDimension) {
    throw Error("cannot create gallery (dimension " + std::to_string(dimension) +
                "): the dimension must be 1 to " + std::to_string(kMaxEmbeddingDimension));
  }
}

Gallery::Gallery(std::size_t dimension, const std::string& embedder) : Gallery(dimension) {
  set_embedder(embedder);
}

void Gallery::set_embedder(const std::string& identity) {
  if (const std::string problem = embedder_identity_problem(identity); !problem.empty()) {
    throw Error("cannot record embedder (" + display_name(identity) + "): the identity " + problem);
  }
  embedder_ = identity;
}

std::vector<float> Gallery::prepare_probe(const std::vector<float>& embedding,
                                          const std::string& object) const {
  if (dimension_ != 0 && embedding.size() != dimension_) {
    throw Error(object + "embedding has " + std::to_string(embedding.size()) +
                " values, the gallery holds " + std::to_string(dimension_) + "-value templates");
  }
  if (embedding.size() > kMaxEmbeddingDimension) {
    throw Error(object + "embedding has " + std::to_string(embedding.size()) +
                " values, more than " + std::to_string(kMaxEmbeddingDimension));
  }
  try {
    return l2_normalized(embedding);
  } catch (const Error& e) {
    throw Error(object + e.what());
  }
}

float Gallery::best_score(const std::vector<std::vector<float>>& templates,
                          const std::vector<float>& probe) const {
  float best = -std::numeric_limits<float>::infinity();
  for (const std::vector<float>& t : templates) {
    best = std::max(best, dot_product(t.data(), probe.data(), probe.size()));
  }
  // Rounding can take the dot product of unit vectors a hair outside the cosine's range.
  return std::clamp(best, -1.0f, 1.0f);
}

std::size_t Gallery::enroll(const std::string& user, const std::vector<float>& embedding) {
  const std::string object = "cannot enroll user (" + display_name(user) + "): ";
  const std::string problem = user_name_problem(user);
  if (!problem.empty()) throw Error(object + problem);
  std::vector<float> normalized = prepare_probe(embedding, object);
  // Only now, with nothing left to fail, does the first enrollment fix the dimension.
  dimension_ = normalized.size();
  std::vector<std::vector<float>>& templates = users_[user];
  if (templates.size() >= kMaxTemplatesPerUser) templates.erase(templates.begin());
  templates.push_back(std::move(normalized));
  return templates.size();
}

void Gallery::copy_user(const Gallery& other, const std::string& user) {
  const auto it = other.users_.find(user);
  if (it == other.users_.end()) {
    throw Error("cannot copy user (" + display_name(user) + "): not in the source gallery");
  }
  if (dimension_ != 0 && other.dimension_ != dimension_) {
    throw Error("cannot copy user (" + display_name(user) + "): the source gallery holds " +
                std::to_string(other.dimension_) + "-value templates, this one " +
                std::to_string(dimension_));
  }
  if (!embedder_.empty() && !other.embedder_.empty() && embedder_ != other.embedder_) {
    require_embedder(other.embedder_, other.dimension_, embedder_,
                     "copy user (" + display_name(user) + ")");
  }
  dimension_ = other.dimension_;
  if (embedder_.empty()) embedder_ = other.embedder_;
  users_[user] = it->second;
}

bool Gallery::remove(const std::string& user) { return users_.erase(user) > 0; }

void Gallery::clear() { users_.clear(); }

bool Gallery::has_user(const std::string& user) const { return users_.count(user) > 0; }

std::vector<std::string> Gallery::users() const {
  std::vector<std::string> names;
  names.reserve(users_.size());
  for (const auto& entry : users_) names.push_back(entry.first);
  return names;
}

std::size_t Gallery::template_count(const std::string& user) const {
  const auto it = users_.find(user);
  return it == users_.end() ? 0 : it->second.size();
}

Decision Gallery::verify(const std::string& user, const std::vector<float>& embedding,
                         float threshold) const {
  const std::string object = "cannot verify user (" + display_name(user) + "): ";
  const auto it = users_.find(user);
  if (it == users_.end()) throw Error(object + "not enrolled");
  require_finite_threshold(threshold, object);
  const std::vector<float> probe = prepare_probe(embedding, object);
  Decision d;
  d.user = user;
  d.score = best_score(it->second, probe);
  d.threshold = threshold;
  d.accepted = d.score >= threshold;
  return d;
}

Identification Gallery::identify(const std::vector<float>& embedding, float threshold,
                                 std::size_t top_k) const {
  const std::string object =
      "cannot identify embedding (" + std::to_string(embedding.size()) + " values): ";
  require_finite_threshold(threshold, object);
  const std::vector<float> probe = prepare_probe(embedding, object);
  Identification result;
  result.best.threshold = threshold;
  result.best.score = -std::numeric_limits<float>::infinity();
  if (users_.empty()) return result;

  std::vector<Match> ranking;
  ranking.reserve(users_.size());
  for (const auto& [name, templates] : users_) {
    ranking.push_back({name, best_score(templates, probe)});
  }
  std::stable_sort(ranking.begin(), ranking.end(),
                   [](const Match& a, const Match& b) { return a.score > b.score; });
  result.best.user = ranking.front().user;
  result.best.score = ranking.front().score;
  result.best.accepted = result.best.score >= threshold;
  if (ranking.size() > top_k) ranking.resize(top_k);
  result.ranking = std::move(ranking);
  return result;
}

std::vector<std::uint8_t> Gallery::serialize() const {
  ByteWriter body;
  body.str(embedder_);
  body.u32(static_cast<std::uint32_t>(dimension_));
  body.u32(static_cast<std::uint32_t>(users_.size()));
  for (const auto& [name, templates] : users_) {
    body.str(name);
    body.u32(static_cast<std::uint32_t>(templates.size()));
    for (const std::vector<float>& t : templates) {
      for (float v : t) body.f32(v);
    }
  }
  return seal_envelope(kFormat, body.bytes());
}

Gallery Gallery::parse(const std::uint8_t* data, std::size_t size, const std::string& label) {
  const std::string what = "gallery file (" + label + ")";
  const EnvelopeBody body = open_envelope(kFormat, data, size, label);
  ByteReader r(body.data, body.size, what);
  std::string embedder;
  if (body.version >= kFirstVersionWithEmbedder) {
    embedder = r.str("embedder");
    // Empty: not recorded, as in version 1 (a version 1 gallery saved again keeps saying so).
    if (const std::string problem = embedder_identity_problem(embedder);
        !embedder.empty() && !problem.empty()) {
      r.fail("embedder identity " + problem);
    }
  }
  const std::uint32_t dimension = r.u32("dimension");
  if (dimension > kMaxEmbeddingDimension) {
    r.fail("dimension " + std::to_string(dimension) + " is above " +
           std::to_string(kMaxEmbeddingDimension));
  }
  const std::size_t template_bytes = std::size_t{dimension} * sizeof(float);
  // Each user takes a name length, at least one name byte, a template count and one template.
  const std::uint32_t user_count = r.count("user count", 4 + 1 + 4 + template_bytes);
  if (user_count > 0 && dimension == 0) r.fail("users are stored with dimension 0");

  Gallery gallery;
  gallery.dimension_ = dimension;
  gallery.embedder_ = std::move(embedder);
  for (std::uint32_t u = 0; u < user_count; ++u) {
    std::string name = r.str("user name");
    const std::string problem = user_name_problem(name);
    if (!problem.empty()) r.fail("user " + std::to_string(u) + ": " + problem);
    // Strictly ascending names make the file canonical and rule out duplicates.
    if (!gallery.users_.empty() && !(gallery.users_.rbegin()->first < name)) {
      r.fail("user " + std::to_string(u) + " (" + name + ") is out of name order or appears twice");
    }
    const std::uint32_t template_count = r.count("template count", template_bytes);
    if (template_count == 0 || template_count > kMaxTemplatesPerUser) {
      r.fail("user " + std::to_string(u) + " (" + name + ") has " + std::to_string(template_count) +
             " templates, expected 1 to " + std::to_string(kMaxTemplatesPerUser));
    }
    std::vector<std::vector<float>> templates(template_count, std::vector<float>(dimension));
    for (std::vector<float>& t : templates) {
      double sum = 0.0;
      for (float& v : t) {
        v = r.f32("template value");
        if (!std::isfinite(v)) r.fail("user '" + name + "' has a non-finite template value");
        sum += static_cast<double>(v) * v;
      }
      if (std::fabs(std::sqrt(sum) - 1.0) > kNormTolerance) {
        r.fail("user '" + name + "' has a template of length " + std::to_string(std::sqrt(sum)) +
               ", expected an L2-normalised one");
      }
    }
    gallery.users_.emplace_hint(gallery.users_.end(), std::move(name), std::move(templates));
  }
  if (r.remaining() != 0) {
    r.fail("corrupt: " + std::to_string(r.remaining()) + " unread bytes after the last user");
  }
  return gallery;
}

void Gallery::save(const std::string& path) const {
  write_file_atomically(path, serialize(), kFormat.kind);
}

Gallery Gallery::load(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_whole_file(path, kFormat.kind);
  return parse(bytes.data(), bytes.size(), path);
}

}  // namespace fu::unlock
