// `faceunlock embed`: the embedding of the most prominent face in each photo.
#include <iostream>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "face_cli.h"
#include "train/embed_images.h"

namespace fu::tools {
namespace {

CommandSpec embed_spec() {
  CommandSpec spec{kEmbedCommand.name,
                   "IMAGE... [--json] [--jobs N] [--mirror on|off]",
                   kEmbedCommand.summary,
                   "A photo with several faces uses the most prominent (largest) and says how many "
                   "it found; a photo with none is an error and the others still run.\n",
                   {"IMAGE..."},
                   {{"--json", "", "print JSON"},
                    jobs_flag(),
                    {"--mirror", "on|off",
                     "average each face with its mirror image, as templates are (default on); "
                     "off embeds as the unlock path embeds camera frames"}}};
  for (FlagSpec& f : face_model_flags()) spec.flags.push_back(f);
  return spec;
}

int run_embed(const ParsedArgs& parsed) {
  ProgressBar progress("embedding", true);
  train::EmbedImagesOptions options;
  options.jobs = parse_jobs(parsed);
  options.backend = selected_backend(parsed);
  options.fallback = false;
  const std::string mirror = parsed.get("--mirror", "on");
  if (mirror != "on" && mirror != "off") {
    throw UsageError("--mirror is '" + mirror + "', expected on or off");
  }
  options.mirror_average = mirror == "on";
  options.progress = [&](std::size_t done, std::size_t total) { progress.update(done, total); };
  const std::vector<train::EmbeddedImage> results = train::embed_images(
      parsed.positionals(), load_detector(parsed), load_embedder(parsed), options);

  const bool json = parsed.has("--json");
  JsonWriter out(std::cout);
  if (json) out.begin_object().key("images").begin_array();
  int failures = 0;
  for (const train::EmbeddedImage& r : results) {
    std::string error = r.error;
    if (error.empty() && r.embedding.empty()) {
      error = "cannot embed image (" + r.path + "): no face found";
    }
    failures += error.empty() ? 0 : 1;
    if (json) {
      out.begin_object().key("file").value(r.path);
      if (error.empty()) {
        out.key("faces_found").value(r.faces_found).key("embedding").floats(r.embedding);
      } else {
        out.key("error").value(error);
      }
      out.end_object();
    } else if (!error.empty()) {
      std::cerr << error << "\n";
    } else {
      std::cout << r.path << ":";
      if (r.faces_found > 1) {
        std::cout << " (" << r.faces_found << " faces found; the most prominent is used)";
      }
      for (float v : r.embedding) std::cout << " " << v;
      std::cout << "\n";
    }
  }
  if (json) out.end_array().end_object();
  return failures == 0 ? kExitOk : kExitFailure;
}

}  // namespace

const Command kEmbedCommand = {"embed", "print the embedding of the most prominent face in photos",
                               embed_spec, run_embed};

}  // namespace fu::tools
