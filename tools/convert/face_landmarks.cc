// face-api.js's 68-point landmark network (FaceLandmark68Net by Vincent Mühler), as
// @vladmandic/face-api ships it. The graph follows face-api's FaceFeatureExtractor and
// FaceLandmark68Net (src/faceFeatureExtractor/*.ts, src/faceLandmarkNet/*.ts in the package), the
// code its weights were trained and checked with:
//
//   input 112x112x3, (pixel - mean_rgb) / 255
//   dense0   first conv 3x3/2 SAME + bias (a plain conv)                 -> 56x56x32
//   dense1   first conv separable 3x3/2 SAME                             -> 28x28x64
//   dense2   first conv separable 3x3/2 SAME                             -> 14x14x128
//   dense3   first conv separable 3x3/2 SAME                             -> 7x7x256
//   avg pool 7x7/2 VALID                                                 -> 1x1x256
//   fully connected 256 -> 136 with bias: x0, y0, x1, y1, ... of the 68 points
//
// A dense block (denseBlock4): out1 = relu(conv0(x)), then three separable 3x3/1 SAME convs each
// fed the relu of the sum of everything before it:
//   out2 = conv1(out1); out3 = conv2(relu(out1 + out2)); out4 = conv3(relu(out1 + out2 + out3))
//   result = relu(out1 + out2 + out3 + out4)
// A separable conv is TF's separableConv2d (depthwise 3x3 without bias, pointwise 1x1) plus one
// bias after the pointwise step.
//
// The outputs are fractions of the network's input square. face-api feeds it the detector's box
// cut from the image, padded with black to a square (centred) and resized, so x and y in [0, 1]
// span that padded square; src/face/landmarks.cc does the same and maps them back.
#include <map>
#include <string>

#include "base/error.h"
#include "convert/converters.h"
#include "convert/tfjs_layers.h"
#include "nn/graph_builder.h"

namespace fu::tools {
namespace {

constexpr const char* kPackageName = "@vladmandic/face-api";
constexpr const char* kManifestFile = "model/face_landmark_68_model-weights_manifest.json";
constexpr const char* kShardFile = "model/face_landmark_68_model.bin";
constexpr int kInputSize = 112;
constexpr int kLandmarkCount = 68;

// FaceFeatureExtractor.forwardInput: the mean subtracted in RGB order, then divided by 255 (the
// same constants as face-api's recognition net).
constexpr float kMeanRgb[3] = {122.782f, 117.001f, 104.298f};
constexpr float kDivisor = 255.0f;

// Takes each weight once; leftovers mean the package holds a network this converter does not
// know.
class LandmarkImporter {
 public:
  explicit LandmarkImporter(std::map<std::string, TfjsWeight> weights)
      : weights_(std::move(weights), "face-landmarks-68"),
        b_(nn::Shape{1, kInputSize, kInputSize, 3}, "input") {}

  nn::Graph build() {
    int x = dense_block(b_.input(), "dense0", /*first=*/true);
    for (const char* block : {"dense1", "dense2", "dense3"}) x = dense_block(x, block, false);
    x = b_.add(nn::OpType::kAvgPool2d, {x}, nn::window_attributes(7, 2, "valid"), {}, "avg_pool");
    std::map<std::string, nn::Weight> fc;
    // face-api multiplies [N,256] by fc/weights [256,136].
    fc["filter"] = weights_.dense_filter("fc/weights");
    if (fc["filter"].dims[0] != 2 * kLandmarkCount) {
      weights_.fail("fc/weights", std::to_string(fc["filter"].dims[0]) + " outputs, expected " +
                                      std::to_string(2 * kLandmarkCount) + " (x, y of 68 points)");
    }
    fc["bias"] = weights_.as_is("fc/bias", 1);
    x = b_.add(nn::OpType::kFullyConnected, {x}, {}, std::move(fc), "landmarks");
    b_.mark_output(x);
    weights_.expect_all_used();
    return b_.finish();
  }

 private:
  int plain_conv(int x, const std::string& prefix, int stride) {
    std::map<std::string, nn::Weight> conv;
    conv["filter"] = weights_.conv_filter(prefix + "/filters");
    conv["bias"] = weights_.as_is(prefix + "/bias", 1);
    const int k = conv["filter"].dims[1];
    return b_.add(nn::OpType::kConv2d, {x}, nn::window_attributes(k, stride, "same"),
                  std::move(conv), prefix);
  }

  int separable_conv(int x, const std::string& prefix, int stride) {
    std::map<std::string, nn::Weight> depthwise;
    depthwise["filter"] = weights_.depthwise_filter(prefix + "/depthwise_filter");
    const int k = depthwise["filter"].dims[1];
    x = b_.add(nn::OpType::kDepthwiseConv2d, {x}, nn::window_attributes(k, stride, "same"),
               std::move(depthwise), prefix + "/depthwise");
    std::map<std::string, nn::Weight> pointwise;
    pointwise["filter"] = weights_.conv_filter(prefix + "/pointwise_filter");
    pointwise["bias"] = weights_.as_is(prefix + "/bias", 1);
    return b_.add(nn::OpType::kConv2d, {x}, nn::window_attributes(1, 1, "valid"),
                  std::move(pointwise), prefix + "/pointwise");
  }

  int relu(int x, const std::string& name) { return b_.add(nn::OpType::kRelu, {x}, {}, {}, name); }

  int add(int a, int b, const std::string& name) {
    return b_.add(nn::OpType::kAdd, {a, b}, {}, {}, name);
  }

  int dense_block(int x, const std::string& block, bool first) {
    const int conv0 =
        first ? plain_conv(x, block + "/conv0", 2) : separable_conv(x, block + "/conv0", 2);
    const int out1 = relu(conv0, block + "/relu0");
    const int out2 = separable_conv(out1, block + "/conv1", 1);
    const int sum12 = add(out1, out2, block + "/add1");
    const int out3 = separable_conv(relu(sum12, block + "/relu1"), block + "/conv2", 1);
    const int sum123 = add(sum12, out3, block + "/add2");
    const int out4 = separable_conv(relu(sum123, block + "/relu2"), block + "/conv3", 1);
    return relu(add(sum123, out4, block + "/add3"), block + "/relu3");
  }

  TfjsWeightPool weights_;
  nn::GraphBuilder b_;
};

}  // namespace

nn::Model convert_face_landmarks_68(const std::string& package_dir) {
  const std::string version = npm_package_version(package_dir, kPackageName);
  const nlohmann::json manifest = read_json_file(package_dir + "/" + kManifestFile);
  LandmarkImporter importer(read_tfjs_weights(manifest, package_dir + "/model"));

  nn::Model model;
  model.graph = importer.build();
  nn::ModelMetadata& m = model.metadata;
  m.name = "face-landmarks-68";
  m.input_height = kInputSize;
  m.input_width = kInputSize;
  m.input_channels = 3;
  m.pixel_mean.assign(kMeanRgb, kMeanRgb + 3);
  m.pixel_scale.assign(3, 1.0f / kDivisor);
  m.output_kind = "landmarks";
  m.provenance = std::string(kPackageName) + " " + version + " (" + kManifestFile + ", " +
                 kShardFile +
                 "); network and weights: FaceLandmark68Net of face-api.js by Vincent Mühler; "
                 "converted by faceunlock convert face-landmarks-68";
  m.license = "MIT (face-api.js, Vincent Mühler; @vladmandic/face-api)";
  m.properties["landmarks.count"] = std::to_string(kLandmarkCount);
  return model;
}

}  // namespace fu::tools
