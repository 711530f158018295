#include "train/architecture.h"

#include <cmath>
#include <random>
#include <sstream>

#include "base/error.h"
#include "nn/graph_builder.h"

namespace fu::train {

namespace {

using nn::Attributes;
using nn::GraphBuilder;
using nn::OpType;
using nn::Weight;

// dlib-resnet's shipped template (150 x 150, tuned by faceunlock calibrate; models/README.md).
constexpr double kDlibTemplate[] = {44.580, 44.496, 103.434, 44.477,
                                    74.013, 77.450, 74.013,  110.259};
constexpr int kDlibTemplateSize = 150;

// Normal deviates from our own Box-Muller over mt19937_64, so a seed gives the same network
// with every standard library.
class Gaussian {
 public:
  explicit Gaussian(std::uint64_t seed) : rng_(seed) {}
  double next() {
    const double u1 = (static_cast<double>(rng_() >> 11) + 0.5) / 9007199254740992.0;
    const double u2 = static_cast<double>(rng_() >> 11) / 9007199254740992.0;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::mt19937_64 rng_;
};

class Builder {
 public:
  Builder(const nn::Shape& input, std::uint64_t seed) : g_(input), gauss_(seed) {}

  int conv(int x, int out, int kernel, int stride, const std::string& name) {
    const int in = g_.shape(x).c;
    Weight filter = he({out, kernel, kernel, in}, kernel * kernel * in);
    return g_.add(OpType::kConv2d, {x}, nn::window_attributes(kernel, stride, "same"),
                  {{"filter", std::move(filter)}}, name);
  }
  int depthwise(int x, int kernel, int stride, const char* padding, const std::string& name) {
    const int ch = g_.shape(x).c;
    Weight filter = he({1, kernel, kernel, ch}, kernel * kernel);
    return g_.add(OpType::kDepthwiseConv2d, {x}, nn::window_attributes(kernel, stride, padding),
                  {{"filter", std::move(filter)}}, name);
  }
  int batch_norm(int x, const std::string& name) {
    const int ch = g_.shape(x).c;
    Attributes a;
    a.set("epsilon", 1e-5);
    a.set("momentum", 0.1);
    return g_.add(OpType::kBatchNorm, {x}, a,
                  {{"scale", constant(ch, 1.0f)},
                   {"bias", constant(ch, 0.0f)},
                   {"mean", constant(ch, 0.0f)},
                   {"variance", constant(ch, 1.0f)}},
                  name);
  }
  int prelu(int x, const std::string& name) {
    return g_.add(OpType::kPRelu, {x}, {}, {{"slope", constant(g_.shape(x).c, 0.25f)}}, name);
  }
  int conv_bn_prelu(int x, int out, int kernel, int stride, const std::string& name) {
    return prelu(batch_norm(conv(x, out, kernel, stride, name), name + "_bn"), name + "_prelu");
  }
  int add(OpType op, std::vector<int> inputs, Attributes a, const std::string& name) {
    return g_.add(op, inputs, std::move(a), {}, name);
  }
  const nn::Shape& shape(int x) const { return g_.shape(x); }
  GraphBuilder& graph() { return g_; }

 private:
  Weight he(std::vector<int> dims, int fan_in) {
    Weight w;
    w.dims = std::move(dims);
    w.data.resize(w.element_count());
    const double sd = std::sqrt(2.0 / fan_in);
    for (float& v : w.data) v = static_cast<float>(gauss_.next() * sd);
    return w;
  }
  static Weight constant(int channels, float value) {
    return Weight{{channels}, std::vector<float>(channels, value), std::nullopt};
  }

  GraphBuilder g_;
  Gaussian gauss_;
};

int scaled(int channels, double width) {
  return std::max(8, static_cast<int>(std::lround(channels * width / 8.0)) * 8);
}

// An inverted residual: 1x1 expansion, 3x3 depthwise (the stride), linear 1x1 projection.
int bottleneck(Builder& b, int x, int expansion, int out, int stride, const std::string& name) {
  const int in = b.shape(x).c;
  int y = b.conv_bn_prelu(x, in * expansion, 1, 1, name + "_expand");
  y = b.depthwise(y, 3, stride, "same", name + "_dw");
  y = b.prelu(b.batch_norm(y, name + "_dw_bn"), name + "_dw_prelu");
  y = b.batch_norm(b.conv(y, out, 1, 1, name + "_project"), name + "_project_bn");
  if (stride == 1 && in == out) y = b.add(OpType::kAdd, {x, y}, {}, name + "_add");
  return y;
}

int head(Builder& b, int x, const ArchitectureOptions& o) {
  if (o.dropout > 0.0f) {
    Attributes a;
    a.set("rate", static_cast<double>(o.dropout));
    x = b.add(OpType::kDropout, {x}, a, "dropout");
  }
  x = b.batch_norm(b.conv(x, o.embedding_size, 1, 1, "embedding"), "embedding_bn");
  return b.add(OpType::kL2Normalize, {x}, {}, "l2_normalize");
}

int mobilefacenet(Builder& b, const ArchitectureOptions& o) {
  const double w = o.width;
  int x = b.conv_bn_prelu(0, scaled(64, w), 3, 2, "stem");
  x = b.depthwise(x, 3, 1, "same", "stem_dw");
  x = b.prelu(b.batch_norm(x, "stem_dw_bn"), "stem_dw_prelu");
  struct Stage {
    int expansion, channels, repeats, stride;
  };
  const Stage stages[] = {
      {2, 64, 5, 2}, {4, 128, 1, 2}, {2, 128, 6, 1}, {4, 128, 1, 2}, {2, 128, 2, 1}};
  int index = 0;
  for (const Stage& s : stages) {
    for (int r = 0; r < s.repeats; ++r) {
      x = bottleneck(b, x, s.expansion, scaled(s.channels, w), r == 0 ? s.stride : 1,
                     "block" + std::to_string(++index));
    }
  }
  x = b.conv_bn_prelu(x, scaled(512, w), 1, 1, "expand");
  // The global depthwise convolution: one weight per position and channel, so the head can
  // weigh the centre of the face differently from its border (average pooling cannot).
  x = b.depthwise(x, b.shape(x).h, 1, "valid", "gdc");
  x = b.batch_norm(x, "gdc_bn");
  return head(b, x, o);
}

int tiny(Builder& b, const ArchitectureOptions& o) {
  const double w = o.width;
  int x = b.conv_bn_prelu(0, scaled(8, w), 3, 2, "stage1");
  x = b.conv_bn_prelu(x, scaled(16, w), 3, 2, "stage2");
  x = b.depthwise(x, 3, 1, "same", "stage3_dw");
  x = b.prelu(b.batch_norm(x, "stage3_bn"), "stage3_prelu");
  x = b.add(OpType::kGlobalAvgPool, {x}, {}, "pool");
  return head(b, x, o);
}

}  // namespace

std::vector<std::string> architecture_names() { return {"mobilefacenet", "tiny"}; }

std::string scaled_dlib_template(int size) {
  std::ostringstream s;
  s.precision(6);
  for (std::size_t i = 0; i < std::size(kDlibTemplate); ++i) {
    // Pixel-centre convention: scale about the image's centre line, not its corner.
    const double v = (kDlibTemplate[i] + 0.5) * size / kDlibTemplateSize - 0.5;
    s << (i ? "," : "") << std::fixed << v;
  }
  return s.str();
}

nn::Model build_architecture(const ArchitectureOptions& o) {
  const std::string what = "cannot build architecture (" + o.name + "): ";
  if (o.input_size < 16 || o.input_size > 512 || o.input_size % 16 != 0) {
    throw Error(what + "input size " + std::to_string(o.input_size) +
                " must be a multiple of 16 from 16 to 512");
  }
  if (!(o.width >= 0.125 && o.width <= 4.0)) {
    throw Error(what + "width " + std::to_string(o.width) + " must be from 0.125 to 4");
  }
  if (o.embedding_size < 8 || o.embedding_size > 2048) {
    throw Error(what + "embedding size must be from 8 to 2048");
  }
  if (!(o.dropout >= 0.0f && o.dropout < 1.0f)) throw Error(what + "dropout must be in [0, 1)");
  Builder b(nn::Shape{1, o.input_size, o.input_size, 3}, o.seed);
  int out;
  if (o.name == "mobilefacenet") {
    out = mobilefacenet(b, o);
  } else if (o.name == "tiny") {
    out = tiny(b, o);
  } else {
    throw Error(what + "unknown architecture (known: mobilefacenet, tiny)");
  }
  b.graph().mark_output(out);
  nn::Model model;
  model.graph = b.graph().finish();
  nn::ModelMetadata& m = model.metadata;
  std::ostringstream name;
  name << o.name << "-w" << o.width << "-" << o.input_size;
  m.name = name.str();
  m.input_height = o.input_size;
  m.input_width = o.input_size;
  m.input_channels = 3;
  // Pixels to [-1, 1].
  m.pixel_mean = {127.5f, 127.5f, 127.5f};
  m.pixel_scale = {1.0f / 127.5f, 1.0f / 127.5f, 1.0f / 127.5f};
  m.output_kind = "embedding";
  m.properties["embedder.dimension"] = std::to_string(o.embedding_size);
  m.properties["embedder.keypoints"] = "right_eye,left_eye,nose_tip,mouth_center";
  m.properties["embedder.template"] = scaled_dlib_template(o.input_size);
  m.properties["train.architecture"] = o.name;
  std::ostringstream width;
  width << o.width;
  m.properties["train.width"] = width.str();
  return model;
}

}  // namespace fu::train
