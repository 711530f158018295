// `faceunlock identify`: 1:N, who in the gallery is the face in the photo? Exit code 0 when the
// best match clears the threshold, 3 when nobody does.
#include <iostream>

#include "cli.h"
#include "commands.h"
#include "evaluation_report.h"
#include "face_cli.h"
#include "gallery_cli.h"

namespace fu::tools {
namespace {

CommandSpec identify_spec() {
  CommandSpec spec{kIdentifyCommand.name,
                   "--gallery FILE IMAGE [--threshold T | --far RATE] [--top K] [--json]",
                   kIdentifyCommand.summary,
                   std::string(kGalleryProbeAlignmentHelp) +
                       "Exit code: 0 identified, 3 nobody matched, 1 failure.\n",
                   {"IMAGE"},
                   {gallery_flag(),
                    {"--top", "K", "list the K best users (default 5)"},
                    {"--json", "", "print JSON"}}};
  for (FlagSpec& f : threshold_flags()) spec.flags.push_back(f);
  for (FlagSpec& f : face_model_flags()) spec.flags.push_back(f);
  for (FlagSpec& f : landmark_flags()) spec.flags.push_back(f);
  return spec;
}

int run_identify(const ParsedArgs& parsed) {
  const unlock::Gallery gallery = open_gallery(parsed, false);
  const auto top = static_cast<std::size_t>(parsed.get_int("--top", 5, 1, 1000));
  const auto embedder = load_embedder(parsed);
  const face::PipelineOptions pipeline_options = gallery_pipeline_options(parsed, gallery);
  require_gallery_embedder(parsed, gallery, *embedder, pipeline_options);
  std::string source;
  const float threshold = decision_threshold(parsed, *embedder, &source);
  const PhotoEmbedding photo = embed_photo(*make_photo_pipeline(parsed, embedder, pipeline_options),
                                           parsed.positional(0), face::EmbedPurpose::kProbe);
  const unlock::Identification id = gallery.identify(photo.embedding, threshold, top);
  if (parsed.has("--json")) {
    JsonWriter out(std::cout);
    out.begin_object().key("accepted").value(id.best.accepted);
    out.key("user").value(id.best.accepted ? id.best.user : "");
    out.key("score").value(id.best.score).key("threshold").value(threshold);
    out.key("threshold_source").value(source).key("ranking").begin_array();
    for (const unlock::Match& m : id.ranking) {
      out.begin_object().key("user").value(m.user).key("score").value(m.score).end_object();
    }
    out.end_array().end_object();
  } else {
    if (id.best.accepted) {
      std::cout << "identified: " << id.best.user << " (score " << id.best.score << ")\n";
    } else {
      std::cout << "nobody matched (threshold " << threshold << " from " << source << ")\n";
    }
    for (const unlock::Match& m : id.ranking) {
      std::cout << "  " << m.user << "  " << m.score << "\n";
    }
  }
  return id.best.accepted ? kExitOk : kExitRejected;
}

}  // namespace

const Command kIdentifyCommand = {"identify", "1:N: who in a gallery is the face in a photo?",
                                  identify_spec, run_identify};

}  // namespace fu::tools
