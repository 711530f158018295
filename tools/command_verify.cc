// `faceunlock verify`: 1:1, is the face in the photo the claimed user? Exit code 0 when accepted,
// 3 when rejected, so scripts can branch on it.
#include <iostream>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "evaluation_report.h"
#include "face_cli.h"
#include "gallery_cli.h"

namespace fu::tools {
namespace {

CommandSpec verify_spec() {
  CommandSpec spec{
      kVerifyCommand.name,
      "--gallery FILE --user NAME IMAGE [--threshold T | --far RATE] [--json]",
      kVerifyCommand.summary,
      std::string(kGalleryProbeAlignmentHelp) +
          "Exit code: 0 accepted, 3 rejected, 1 failure (no face, unknown user, ...).\n",
      {"IMAGE"},
      {gallery_flag(),
       {"--user", "NAME", "the claimed user (required)"},
       {"--json", "", "print JSON"}}};
  for (FlagSpec& f : threshold_flags()) spec.flags.push_back(f);
  for (FlagSpec& f : face_model_flags()) spec.flags.push_back(f);
  for (FlagSpec& f : landmark_flags()) spec.flags.push_back(f);
  return spec;
}

int run_verify(const ParsedArgs& parsed) {
  const unlock::Gallery gallery = open_gallery(parsed, false);
  const std::string user = parsed.require("--user");
  const auto embedder = load_embedder(parsed);
  const face::PipelineOptions pipeline_options = gallery_pipeline_options(parsed, gallery);
  require_gallery_embedder(parsed, gallery, *embedder, pipeline_options);
  std::string source;
  const float threshold = decision_threshold(parsed, *embedder, &source);
  if (!gallery.has_user(user)) {
    throw Error("cannot verify user (" + user + "): not enrolled in " +
                parsed.get("--gallery", ""));
  }
  const PhotoEmbedding photo = embed_photo(*make_photo_pipeline(parsed, embedder, pipeline_options),
                                           parsed.positional(0), face::EmbedPurpose::kProbe);
  const unlock::Decision d = gallery.verify(user, photo.embedding, threshold);
  if (parsed.has("--json")) {
    JsonWriter out(std::cout);
    out.begin_object().key("user").value(user).key("accepted").value(d.accepted);
    out.key("score").value(d.score).key("threshold").value(d.threshold);
    out.key("threshold_source").value(source).key("faces_found").value(photo.faces_found);
    out.end_object();
  } else {
    std::cout << (d.accepted ? "accepted: " : "rejected: ") << user << " (score " << d.score
              << ", threshold " << d.threshold << " from " << source << ")\n";
  }
  return d.accepted ? kExitOk : kExitRejected;
}

}  // namespace

const Command kVerifyCommand = {"verify", "1:1: is the face in a photo the claimed user?",
                                verify_spec, run_verify};

}  // namespace fu::tools
