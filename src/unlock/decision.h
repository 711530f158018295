// What matching hands back to the caller: who, how alike, and whether that clears the threshold.
#pragma once

#include <string>
#include <vector>

namespace fu::unlock {

// One decision. `score` is the cosine similarity (docs/model-metadata.md), `accepted` is
// score >= threshold. When nothing could be compared (1:N on an empty gallery) `user` is empty,
// `score` is -infinity and `accepted` is false.
struct Decision {
  bool accepted = false;
  std::string user;
  float score = 0.0f;
  float threshold = 0.0f;
};

// One user's best score in a 1:N search.
struct Match {
  std::string user;
  float score = 0.0f;
};

// The result of a 1:N search: the decision for the best user, and the best score of each of the
// top users, highest first (ties broken by name so the order is reproducible).
struct Identification {
  Decision best;
  std::vector<Match> ranking;
};

}  // namespace fu::unlock
