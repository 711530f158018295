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
#include <fstream>
#include <map>
#include <string>

#include "base/error.h"
#include "convert/converters.h"
#include "convert/tfjs_weights.h"
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

[[noreturn]] void fail(const std::string& value, const std::string& reason) {
  throw Error("cannot convert face-landmarks-68 (" + value + "): " + reason);
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open JSON file (" + path + "): no such file or not readable");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error("cannot parse JSON file (" + path + "): not valid JSON");
  return j;
}

std::string package_version(const std::string& package_dir) {
  const std::string path = package_dir + "/package.json";
  const nlohmann::json j = read_json(path);
  if (!j.contains("name") || j["name"] != kPackageName || !j.contains("version") ||
      !j["version"].is_string()) {
    fail(path, "not the package.json of " + std::string(kPackageName));
  }
  return j["version"].get<std::string>();
}

// Takes each weight once; leftovers mean the package holds a network this converter does not
// know.
class LandmarkImporter {
 public:
  explicit LandmarkImporter(std::map<std::string, TfjsWeight> weights)
      : weights_(std::move(weights)), b_(nn::Shape{1, kInputSize, kInputSize, 3}, "input") {}

  nn::Graph build() {
    int x = dense_block(b_.input(), "dense0", /*first=*/true);
    for (const char* block : {"dense1", "dense2", "dense3"}) x = dense_block(x, block, false);
    nn::Attributes pool = window(7, 2, "valid");
    x = b_.add(nn::OpType::kAvgPool2d, {x}, pool, {}, "avg_pool");
    std::map<std::string, nn::Weight> fc;
    fc["filter"] = fc_filter();
    fc["bias"] = as_is(take("fc/bias", 1));
    x = b_.add(nn::OpType::kFullyConnected, {x}, {}, std::move(fc), "landmarks");
    b_.mark_output(x);
    if (!weights_.empty()) {
      fail(weights_.begin()->first, "the package holds " + std::to_string(weights_.size()) +
                                        " weights this network does not use; is it a different "
                                        "model?");
    }
    return b_.finish();
  }

 private:
  static nn::Attributes window(int kernel, int stride, const char* padding) {
    nn::Attributes a;
    a.set("kernel_h", kernel);
    a.set("kernel_w", kernel);
    a.set("stride_h", stride);
    a.set("stride_w", stride);
    a.set("padding", padding);
    return a;
  }

  TfjsWeight take(const std::string& name, std::size_t rank) {
    auto it = weights_.find(name);
    if (it == weights_.end()) fail(name, "the package has no such weight");
    TfjsWeight w = std::move(it->second);
    weights_.erase(it);
    if (w.shape.size() != rank) {
      fail(name, "rank " + std::to_string(w.shape.size()) + ", expected " + std::to_string(rank));
    }
    return w;
  }

  static nn::Weight as_is(TfjsWeight&& w) {
    nn::Weight out;
    out.dims = w.shape;
    out.data = std::move(w.values);
    out.quantization = w.quantization;
    return out;
  }

  // TF's HWIO to the runtime's OHWI.
  nn::Weight conv_filter(const std::string& name) {
    TfjsWeight w = take(name, 4);
    const int kh = w.shape[0], kw = w.shape[1], in = w.shape[2], out = w.shape[3];
    nn::Weight f;
    f.dims = {out, kh, kw, in};
    f.data.resize(w.values.size());
    for (int y = 0; y < kh; ++y) {
      for (int x = 0; x < kw; ++x) {
        for (int i = 0; i < in; ++i) {
          for (int o = 0; o < out; ++o) {
            f.data[((static_cast<std::size_t>(o) * kh + y) * kw + x) * in + i] =
                w.values[((static_cast<std::size_t>(y) * kw + x) * in + i) * out + o];
          }
        }
      }
    }
    f.quantization = w.quantization;
    return f;
  }

  // [kh,kw,C,1] and the runtime's [1,kh,kw,C] list the values in the same order.
  nn::Weight depthwise_filter(const std::string& name) {
    TfjsWeight w = take(name, 4);
    if (w.shape[3] != 1) {
      fail(name, "depth multiplier " + std::to_string(w.shape[3]) + ", expected 1");
    }
    nn::Weight f;
    f.dims = {1, w.shape[0], w.shape[1], w.shape[2]};
    f.data = std::move(w.values);
    f.quantization = w.quantization;
    return f;
  }

  // face-api multiplies [N,256] by fc/weights [256,136]; the runtime's filter is [out, in].
  nn::Weight fc_filter() {
    TfjsWeight w = take("fc/weights", 2);
    const int in = w.shape[0], out = w.shape[1];
    if (out != 2 * kLandmarkCount) {
      fail("fc/weights", std::to_string(out) + " outputs, expected " +
                             std::to_string(2 * kLandmarkCount) + " (x, y of 68 points)");
    }
    nn::Weight f;
    f.dims = {out, in};
    f.data.resize(w.values.size());
    for (int i = 0; i < in; ++i) {
      for (int o = 0; o < out; ++o) {
        f.data[static_cast<std::size_t>(o) * in + i] =
            w.values[static_cast<std::size_t>(i) * out + o];
      }
    }
    f.quantization = w.quantization;
    return f;
  }

  int plain_conv(int x, const std::string& prefix, int stride) {
    std::map<std::string, nn::Weight> conv;
    conv["filter"] = conv_filter(prefix + "/filters");
    conv["bias"] = as_is(take(prefix + "/bias", 1));
    const int k = conv["filter"].dims[1];
    return b_.add(nn::OpType::kConv2d, {x}, window(k, stride, "same"), std::move(conv), prefix);
  }

  int separable_conv(int x, const std::string& prefix, int stride) {
    std::map<std::string, nn::Weight> depthwise;
    depthwise["filter"] = depthwise_filter(prefix + "/depthwise_filter");
    const int k = depthwise["filter"].dims[1];
    x = b_.add(nn::OpType::kDepthwiseConv2d, {x}, window(k, stride, "same"), std::move(depthwise),
               prefix + "/depthwise");
    std::map<std::string, nn::Weight> pointwise;
    pointwise["filter"] = conv_filter(prefix + "/pointwise_filter");
    pointwise["bias"] = as_is(take(prefix + "/bias", 1));
    return b_.add(nn::OpType::kConv2d, {x}, window(1, 1, "valid"), std::move(pointwise),
                  prefix + "/pointwise");
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

  std::map<std::string, TfjsWeight> weights_;
  nn::GraphBuilder b_;
};

}  // namespace

nn::Model convert_face_landmarks_68(const std::string& package_dir) {
  const std::string version = package_version(package_dir);
  const nlohmann::json manifest = read_json(package_dir + "/" + kManifestFile);
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
