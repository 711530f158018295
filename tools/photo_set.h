// A labelled set of photos for calibration and measurement: a folder of identity folders,
// optionally narrowed by LFW pairs files (the identities they name, or only the photos they
// name) and with the identities of other pairs files left out. Shared by `faceunlock calibrate`
// and `faceunlock far`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "train/lfw_pairs.h"

namespace fu::tools {

struct PhotoSetSpec {
  std::string root;                      // ROOT/IDENTITY/IMAGE
  std::vector<std::string> pairs_files;  // empty: every identity folder of root
  // With pairs files: only the photos they name (as `faceunlock eval` scores), else every photo
  // of the identities they name.
  bool named_photos_only = false;
  // Identities these pairs files name are left out (a set held out from calibration data).
  std::vector<std::string> exclude_pairs_files;
};

struct PhotoSet {
  std::string name;  // for tables: the root's folder name and the pairs files' names
  std::vector<std::string> paths;
  std::vector<int> labels;  // identity per photo, 0..identities-1
  std::size_t identities = 0;
  std::vector<train::LfwPair> pairs;  // those of pairs_files, for choosing by accuracy
};

// "DIR" or "DIR:PAIRS[+PAIRS...]" (the --population syntax). Throws UsageError when empty.
PhotoSetSpec parse_population(const std::string& text);

// Throws fu::Error for an unreadable root or pairs file, a missing identity folder, or a set
// without photos.
PhotoSet load_photo_set(const PhotoSetSpec& spec);

}  // namespace fu::tools
