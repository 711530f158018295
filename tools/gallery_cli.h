// What the gallery subcommands (enroll, verify, identify, users, remove) share.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "nn/model.h"
#include "unlock/gallery.h"

namespace fu::tools {

FlagSpec gallery_flag();
// --threshold and --far: how the accept threshold is chosen.
std::vector<FlagSpec> threshold_flags();

// Loads the gallery named by --gallery; a missing file is an error unless `may_be_new`.
unlock::Gallery open_gallery(const ParsedArgs& parsed, bool may_be_new);

// --threshold T, else --far F (the model's embedder.threshold.far_F, set by `calibrate`), else
// the model's embedder.threshold. `source` says which, for the output.
float decision_threshold(const ParsedArgs& parsed, const nn::Model& embedder, std::string* source);

struct PhotoEmbedding {
  std::vector<float> embedding;
  int faces_found = 0;
};

// Decode, detect, align, embed one photo with the models the flags name. Throws fu::Error
// "cannot find a face in image (<path>)" when there is none.
PhotoEmbedding embed_photo(const ParsedArgs& parsed, const std::string& path,
                           std::shared_ptr<const nn::Model> embedder);

}  // namespace fu::tools
