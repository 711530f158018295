// `faceunlock detect`: the faces in photos, with scores, boxes and keypoints; optionally drawn.
#include <cmath>
#include <iostream>
#include <optional>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "evaluation_report.h"
#include "face/detector.h"
#include "face/landmarks.h"
#include "face/quality.h"
#include "face_cli.h"
#include "image/decode.h"
#include "image/draw.h"
#include "image/encode.h"

namespace fu::tools {
namespace {

CommandSpec detect_spec() {
  CommandSpec spec{
      kDetectCommand.name,
      "IMAGE... [--out ANNOTATED.png] [--min-score S] [--json] [--landmarks FILE]",
      kDetectCommand.summary,
      "Each face gets its detector score (0..1), its box (x, y, width, height in "
      "image pixels), its keypoints and a quality verdict with a hint. With --landmarks, "
      "also the 68 landmark points (dlib's numbering) located as `enroll` and `unlock` "
      "locate them (on the refined face); --json lists them.\n",
      {"IMAGE..."},
      {{"--out", "FILE", "write the (single) image with boxes and keypoints drawn, as PNG"},
       {"--min-score", "S", "report faces scoring at least S (default 0.5)"},
       {"--json", "", "print JSON"}}};
  for (FlagSpec& f : detector_flags()) spec.flags.push_back(f);
  for (FlagSpec& f : landmark_flags()) spec.flags.push_back(f);
  return spec;
}

void draw_faces(image::Image& canvas, const std::vector<face::Face>& faces) {
  const image::Color box_colour{40, 220, 80, 255};
  const image::Color point_colour{255, 60, 40, 255};
  const int thickness = std::max(1, canvas.width() / 200);
  for (const face::Face& f : faces) {
    const image::Rect rect{
        static_cast<int>(std::lround(f.box.x)), static_cast<int>(std::lround(f.box.y)),
        static_cast<int>(std::lround(f.box.width)), static_cast<int>(std::lround(f.box.height))};
    image::draw_rectangle(canvas, rect, box_colour, thickness);
    for (const image::Point& p : f.keypoints) {
      image::fill_circle(canvas, p, 1.5 * thickness, point_colour);
    }
  }
}

int run_detect(const ParsedArgs& parsed) {
  const std::vector<std::string>& paths = parsed.positionals();
  if (parsed.has("--out") && paths.size() != 1) {
    throw UsageError("--out draws one image; " + std::to_string(paths.size()) + " were given");
  }
  face::DetectOptions options;
  options.min_score = static_cast<float>(parsed.get_double("--min-score", 0.5, 0.0, 1.0));
  nn::NetworkOptions network;
  network.backend = selected_backend(parsed);
  face::FaceDetector detector(load_detector(parsed), network);
  face::QualityOptions quality_options;
  quality_options.keypoint_names = detector.keypoint_names();
  const LandmarkStage landmark_stage = load_landmark_stage(parsed);
  std::optional<face::FaceLandmarker> landmarker;
  if (landmark_stage.model) {
    landmarker.emplace(landmark_stage.model, network);
    landmarker->set_box_scale(landmark_stage.box_scale);
  }
  // The points of the face pipeline's landmark stage: it locates them on the refined face, so
  // the same is done here (tests synthesise videos from them, which unlock then reads).
  auto landmarks_of = [&](const image::Image& photo, const face::Face& f) {
    return landmarker->locate(photo, detector.refine(photo, f, options));
  };

  const bool json = parsed.has("--json");
  JsonWriter out(std::cout);
  if (json) out.begin_object().key("images").begin_array();
  int failures = 0;
  for (const std::string& path : paths) {
    image::Image photo;
    std::vector<face::Face> faces;
    std::string error;
    try {
      photo = image::read_image(path, {image::Channels::kRgb});
      faces = detector.detect(photo, options);
    } catch (const Error& e) {
      error = e.what();
      ++failures;
    }
    if (json) {
      out.begin_object().key("file").value(path);
      if (!error.empty()) {
        out.key("error").value(error).end_object();
        continue;
      }
      out.key("width").value(photo.width()).key("height").value(photo.height());
      out.key("faces").begin_array();
      for (const face::Face& f : faces) {
        const face::Quality q = face::assess_quality(photo, f, quality_options);
        out.begin_object().key("score").value(f.score);
        out.key("box").floats({f.box.x, f.box.y, f.box.width, f.box.height});
        out.key("keypoints").begin_object();
        for (std::size_t k = 0; k < f.keypoints.size(); ++k) {
          out.key(detector.keypoint_names()[k])
              .floats({static_cast<float>(f.keypoints[k].x), static_cast<float>(f.keypoints[k].y)});
        }
        out.end_object();
        if (landmarker) {
          out.key("landmarks").begin_array();
          for (const image::Point& p : landmarks_of(photo, f)) {
            out.floats({static_cast<float>(p.x), static_cast<float>(p.y)});
          }
          out.end_array();
        }
        out.key("quality").value(face::quality_issue_name(q.issue));
        out.key("hint").value(q.reason);
        out.end_object();
      }
      out.end_array().end_object();
    } else if (!error.empty()) {
      std::cerr << error << "\n";
    } else {
      std::cout << path << ": " << faces.size() << (faces.size() == 1 ? " face" : " faces") << "\n";
      for (std::size_t i = 0; i < faces.size(); ++i) {
        const face::Face& f = faces[i];
        const face::Quality q = face::assess_quality(photo, f, quality_options);
        char line[160];
        std::snprintf(line, sizeof line, "  face %zu: score %.3f  box %.0f,%.0f %.0fx%.0f  ", i + 1,
                      f.score, f.box.x, f.box.y, f.box.width, f.box.height);
        std::cout << line << "quality " << face::quality_issue_name(q.issue)
                  << (q.ok() ? "" : " (" + q.reason + ")") << "\n";
        for (std::size_t k = 0; k < f.keypoints.size(); ++k) {
          std::snprintf(line, sizeof line, "    %-13s %7.1f %7.1f\n",
                        detector.keypoint_names()[k].c_str(), f.keypoints[k].x, f.keypoints[k].y);
          std::cout << line;
        }
        if (landmarker) {
          std::cout << "    landmarks     " << landmarks_of(photo, f).size()
                    << " points (--json lists them)\n";
        }
      }
    }
    if (parsed.has("--out") && error.empty()) {
      draw_faces(photo, faces);
      image::write_png(photo, parsed.get("--out", ""));
    }
  }
  if (json) out.end_array().end_object();
  return failures == 0 ? kExitOk : kExitFailure;
}

}  // namespace

const Command kDetectCommand = {"detect", "find faces in photos: scores, boxes, keypoints, quality",
                                detect_spec, run_detect};

}  // namespace fu::tools
