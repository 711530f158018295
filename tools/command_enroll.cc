// `faceunlock enroll`: adds templates for a user from photos. Every photo must show a face; if
// one does not, nothing is written, so a gallery never holds half an enrollment.
#include <iostream>
#include <memory>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "evaluation_report.h"
#include "face/pipeline.h"
#include "face_cli.h"
#include "gallery_cli.h"

namespace fu::tools {
namespace {

CommandSpec enroll_spec() {
  CommandSpec spec{kEnrollCommand.name,
                   "--gallery FILE --user NAME IMAGE... [--json]",
                   kEnrollCommand.summary,
                   "The gallery file is created if it does not exist. A photo with several faces "
                   "enrolls the most prominent one.\n",
                   {"IMAGE..."},
                   {gallery_flag(),
                    {"--user", "NAME", "who the photos show (required)"},
                    {"--json", "", "print JSON"}}};
  for (FlagSpec& f : face_model_flags()) spec.flags.push_back(f);
  for (FlagSpec& f : landmark_flags()) spec.flags.push_back(f);
  return spec;
}

int run_enroll(const ParsedArgs& parsed) {
  const std::string user = parsed.require("--user");
  if (const std::string problem = unlock::user_name_problem(user); !problem.empty()) {
    throw UsageError("--user: " + problem);
  }
  unlock::Gallery gallery = open_gallery(parsed, true);
  const auto embedder = load_embedder(parsed);
  // With --landmarks (or into a gallery enrolled with them) the templates are aligned on the
  // landmarks' eyes, nose and mouth, as `faceunlock unlock` then aligns its frames.
  const face::PipelineOptions pipeline_options = gallery_pipeline_options(parsed, gallery);
  require_gallery_embedder(parsed, gallery, *embedder, pipeline_options);
  // A new gallery, or one from before galleries named their embedder, records it (and the
  // keypoints its faces are aligned on, as the browser engine does) from now on.
  gallery.set_embedder(gallery_templates_identity(*embedder, pipeline_options));
  const auto pipeline =
      std::make_unique<face::FacePipeline>(load_detector(parsed), embedder, pipeline_options);
  std::vector<PhotoEmbedding> photos;
  for (const std::string& path : parsed.positionals()) {
    photos.push_back(embed_photo(*pipeline, path, face::EmbedPurpose::kTemplate));
  }
  std::size_t templates = 0;
  for (const PhotoEmbedding& p : photos) templates = gallery.enroll(user, p.embedding);
  gallery.save(parsed.get("--gallery", ""));

  if (parsed.has("--json")) {
    JsonWriter out(std::cout);
    out.begin_object().key("user").value(user);
    out.key("photos").value(static_cast<int>(photos.size()));
    out.key("templates").value(static_cast<std::uint64_t>(templates));
    out.key("gallery").value(parsed.get("--gallery", "")).end_object();
  } else {
    std::cout << "enrolled " << user << " from " << photos.size() << " photo"
              << (photos.size() == 1 ? "" : "s") << " (" << templates << " templates)\n";
    for (std::size_t i = 0; i < photos.size(); ++i) {
      if (photos[i].faces_found > 1) {
        std::cout << "  note: " << parsed.positional(i) << " shows " << photos[i].faces_found
                  << " faces; the most prominent was enrolled\n";
      }
    }
  }
  return kExitOk;
}

}  // namespace

const Command kEnrollCommand = {"enroll", "add a user's face templates to a gallery", enroll_spec,
                                run_enroll};

}  // namespace fu::tools
