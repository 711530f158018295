// What the gallery subcommands (enroll, verify, identify, users, remove) share.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "face/pipeline.h"
#include "nn/model.h"
#include "unlock/gallery.h"

namespace fu::tools {

FlagSpec gallery_flag();
// --threshold and --far: how the accept threshold is chosen.
std::vector<FlagSpec> threshold_flags();

// Loads the gallery named by --gallery; a missing file is an error unless `may_be_new`.
unlock::Gallery open_gallery(const ParsedArgs& parsed, bool may_be_new);
// The pipeline the gallery commands (enroll, verify, identify, unlock) run: --backend, and
// --landmarks with --landmark-box-scale (templates and camera frames must be aligned on the same
// points). Without --landmarks, a gallery whose templates were aligned on the 68-point landmarks
// gets the shipped landmark model (face-landmarks-68.fum, found as the default models are), so
// its users keep matching without repeating the flag.
face::PipelineOptions gallery_pipeline_options(const ParsedArgs& parsed,
                                               const unlock::Gallery& gallery);
// The help text's line on how verify and identify align their photo (gallery_pipeline_options).
inline constexpr char kGalleryProbeAlignmentHelp[] =
    "The photo is aligned on the points the gallery's templates were: the 68-point landmarks for "
    "a gallery enrolled with --landmarks (the shipped model unless --landmarks names one), "
    "BlazeFace's keypoints otherwise.\n";
// What a gallery records for templates `embedder` makes on the keypoints `pipeline` aligns on
// (unlock::templates_identity): galleries enrolled with --landmarks say so.
std::string gallery_templates_identity(const nn::Model& embedder,
                                       const face::PipelineOptions& pipeline);
// Throws unlock::EmbedderMismatch unless `embedder`, aligning on the keypoints of `pipeline`, made
// the gallery's templates (a gallery without users fits every embedder).
void require_gallery_embedder(const ParsedArgs& parsed, const unlock::Gallery& gallery,
                              const nn::Model& embedder,
                              const face::PipelineOptions& pipeline = {});

// --threshold T, else --far F (the model's embedder.threshold.far_F, set by `calibrate`), else
// the model's embedder.threshold. `source` says which, for the output.
float decision_threshold(const ParsedArgs& parsed, const nn::Model& embedder, std::string* source);

struct PhotoEmbedding {
  std::vector<float> embedding;
  int faces_found = 0;
};

// The pipeline of the detector --detector names, `embedder` and `options`
// (gallery_pipeline_options); built once per command, since loading a model and planning its
// networks costs more than a photo.
std::unique_ptr<face::FacePipeline> make_photo_pipeline(const ParsedArgs& parsed,
                                                        std::shared_ptr<const nn::Model> embedder,
                                                        const face::PipelineOptions& options);

// Decode, detect, align, embed one photo, as a template to enroll or a probe to compare (which
// decides its mirror averaging, face::MirrorPolicy). Throws fu::Error "cannot find a face in image
// (<path>)" when there is none.
PhotoEmbedding embed_photo(face::FacePipeline& pipeline, const std::string& path,
                           face::EmbedPurpose purpose);

}  // namespace fu::tools
