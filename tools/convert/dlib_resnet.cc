// dlib's face recognition ResNet (dlib_face_recognition_resnet_model_v1), as face-api.js ported
// it to TF.js and @vladmandic/face-api ships it. The graph below follows face-api's
// FaceRecognitionNet (src/faceRecognitionNet/*.ts in the package) step for step, since those
// are the semantics its weights were checked against:
//
//   input 150x150x3, (pixel - mean_rgb) / 255
//   conv32_down      7x7/2 VALID conv + bias, scale, relu          -> 72x72x32
//   max pool         3x3/2 VALID                                   -> 35x35x32
//   conv32_1..3      residual                                       -> 35x35x32
//   conv64_down      residual_down, then conv64_1..3 residual       -> 17x17x64
//   conv128_down     residual_down, then conv128_1..2               -> 8x8x128
//   conv256_down     residual_down, then conv256_1..2               -> 4x4x256
//   conv256_down_out residual_down                                  -> 2x2x256
//   global average, fully connected 256 -> 128 without bias, then (ours) L2 normalisation
//
// residual:      relu(scale(conv3x3 SAME(relu(scale(conv3x3 SAME(x))))) + x)
// residual_down: the first conv is 3x3/2 VALID; the shortcut is a 2x2/2 VALID average pool with
//                zero channels appended; where the VALID conv comes out one pixel smaller than
//                the pool (8 -> 3 vs 4, 4 -> 1 vs 2) face-api appends a zero row and column to
//                the conv branch before the add.
// Every conv has a bias and is followed by a per-channel affine "scale" layer (dlib's affine
// layer, i.e. batch norm frozen at training's end). Both are kept as stored rather than folded
// into the filters, so each weight keeps its exact uint8 levels and the file stays small.
#include <map>
#include <string>

#include "base/error.h"
#include "convert/converters.h"
#include "convert/tfjs_layers.h"
#include "nn/graph_builder.h"

namespace fu::tools {
namespace {

constexpr const char* kPackageName = "@vladmandic/face-api";
constexpr const char* kManifestFile = "model/face_recognition_model-weights_manifest.json";
constexpr const char* kShardFile = "model/face_recognition_model.bin";
constexpr int kInputSize = 150;
constexpr int kEmbeddingSize = 128;

// face-api's FaceRecognitionNet.forwardInput: mean subtracted in RGB order, then divided by 255.
// dlib's own input layer divides by 256; we follow face-api, the code these weights are checked
// against (the two differ by 0.4% in input scale).
constexpr float kMeanRgb[3] = {122.782f, 117.001f, 104.298f};
constexpr float kDivisor = 255.0f;

// Alignment template for the 150x150 chip, in chip pixels (pixel centres at whole coordinates,
// as dlib and src/image count them). dlib made its training chips with
// get_face_chip_details(shape, 150, 0.25): the 5-point shape predictor's points are mapped onto
// a unit-square face template, padded by 25% on each side, so a template point p lands at
// (p + 0.25) / 1.5 * 150 = 100 * (p + 0.25). The eyes are the midpoints of the template's eye
// corners (points 2,3 and 0,1 of dlib's 5-point template). That template has no nose tip or mouth
// (its fifth point is the base of the nose), so those come from dlib's 68-point mean face, which
// lives in the same unit square: its point 33 (base of the nose, y 0.628106) agrees with the
// 5-point base of the nose (y 0.627798). Nose tip = point 30 (0.490127, 0.515625); mouth centre
// = midway between the inner lip centres 62 and 66 (0.490127, (0.785343 + 0.831803) / 2), the
// point between the lips a detector's mouth keypoint aims at.
//   right_eye  x 100 * (0.227330 + 0.25) = 47.733   y 100 * (0.221396 + 0.25) = 47.140
//   left_eye   x 100 * (0.752814 + 0.25) = 100.281  y 100 * (0.221233 + 0.25) = 47.123
//   nose_tip   x 100 * (0.490127 + 0.25) = 74.013   y 100 * (0.515625 + 0.25) = 76.563
//   mouth      x 74.013                             y 100 * (0.808573 + 0.25) = 105.857
// That derivation is the starting point. Tuned on LFW View 1 train (never View 2) with
//   faceunlock calibrate --data ../shared/data/lfw
//     --pairs ../shared/data/lfw-protocol/pairsDevTrain.txt
//     --template-scales 0.94,1,1.06,1.12,1.18 --out tuned.fum
// the template scaled by 1.12 about the mean of its points decided those pairs best (99.27%
// against 99.09% at 1.0): BlazeFace's keypoints sit slightly inside dlib's, so the chip
// zooms in a little. (Unscaled derivation: 47.733,47.140,100.281,47.123,74.013,76.563,74.013,
// 105.857.)
//
// The thresholds come from two populations, never LFW View 2 (models/README.md has the table):
//   faceunlock calibrate
//     --population
//     ../shared/data/lfw:../shared/data/lfw-protocol/pairsDevTrain.txt+../shared/data/lfw-protocol/pairsDevTest.txt
//     --population ../shared/data/celeba-align-10k --out calibrated.fum --jobs 2
// Per population the lowest threshold whose false accepts stay within the 95% Poisson bound of
// the target (LFW View 1: 44,190,668 different pairs of 9,426 photos; CelebA: 49,987,985 of
// 10,000), then the stricter one (CelebA at every level) plus the spread between the two:
//   FAR 1e-3: LFW 0.928925, CelebA 0.936920, spread 0.007996 -> 0.944916
//   FAR 1e-4: LFW 0.942810, CelebA 0.949646, spread 0.006836 -> 0.956482
//   FAR 2e-5: LFW 0.951080, CelebA 0.957489, spread 0.006409 -> 0.963898
// embedder.threshold is the FAR 1e-3 threshold, so no level is looser than 1e-3.
constexpr const char* kTemplate = "44.580,44.496,103.434,44.477,74.013,77.450,74.013,110.259";
constexpr const char* kThreshold = "0.944916";
constexpr const char* kThresholdFar1e3 = "0.944916";
constexpr const char* kThresholdFar1e4 = "0.956482";
constexpr const char* kThresholdFar2e5 = "0.963898";
constexpr const char* kThresholdSource =
    "faceunlock calibrate: per population the lowest threshold within the 95.0% Poisson bound "
    "of each FAR, then the strictest plus the spread between populations; on lfw "
    "(pairsDevTrain.txt+pairsDevTest.txt): 9426 photos of 3095 identities; celeba-align-10k: "
    "10000 photos of 5429 identities; template scale 1.12 (LFW View 1 train)";

// Builds the graph from the weights, taking each weight once; whatever is left over at the end
// means the package holds a network this converter does not know.
class ResnetImporter {
 public:
  explicit ResnetImporter(std::map<std::string, TfjsWeight> weights)
      : weights_(std::move(weights), "dlib-resnet"),
        b_(nn::Shape{1, kInputSize, kInputSize, 3}, "input") {}

  nn::Graph build() {
    int x = conv_layer(b_.input(), "conv32_down", 2, "valid", true);
    x = b_.add(nn::OpType::kMaxPool2d, {x}, nn::window_attributes(3, 2, "valid"), {}, "max_pool");
    for (const char* block : {"conv32_1", "conv32_2", "conv32_3"}) x = residual(x, block);
    x = residual_down(x, "conv64_down");
    for (const char* block : {"conv64_1", "conv64_2", "conv64_3"}) x = residual(x, block);
    x = residual_down(x, "conv128_down");
    for (const char* block : {"conv128_1", "conv128_2"}) x = residual(x, block);
    x = residual_down(x, "conv256_down");
    for (const char* block : {"conv256_1", "conv256_2"}) x = residual(x, block);
    x = residual_down(x, "conv256_down_out");
    x = b_.add(nn::OpType::kGlobalAvgPool, {x}, {}, {}, "global_avg");
    // face-api multiplies [N,256] by fc [256,128].
    x = b_.add(nn::OpType::kFullyConnected, {x}, {}, {{"filter", weights_.dense_filter("fc")}},
               "fc");
    // dlib compares raw descriptors by Euclidean distance; our pipeline scores cosine
    // similarity, so the network hands out unit vectors (the direction is face-api's output).
    x = b_.add(nn::OpType::kL2Normalize, {x}, {}, {}, "embedding");
    b_.mark_output(x);
    weights_.expect_all_used();
    return b_.finish();
  }

 private:
  // face-api's convLayer: conv + bias, then scale (x * weights + biases), then optionally relu.
  int conv_layer(int x, const std::string& prefix, int stride, const char* padding, bool relu) {
    std::map<std::string, nn::Weight> conv;
    conv["filter"] = weights_.conv_filter(prefix + "/conv/filters");
    conv["bias"] = weights_.as_is(prefix + "/conv/bias", 1);
    const int k = conv["filter"].dims[1];
    x = b_.add(nn::OpType::kConv2d, {x}, nn::window_attributes(k, stride, padding), std::move(conv),
               prefix + "/conv");
    std::map<std::string, nn::Weight> scale;
    scale["scale"] = weights_.as_is(prefix + "/scale/weights", 1);
    scale["bias"] = weights_.as_is(prefix + "/scale/biases", 1);
    x = b_.add(nn::OpType::kScaleBias, {x}, {}, std::move(scale), prefix + "/scale");
    if (relu) x = b_.add(nn::OpType::kRelu, {x}, {}, {}, prefix + "/relu");
    return x;
  }

  int residual(int x, const std::string& block) {
    int y = conv_layer(x, block + "/conv1", 1, "same", true);
    y = conv_layer(y, block + "/conv2", 1, "same", false);
    y = b_.add(nn::OpType::kAdd, {y, x}, {}, {}, block + "/add");
    return b_.add(nn::OpType::kRelu, {y}, {}, {}, block + "/relu");
  }

  int residual_down(int x, const std::string& block) {
    int y = conv_layer(x, block + "/conv1", 2, "valid", true);
    y = conv_layer(y, block + "/conv2", 1, "same", false);
    int shortcut = b_.add(nn::OpType::kAvgPool2d, {x}, nn::window_attributes(2, 2, "valid"), {},
                          block + "/pool");
    const nn::Shape& s = b_.shape(shortcut);
    const nn::Shape& r = b_.shape(y);
    if (s.c != r.c) {
      nn::Attributes pad;
      pad.set("pad_channels_after", r.c - s.c);
      shortcut = b_.add(nn::OpType::kPad, {shortcut}, pad, {}, block + "/pad_channels");
    }
    if (s.h != r.h || s.w != r.w) {
      // face-api appends exactly one zero row and one zero column; a larger gap would make its
      // own add fail, so it cannot occur in a network it runs.
      if (s.h - r.h != 1 || s.w - r.w != 1) {
        weights_.fail(block, "shortcut " + s.str() + " and residual " + r.str() +
                                 " differ by more than one pixel");
      }
      nn::Attributes pad;
      pad.set("pad_bottom", 1);
      pad.set("pad_right", 1);
      y = b_.add(nn::OpType::kPad, {y}, pad, {}, block + "/pad_spatial");
    }
    y = b_.add(nn::OpType::kAdd, {y, shortcut}, {}, {}, block + "/add");
    return b_.add(nn::OpType::kRelu, {y}, {}, {}, block + "/relu");
  }

  TfjsWeightPool weights_;
  nn::GraphBuilder b_;
};

}  // namespace

nn::Model convert_dlib_resnet(const std::string& package_dir) {
  const std::string version = npm_package_version(package_dir, kPackageName);
  const nlohmann::json manifest = read_json_file(package_dir + "/" + kManifestFile);
  ResnetImporter importer(read_tfjs_weights(manifest, package_dir + "/model"));

  nn::Model model;
  model.graph = importer.build();
  nn::ModelMetadata& m = model.metadata;
  m.name = "dlib-resnet";
  m.input_height = kInputSize;
  m.input_width = kInputSize;
  m.input_channels = 3;
  m.pixel_mean.assign(kMeanRgb, kMeanRgb + 3);
  m.pixel_scale.assign(3, 1.0f / kDivisor);
  m.output_kind = "embedding";
  m.provenance = std::string(kPackageName) + " " + version + " (" + kManifestFile + ", " +
                 kShardFile +
                 "; uint8-quantised TF.js weights ported by face-api.js); network and weights: "
                 "dlib_face_recognition_resnet_model_v1 by Davis King (dlib); converted by "
                 "faceunlock convert dlib-resnet";
  m.license =
      "weights: released into the public domain by Davis King (davisking/dlib-models README); "
      "trained on FaceScrub, VGG Face and web images; face-api packaging: MIT";
  m.properties["embedder.dimension"] = std::to_string(kEmbeddingSize);
  m.properties["embedder.keypoints"] = "right_eye,left_eye,nose_tip,mouth_center";
  m.properties["embedder.template"] = kTemplate;
  m.properties["embedder.threshold"] = kThreshold;
  m.properties["embedder.threshold.far_1e-3"] = kThresholdFar1e3;
  m.properties["embedder.threshold.far_1e-4"] = kThresholdFar1e4;
  m.properties["embedder.threshold.far_2e-5"] = kThresholdFar2e5;
  m.properties["embedder.threshold.source"] = kThresholdSource;
  return model;
}

}  // namespace fu::tools
