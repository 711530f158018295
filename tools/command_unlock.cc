// `faceunlock unlock`: the browser's unlock attempt, natively. Reads the frames of a video (a
// .y4m file, the format of Chromium's fake webcam) or a folder of images in name order, runs
// them through the same unlock session as the library (src/unlock/unlock_session.h: security
// level, fusion, liveness challenge) and prints the decision. Time is the video's: frame i is at
// i / fps seconds, whatever the speed of this machine. Exit 0 unlocked, 3 not.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "evaluation_report.h"
#include "face/pipeline.h"
#include "face/quality.h"
#include "face_cli.h"
#include "gallery_cli.h"
#include "image/decode.h"
#include "image/y4m.h"
#include "unlock/liveness_bounds.h"
#include "unlock/security_level.h"
#include "unlock/unlock_session.h"

namespace fu::tools {
namespace {

CommandSpec unlock_spec() {
  CommandSpec spec{
      kUnlockCommand.name,
      "--gallery FILE FRAMES [--level RATE | --threshold T] [--liveness on|off] [--seed N] "
      "[--json]",
      kUnlockCommand.summary,
      "FRAMES is a .y4m video (8-bit 4:2:0, e.g. ffmpeg -pix_fmt yuv420p out.y4m) or a folder "
      "of images read in name order. Liveness (on by default here, off by default in the "
      "library) asks for a head turn left and right in an order drawn from --seed; --plan "
      "prints that order and exits, so a test video can follow it. With --landmarks the "
      "challenge measures the 68-point landmarks with bounds of their own "
      "(src/unlock/liveness_bounds.h); enroll with --landmarks so that templates and frames "
      "are aligned alike (a gallery enrolled so is then opened with the landmark model without "
      "the flag).\n"
      "Exit code: 0 unlocked, 3 not unlocked, 1 failure.\n",
      {"FRAMES"},
      {gallery_flag(),
       {"--level", "RATE",
        "security level by false-accept rate: 1e-3 (default), 1e-4, 2e-5 (aliases: balanced, "
        "strict)"},
       {"--threshold", "T", "accept at cosine similarity T instead of a level's threshold"},
       {"--liveness", "on|off", "the head-turn challenge (default on)"},
       {"--challenge-identity", "MODE",
        "how each turned frame is checked to be the user: gallery (the default with the "
        "detector's keypoints), gallery+start (or matches the frontal frame the challenge started "
        "from; the default with --landmarks), off (not at all: to measure the geometry alone)"},
       {"--seed", "N", "seed of the challenge's turn order (default 1)"},
       {"--turn-ms", "MS", "time allowed for each turn (default 4000)"},
       {"--min-aspect", "X",
        "the challenge's aspect bound (default 0.8, with --landmarks 0.75; to measure variants)"},
       {"--min-squeeze", "X",
        "the challenge's squeeze bound (default 0.94, with --landmarks 0.88; to measure "
        "variants)"},
       {"--max-judged-lateral", "X",
        "turns past this lateral that fail only aspect or squeeze hold the frames in a row "
        "(default 0: every frame judged; with --landmarks 0.4; to measure variants)"},
       {"--fps", "F", "frame rate of a folder, or of a video without one (default 10)"},
       {"--required", "N", "frames of the fusion window that must agree (default 3)"},
       {"--window", "N", "fusion window in frames (default 5)"},
       {"--plan", "", "print the turns the challenge will ask for, then exit"},
       {"--json", "", "print JSON, with every frame's measures"}}};
  for (FlagSpec& f : face_model_flags()) spec.flags.push_back(f);
  for (FlagSpec& f : landmark_flags()) spec.flags.push_back(f);
  return spec;
}

// Frames from a .y4m file or an image folder, one at a time.
class FrameSource {
 public:
  explicit FrameSource(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(path)) {
        if (entry.is_regular_file()) files_.push_back(entry.path().string());
      }
      std::sort(files_.begin(), files_.end());
      if (files_.empty()) throw Error("cannot read frames (" + path + "): the folder is empty");
    } else {
      video_.emplace(path);
    }
  }
  double frame_rate() const { return video_ ? video_->frame_rate() : 0.0; }
  bool next(image::Image& frame) {
    if (video_) return video_->next(frame);
    if (index_ >= files_.size()) return false;
    frame = image::read_image(files_[index_++]);
    return true;
  }

 private:
  std::optional<image::Y4mReader> video_;
  std::vector<std::string> files_;
  std::size_t index_ = 0;
};

// The challenge's verdict on a frame: the first check it failed ("none" when it counted), with
// the value and the bound it missed.
void write_verdict(JsonWriter& out, const unlock::TurnVerdict& v) {
  out.key("check").value(unlock::turn_check_name(v.failed));
  if (v.failed != unlock::TurnCheck::kNone && v.failed != unlock::TurnCheck::kNoFace) {
    out.key("check_value").value(v.value).key("check_bound").value(v.bound);
  }
}

void write_update_frame(JsonWriter& out, int index, double time_ms, const face::FaceAnalysis& a,
                        const unlock::SessionUpdate& u) {
  out.begin_object().key("frame").value(index).key("ms").value(time_ms);
  out.key("face").value(a.has_face());
  if (a.has_face()) {
    out.key("issue").value(face::quality_issue_name(a.quality.issue));
    out.key("yaw").value(a.quality.yaw);
  }
  if (u.match) {
    out.key("user").value(u.match->user).key("score").value(u.match->score);
    out.key("accepted").value(u.match->accepted);
  }
  if (u.fused) out.key("fused_frames").value(u.fused->frames);
  out.key("challenge").value(u.challenge);
  if (u.challenge) {
    out.key("turn")
        .value(unlock::turn_direction_name(u.turn))
        .key("turns_done")
        .value(u.turns_done);
  }
  if (u.measure && u.measure->valid) {
    out.key("lateral").value(u.measure->lateral).key("parallax").value(u.measure->parallax);
    out.key("residual").value(u.measure->residual).key("scale").value(u.measure->scale);
    out.key("aspect").value(u.measure->aspect).key("squeeze").value(u.measure->squeeze);
  }
  if (u.verdict) write_verdict(out, *u.verdict);
  // Where this frame's time went (the landmark model's run is part of "refine").
  out.key("stage_ms").begin_object();
  out.key("detect").value(a.timings.detect).key("refine").value(a.timings.refine);
  out.key("quality").value(a.timings.quality).key("align").value(a.timings.align);
  out.key("embed").value(a.timings.embed).end_object();
  out.key("hint").value(u.hint).end_object();
}

int run_unlock(const ParsedArgs& parsed) {
  const std::string liveness = parsed.get("--liveness", "on");
  if (liveness != "on" && liveness != "off") {
    throw UsageError("--liveness is '" + liveness + "', expected on or off");
  }
  if (parsed.has("--level") && parsed.has("--threshold")) {
    throw UsageError("--level and --threshold both choose the threshold; give one");
  }
  unlock::SessionOptions options;
  options.level = parsed.get("--level", "1e-3");
  if (parsed.has("--threshold")) {
    options.threshold = static_cast<float>(parsed.get_double("--threshold", 0.0, -1.0, 1.0));
  }
  options.fusion_window =
      static_cast<int>(parsed.get_int("--window", 5, 1, unlock::kMaxFusionWindow));
  options.fusion_required = static_cast<int>(
      parsed.get_int("--required", std::min(3, options.fusion_window), 1, options.fusion_window));
  options.liveness.enabled = liveness == "on";
  options.liveness.seed = static_cast<std::uint64_t>(parsed.get_int("--seed", 1, 0, INT64_MAX));
  options.liveness.turn_ms = parsed.get_double("--turn-ms", 4000, 500, 60000);
  // One attempt of one command: nothing to persist a lockout in.
  options.lockout.reset();

  const unlock::Gallery gallery = open_gallery(parsed, false);
  const auto embedder = load_embedder(parsed);
  const face::PipelineOptions pipeline_options = gallery_pipeline_options(parsed, gallery);
  require_gallery_embedder(parsed, gallery, *embedder, pipeline_options);
  // The challenge's bounds belong to the points it measures; the two flags only measure variants.
  const unlock::KeypointSource keypoints = unlock::keypoint_source_of(pipeline_options);
  options.liveness.bounds = unlock::liveness_bounds(keypoints);
  options.challenge_identity = unlock::default_challenge_identity(keypoints);
  if (parsed.has("--challenge-identity")) {
    try {
      options.challenge_identity =
          unlock::parse_challenge_identity(parsed.get("--challenge-identity", ""));
    } catch (const Error& e) {
      throw UsageError(std::string("--challenge-identity: ") + e.what());
    }
  }
  options.liveness.bounds.min_aspect =
      parsed.get_double("--min-aspect", options.liveness.bounds.min_aspect, 0, 1);
  options.liveness.bounds.min_squeeze =
      parsed.get_double("--min-squeeze", options.liveness.bounds.min_squeeze, 0, 1);
  options.liveness.bounds.max_judged_lateral =
      parsed.get_double("--max-judged-lateral", options.liveness.bounds.max_judged_lateral, 0, 2);
  const auto pipeline =
      std::make_unique<face::FacePipeline>(load_detector(parsed), embedder, pipeline_options);
  double now_ms = 0.0;
  unlock::UnlockSession session(gallery, unlock::CalibratedLevels(embedder->metadata), options,
                                pipeline->detector().keypoint_names(), [&] { return now_ms; });
  const bool json = parsed.has("--json");
  if (parsed.has("--plan")) {
    const std::vector<unlock::TurnDirection> turns = session.next_turns();
    if (json) {
      JsonWriter out(std::cout);
      out.begin_object().key("turns").begin_array();
      for (auto t : turns) out.value(unlock::turn_direction_name(t));
      out.end_array().end_object();
    } else {
      for (auto t : turns) std::cout << unlock::turn_direction_name(t) << "\n";
    }
    return kExitOk;
  }

  FrameSource frames(parsed.positional(0));
  const double fps = parsed.has("--fps") || frames.frame_rate() <= 0
                         ? parsed.get_double("--fps", 10, 0.1, 1000)
                         : frames.frame_rate();
  std::optional<JsonWriter> out;
  if (json) {
    out.emplace(std::cout);
    out->begin_object().key("frames").begin_array();
  }
  unlock::SessionUpdate update = session.begin();
  int index = 0;
  int decided_at = -1;
  image::Image frame;
  while (update.running() && frames.next(frame)) {
    now_ms = 1000.0 * index / fps;
    const face::FaceAnalysis analysis = pipeline->analyze(
        frame.view(), true, session.requires_quality(), face::EmbedPurpose::kProbe);
    update = session.add_frame(analysis);
    if (out) write_update_frame(*out, index, now_ms, analysis, update);
    ++index;
    if (!update.running()) decided_at = index - 1;
  }
  if (update.running()) update = session.end();
  const bool unlocked = update.status == unlock::SessionUpdate::Status::kUnlocked;
  if (out) {
    out->end_array();
    out->key("unlocked").value(unlocked).key("user").value(update.user);
    if (update.score) {
      out->key("score").value(*update.score);
    } else {
      out->key("score").value(std::numeric_limits<double>::quiet_NaN());
    }
    out->key("reason").value(update.reason_name).key("hint").value(update.hint);
    out->key("level").value(session.level()).key("threshold").value(session.threshold());
    out->key("liveness").value(options.liveness.enabled);
    out->key("keypoints").value(unlock::keypoint_source_name(keypoints));
    const unlock::LivenessBounds& b = options.liveness.bounds;
    out->key("bounds").begin_object();
    out->key("min_lateral").value(b.min_lateral).key("min_parallax").value(b.min_parallax);
    out->key("min_scale").value(b.min_scale).key("max_scale").value(b.max_scale);
    out->key("min_aspect").value(b.min_aspect).key("min_squeeze").value(b.min_squeeze);
    out->key("max_judged_lateral").value(b.max_judged_lateral);
    out->end_object();
    out->key("turns_done").value(update.turns_done);
    // Why the challenge failed: the closest frame's verdict (or the identity that ended it).
    if (!unlocked && update.verdict) write_verdict(*out, *update.verdict);
    out->key("frames_read").value(index).key("decided_at_frame").value(decided_at);
    out->end_object();
  } else if (unlocked) {
    std::cout << "unlocked: " << update.user << " (score " << update.score.value_or(0.0f)
              << (options.liveness.enabled ? ", head turns seen" : "") << ", frame "
              << decided_at + 1 << " of the video)\n";
  } else {
    std::cout << "not unlocked: " << update.reason_name << " (" << update.hint << ")\n";
  }
  return unlocked ? kExitOk : kExitRejected;
}

}  // namespace

const Command kUnlockCommand = {"unlock",
                                "run an unlock attempt (fusion, liveness) over video frames",
                                unlock_spec, run_unlock};

}  // namespace fu::tools
