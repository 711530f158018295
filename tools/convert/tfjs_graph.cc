#include "convert/tfjs_graph.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include "base/error.h"
#include "convert/tfjs_layers.h"

namespace fu::tools {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const TfjsNode& n, const std::string& reason) {
  throw Error("cannot convert TF.js node (" + n.name + ", op " + n.op + "): " + reason);
}

// GraphDef string attributes are bytes, which the JSON form carries base64-encoded.
std::string base64_decode(const std::string& text) {
  auto digit = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  unsigned bits = 0;
  int bit_count = 0;
  for (char c : text) {
    if (c == '=') break;
    const int d = digit(c);
    if (d < 0) throw Error("cannot decode base64 attribute (" + text + "): invalid character");
    bits = (bits << 6) | static_cast<unsigned>(d);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xFF));
    }
  }
  return out;
}

std::string folder_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

// int64 attributes arrive as JSON strings (protobuf's JSON mapping), small ones sometimes as
// numbers.
long long json_int(const TfjsNode& n, const json& v) {
  try {
    if (v.is_string()) return std::stoll(v.get<std::string>());
    if (v.is_number_integer()) return v.get<long long>();
  } catch (const std::exception&) {
  }
  fail(n, "attribute value " + v.dump() + " is not an integer");
}

int to_int(const TfjsNode& n, double v, const std::string& what) {
  if (!(v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max()) ||
      v != std::floor(v)) {
    fail(n, what + " " + std::to_string(v) + " is not a whole number in range");
  }
  return static_cast<int>(v);
}

const json* find_attr(const TfjsNode& n, const char* key) {
  if (!n.attr.is_object()) return nullptr;
  const auto it = n.attr.find(key);
  return it == n.attr.end() ? nullptr : &*it;
}

std::string attr_string(const TfjsNode& n, const char* key, const std::string& fallback) {
  const json* a = find_attr(n, key);
  if (!a || !a->contains("s")) return fallback;
  return base64_decode(a->at("s").get<std::string>());
}

std::vector<long long> attr_ints(const TfjsNode& n, const char* key) {
  std::vector<long long> out;
  const json* a = find_attr(n, key);
  if (!a || !a->contains("list") || !a->at("list").contains("i")) return out;
  for (const json& v : a->at("list").at("i")) out.push_back(json_int(n, v));
  return out;
}

std::vector<std::string> attr_strings(const TfjsNode& n, const char* key) {
  std::vector<std::string> out;
  const json* a = find_attr(n, key);
  if (!a || !a->contains("list") || !a->at("list").contains("s")) return out;
  for (const json& v : a->at("list").at("s")) out.push_back(base64_decode(v.get<std::string>()));
  return out;
}

bool attr_bool(const TfjsNode& n, const char* key, bool fallback) {
  const json* a = find_attr(n, key);
  if (!a || !a->contains("b")) return fallback;
  return a->at("b").get<bool>();
}

// Reads a [1, h, w, 1] list attribute (strides, dilations, ksize) into h and w.
void spatial_pair(const TfjsNode& n, const char* key, int fallback, int* h, int* w) {
  const std::vector<long long> v = attr_ints(n, key);
  if (v.empty()) {
    *h = *w = fallback;
    return;
  }
  if (v.size() != 4 || v[0] != 1 || v[3] != 1) {
    fail(n, std::string(key) + " must be [1,h,w,1] (NHWC)");
  }
  *h = to_int(n, static_cast<double>(v[1]), key);
  *w = to_int(n, static_cast<double>(v[2]), key);
}

nn::Attributes window_attributes(const TfjsNode& n) {
  const std::string format = attr_string(n, "data_format", "NHWC");
  if (format != "NHWC") fail(n, "data format " + format + " is not supported (only NHWC)");
  nn::Attributes a;
  int sh = 1, sw = 1, dh = 1, dw = 1;
  spatial_pair(n, "strides", 1, &sh, &sw);
  spatial_pair(n, "dilations", 1, &dh, &dw);
  a.set("stride_h", sh);
  a.set("stride_w", sw);
  if (dh != 1 || dw != 1) {
    a.set("dilation_h", dh);
    a.set("dilation_w", dw);
  }
  const std::string padding = attr_string(n, "padding", "");
  if (padding == "SAME") {
    a.set("padding", "same");
  } else if (padding == "VALID") {
    a.set("padding", "valid");
  } else if (padding == "EXPLICIT") {
    const std::vector<long long> p = attr_ints(n, "explicit_paddings");
    if (p.size() != 8 || p[0] || p[1] || p[6] || p[7]) {
      fail(n, "explicit_paddings must pad height and width only");
    }
    a.set("padding", "explicit");
    a.set("pad_top", to_int(n, static_cast<double>(p[2]), "padding"));
    a.set("pad_bottom", to_int(n, static_cast<double>(p[3]), "padding"));
    a.set("pad_left", to_int(n, static_cast<double>(p[4]), "padding"));
    a.set("pad_right", to_int(n, static_cast<double>(p[5]), "padding"));
  } else {
    fail(n, "padding '" + padding + "' is not supported (SAME, VALID or EXPLICIT)");
  }
  return a;
}

nn::Weight make_weight(std::vector<int> dims, std::vector<float> data,
                       std::optional<nn::Uint8Quantization> quantization = std::nullopt) {
  nn::Weight w;
  w.dims = std::move(dims);
  w.data = std::move(data);
  w.quantization = quantization;
  return w;
}

// A constant that TF broadcasts over NHWC acts per channel when it holds one value per channel
// or a single value.
std::vector<float> per_channel(const TfjsNode& n, const TfjsWeight& w, int channels) {
  if (static_cast<int>(w.values.size()) == channels) return w.values;
  if (w.values.size() == 1)
    return std::vector<float>(static_cast<std::size_t>(channels), w.values[0]);
  fail(n, "constant " + w.name + " has " + std::to_string(w.values.size()) +
              " values; expected one per channel (" + std::to_string(channels) + ")");
}

}  // namespace

const TfjsNode* TfjsGraphModel::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &nodes[it->second];
}

TfjsGraphModel read_tfjs_graph_model(const std::string& json_path) {
  json root = read_json_file(json_path);
  if (!root.is_object() || !root.contains("modelTopology") || !root["modelTopology"].is_object() ||
      !root["modelTopology"].contains("node")) {
    throw Error("cannot read TF.js model (" + json_path +
                "): no modelTopology.node; only graph models are supported");
  }
  if (!root.contains("weightsManifest")) {
    throw Error("cannot read TF.js model (" + json_path + "): no weightsManifest");
  }
  TfjsGraphModel model;
  model.path = json_path;
  try {
    for (const json& j : root["modelTopology"]["node"]) {
      TfjsNode n;
      n.name = j.at("name").get<std::string>();
      n.op = j.at("op").get<std::string>();
      n.attr = j.value("attr", json::object());
      for (const json& input : j.value("input", json::array())) {
        std::string s = input.get<std::string>();
        // Control dependencies order execution only; they carry no data.
        if (!s.empty() && s[0] == '^') continue;
        const std::size_t colon = s.find(':');
        if (colon != std::string::npos) {
          if (s.substr(colon) != ":0") {
            throw Error("cannot read TF.js model (" + json_path + "): node " + n.name + " reads " +
                        s + "; only first outputs are supported");
          }
          s.resize(colon);
        }
        n.inputs.push_back(s);
      }
      if (!model.index_.emplace(n.name, model.nodes.size()).second) {
        throw Error("cannot read TF.js model (" + json_path + "): node " + n.name +
                    " appears twice");
      }
      model.nodes.push_back(std::move(n));
    }
  } catch (const json::exception& e) {
    throw Error("cannot read TF.js model (" + json_path + "): " + e.what());
  }
  model.weights = read_tfjs_weights(root["weightsManifest"], folder_of(json_path));
  root.erase("modelTopology");
  root.erase("weightsManifest");
  model.info = std::move(root);
  return model;
}

TfjsGraphImporter::TfjsGraphImporter(const TfjsGraphModel& model, nn::GraphBuilder& builder)
    : model_(model), builder_(builder) {}

const TfjsNode& TfjsGraphImporter::node(const std::string& name) const {
  const TfjsNode* n = model_.find(name);
  if (!n) throw Error("cannot find TF.js node (" + name + "): not in " + model_.path);
  return *n;
}

bool TfjsGraphImporter::is_constant(const std::string& name) const {
  const TfjsNode* n = model_.find(name);
  return n && n->op == "Const";
}

const TfjsWeight& TfjsGraphImporter::constant(const TfjsNode& user, const std::string& name) const {
  if (!is_constant(name)) fail(user, "input " + name + " must be a constant");
  const auto it = model_.weights.find(name);
  if (it == model_.weights.end()) {
    fail(user, "constant " + name + " has no entry in the weights manifest");
  }
  return it->second;
}

int TfjsGraphImporter::rank(const std::string& name) const { return ranks_.at(name); }

int TfjsGraphImporter::value(const std::string& name) {
  const auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  const TfjsNode& n = node(name);
  if (!in_progress_.insert(name).second) fail(n, "the graph has a cycle through this node");
  int tf_rank = 4;
  const int id = import(n, &tf_rank);
  in_progress_.erase(name);
  values_[name] = id;
  ranks_[name] = tf_rank;
  return id;
}

int TfjsGraphImporter::add(const TfjsNode& n, nn::OpType op, const std::vector<int>& inputs,
                           nn::Attributes attributes, std::map<std::string, nn::Weight> weights,
                           const std::string& suffix) {
  try {
    return builder_.add(op, inputs, std::move(attributes), std::move(weights), n.name + suffix);
  } catch (const Error& e) {
    fail(n, e.what());
  }
}

int TfjsGraphImporter::import(const TfjsNode& n, int* tf_rank) {
  const std::string& op = n.op;
  auto input = [&](std::size_t i) -> const std::string& {
    if (i >= n.inputs.size()) fail(n, "has too few inputs");
    return n.inputs[i];
  };
  auto expect_inputs = [&](std::size_t count) {
    if (n.inputs.size() != count) {
      fail(n,
           "has " + std::to_string(n.inputs.size()) + " inputs, expected " + std::to_string(count));
    }
  };
  // Most ops keep their input's rank; the ones that change it set *tf_rank themselves.
  auto unary = [&](nn::OpType our_op) {
    expect_inputs(1);
    const int x = value(input(0));
    *tf_rank = rank(input(0));
    return add(n, our_op, {x});
  };

  if (op == "Placeholder") {
    const nn::Shape& s = builder_.shape(builder_.input());
    const json* shape = find_attr(n, "shape");
    if (shape && shape->contains("shape") && shape->at("shape").contains("dim")) {
      const json& dims = shape->at("shape").at("dim");
      const int expected[] = {s.n, s.h, s.w, s.c};
      if (dims.size() != 4) fail(n, "input must have rank 4 (NHWC)");
      for (std::size_t i = 0; i < 4; ++i) {
        const long long d = json_int(n, dims[i].value("size", json("-1")));
        if (d != -1 && d != expected[i]) {
          fail(n, "input shape does not match the expected " + s.str());
        }
      }
    }
    return builder_.input();
  }
  if (op == "Const") fail(n, "a constant is used as a tensor; only weights may be constant");
  if (op == "Identity") {
    expect_inputs(1);
    const int x = value(input(0));
    *tf_rank = rank(input(0));
    return x;
  }
  if (op == "Conv2D" || op == "_FusedConv2D") return convolution(n, false, tf_rank);
  if (op == "DepthwiseConv2dNative" || op == "FusedDepthwiseConv2dNative") {
    return convolution(n, true, tf_rank);
  }
  if (op == "Relu") return unary(nn::OpType::kRelu);
  if (op == "Relu6") return unary(nn::OpType::kRelu6);
  if (op == "Prelu") {
    expect_inputs(2);
    const int x = value(input(0));
    *tf_rank = rank(input(0));
    const std::vector<float> slope = per_channel(n, constant(n, input(1)), builder_.shape(x).c);
    return add(n, nn::OpType::kPRelu, {x}, {},
               {{"slope", make_weight({static_cast<int>(slope.size())}, slope)}});
  }
  if (op == "BiasAdd") {
    expect_inputs(2);
    return scale_bias(n, input(0), nullptr, &constant(n, input(1)), tf_rank);
  }
  if (op == "Add" || op == "AddV2") return add_or_pattern(n, tf_rank);
  if (op == "Mul") return mul_or_pattern(n, tf_rank);
  if (op == "MaxPool") return pool(n, nn::OpType::kMaxPool2d, tf_rank);
  if (op == "AvgPool") return pool(n, nn::OpType::kAvgPool2d, tf_rank);
  if (op == "Pad" || op == "PadV2") return pad(n, tf_rank);
  if (op == "Reshape") return reshape(n, tf_rank);
  if (op == "Mean") {
    expect_inputs(2);
    const int x = value(input(0));
    if (rank(input(0)) != 4) fail(n, "only the mean of a 4-d tensor is supported");
    std::vector<float> axes = constant(n, input(1)).values;
    for (float& a : axes) a = a < 0 ? a + 4 : a;
    if (!(axes.size() == 2 && ((axes[0] == 1 && axes[1] == 2) || (axes[0] == 2 && axes[1] == 1)))) {
      fail(n, "only the mean over height and width (axes 1,2) is supported");
    }
    const bool keep_dims = attr_bool(n, "keep_dims", false);
    *tf_rank = keep_dims ? 4 : 2;
    return add(n, nn::OpType::kGlobalAvgPool, {x});
  }
  if (op == "ConcatV2") {
    if (n.inputs.size() < 3) fail(n, "needs at least two tensors and an axis");
    const std::vector<float>& axis = constant(n, n.inputs.back()).values;
    std::vector<int> xs;
    for (std::size_t i = 0; i + 1 < n.inputs.size(); ++i) xs.push_back(value(n.inputs[i]));
    *tf_rank = rank(n.inputs[0]);
    if (axis.size() != 1 || !(axis[0] == -1 || axis[0] == *tf_rank - 1)) {
      fail(n, "only concatenation along the last (channel) axis is supported");
    }
    return add(n, nn::OpType::kConcat, xs);
  }
  if (op == "Squeeze") {
    expect_inputs(1);
    const int x = value(input(0));
    const nn::Shape& s = builder_.shape(x);
    std::vector<long long> dims = attr_ints(n, "squeeze_dims");
    if (dims.empty()) dims = attr_ints(n, "axis");
    if (rank(input(0)) != 4) fail(n, "only squeezing a 4-d tensor is supported");
    if (dims.empty()) {
      if (s.h != 1 || s.w != 1) fail(n, "squeezing without axes needs unit height and width");
      dims = {1, 2};
    }
    // NHWC with a unit height or width has the same element order as the squeezed tensor, so
    // the value passes through unchanged.
    for (long long d : dims) {
      if (!((d == 1 && s.h == 1) || (d == 2 && s.w == 1))) {
        fail(n, "only squeezing a unit height or width is supported (axis " + std::to_string(d) +
                    " of " + s.str() + ")");
      }
    }
    *tf_rank = 4 - static_cast<int>(dims.size());
    return x;
  }
  fail(n, "op is not supported by the TF.js graph importer");
}

int TfjsGraphImporter::convolution(const TfjsNode& n, bool depthwise, int* tf_rank) {
  const bool fused = n.op[0] == '_' || n.op.rfind("Fused", 0) == 0;
  if (n.inputs.size() < 2) fail(n, "needs an input and a filter");
  const TfjsWeight& filter = constant(n, n.inputs[1]);
  if (filter.shape.size() != 4) fail(n, "filter " + filter.name + " must have rank 4");
  const int kh = filter.shape[0], kw = filter.shape[1];
  const int in_c = filter.shape[2], out_c = filter.shape[3];
  int channels = out_c;
  std::map<std::string, nn::Weight> weights;
  if (depthwise) {
    if (out_c != 1) {
      fail(n, "depth multiplier " + std::to_string(out_c) + " is not supported (only 1)");
    }
    channels = in_c;
    // [kh,kw,C,1] and [1,kh,kw,C] list the values in the same order.
    weights["filter"] = make_weight({1, kh, kw, in_c}, filter.values, filter.quantization);
  } else {
    // A permutation keeps every value, so uint8 storage stays exact.
    weights["filter"] =
        make_weight({out_c, kh, kw, in_c}, hwio_to_ohwi(filter.values, kh, kw, in_c, out_c),
                    filter.quantization);
  }

  const std::vector<std::string> fused_ops =
      fused ? attr_strings(n, "fused_ops") : std::vector<std::string>{};
  std::size_t next = 2;
  std::string activation;
  for (std::size_t i = 0; i < fused_ops.size(); ++i) {
    const std::string& f = fused_ops[i];
    if (f == "BiasAdd" && i == 0) {
      if (next >= n.inputs.size()) fail(n, "fused BiasAdd has no bias input");
      const TfjsWeight& bias = constant(n, n.inputs[next++]);
      if (static_cast<int>(bias.values.size()) != channels) {
        fail(n, "bias " + bias.name + " has " + std::to_string(bias.values.size()) +
                    " values for " + std::to_string(channels) + " channels");
      }
      weights["bias"] = make_weight({channels}, bias.values, bias.quantization);
    } else if ((f == "Relu" || f == "Relu6" || f == "Prelu") && i + 1 == fused_ops.size()) {
      activation = f;
    } else {
      fail(n, "fused op sequence [" + join(fused_ops) + "] is not supported");
    }
  }
  const std::size_t operand_count = next + (activation == "Prelu" ? 1 : 0);
  if (n.inputs.size() != operand_count) {
    fail(n, "has " + std::to_string(n.inputs.size()) + " inputs, expected " +
                std::to_string(operand_count) + " for fused ops [" + join(fused_ops) + "]");
  }

  nn::Attributes a = window_attributes(n);
  if (activation == "Relu" || activation == "Relu6") a.set("output_min", 0.0);
  if (activation == "Relu6") a.set("output_max", 6.0);
  const int x = value(n.inputs[0]);
  *tf_rank = 4;
  const nn::OpType op = depthwise ? nn::OpType::kDepthwiseConv2d : nn::OpType::kConv2d;
  if (activation != "Prelu") return add(n, op, {x}, std::move(a), std::move(weights));
  const int conv = add(n, op, {x}, std::move(a), std::move(weights), "/conv");
  const std::vector<float> slope = per_channel(n, constant(n, n.inputs[next]), channels);
  return add(n, nn::OpType::kPRelu, {conv}, {}, {{"slope", make_weight({channels}, slope)}});
}

int TfjsGraphImporter::pool(const TfjsNode& n, nn::OpType op, int* tf_rank) {
  if (n.inputs.size() != 1) fail(n, "needs exactly one input");
  int kh = 0, kw = 0;
  spatial_pair(n, "ksize", 0, &kh, &kw);
  if (kh <= 0 || kw <= 0) fail(n, "needs a ksize attribute [1,h,w,1]");
  nn::Attributes a = window_attributes(n);
  a.set("kernel_h", kh);
  a.set("kernel_w", kw);
  const int x = value(n.inputs[0]);
  *tf_rank = 4;
  return add(n, op, {x}, std::move(a));
}

int TfjsGraphImporter::pad(const TfjsNode& n, int* tf_rank) {
  const std::size_t expected = n.op == "PadV2" ? 3 : 2;
  if (n.inputs.size() != expected) fail(n, "has the wrong number of inputs");
  const int x = value(n.inputs[0]);
  if (rank(n.inputs[0]) != 4) fail(n, "only padding a 4-d tensor is supported");
  *tf_rank = 4;
  const TfjsWeight& paddings = constant(n, n.inputs[1]);
  const std::vector<float>& p = paddings.values;
  if (p.size() != 8) fail(n, "paddings must be [4,2]");
  if (p[0] != 0 || p[1] != 0) fail(n, "padding the batch dimension is not supported");
  nn::Attributes a;
  const char* keys[] = {"pad_top",   "pad_bottom",          "pad_left",
                        "pad_right", "pad_channels_before", "pad_channels_after"};
  for (int i = 0; i < 6; ++i) {
    const int amount = to_int(n, p[2 + i], "padding");
    if (amount < 0) fail(n, "negative padding (cropping) is not supported");
    if (amount) a.set(keys[i], amount);
  }
  if (n.op == "PadV2") {
    const TfjsWeight& fill = constant(n, n.inputs[2]);
    if (fill.values.size() != 1) fail(n, "the padding value must be a scalar");
    if (fill.values[0] != 0.0f) a.set("value", static_cast<double>(fill.values[0]));
  }
  return add(n, nn::OpType::kPad, {x}, std::move(a));
}

int TfjsGraphImporter::reshape(const TfjsNode& n, int* tf_rank) {
  if (n.inputs.size() != 2) fail(n, "needs a tensor and a shape");
  const int x = value(n.inputs[0]);
  const nn::Shape& in = builder_.shape(x);
  std::vector<float> shape = constant(n, n.inputs[1]).values;
  std::size_t known = 1;
  int unknown = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const int d = to_int(n, shape[i], "shape entry");
    if (d == -1 && unknown < 0) {
      unknown = static_cast<int>(i);
    } else if (d <= 0) {
      fail(n, "shape entry " + std::to_string(d) + " is not supported");
    } else {
      known *= static_cast<std::size_t>(d);
    }
  }
  if (unknown >= 0) {
    if (known == 0 || in.size() % known) fail(n, "cannot infer the -1 entry of the shape");
    shape[static_cast<std::size_t>(unknown)] = static_cast<float>(in.size() / known);
  }
  if (shape.size() < 2 || shape.size() > 4 || shape[0] != static_cast<float>(in.n)) {
    fail(n, "only reshapes to rank 2, 3 or 4 that keep the batch are supported");
  }
  // NHWC element order is TF's row-major order, so any 4-d shape with the right count is the
  // same tensor: [N,C] becomes [N,1,1,C] and [N,A,B] becomes [N,1,A,B].
  std::vector<int> hwc(3, 1);
  for (std::size_t i = 1; i < shape.size(); ++i) {
    hwc[3 - (shape.size() - i)] = static_cast<int>(shape[i]);
  }
  *tf_rank = static_cast<int>(shape.size());
  nn::Attributes a;
  a.set("height", hwc[0]);
  a.set("width", hwc[1]);
  a.set("channels", hwc[2]);
  return add(n, nn::OpType::kReshape, {x}, std::move(a));
}

int TfjsGraphImporter::scale_bias(const TfjsNode& n, const std::string& x_name,
                                  const TfjsWeight* scale, const TfjsWeight* bias, int* tf_rank) {
  const int x = value(x_name);
  *tf_rank = rank(x_name);
  if (*tf_rank != 4 && *tf_rank != 2) fail(n, "per-channel constants need a 2-d or 4-d tensor");
  const int channels = builder_.shape(x).c;
  std::map<std::string, nn::Weight> weights;
  weights["scale"] =
      scale ? make_weight({channels}, per_channel(n, *scale, channels))
            : make_weight({channels}, std::vector<float>(static_cast<std::size_t>(channels), 1.0f));
  weights["bias"] =
      bias ? make_weight({channels}, per_channel(n, *bias, channels))
           : make_weight({channels}, std::vector<float>(static_cast<std::size_t>(channels), 0.0f));
  return add(n, nn::OpType::kScaleBias, {x}, {}, std::move(weights));
}

// Some TF exports spell PReLU as relu(x) + c * (x - |x|) with c = alpha / 2. When a converter
// has already folded the Relu into the op producing x (so x >= 0), the sum reads x + c * (x - |x|)
// instead; both are PReLU of x, with slopes 2c and 1 + 2c, and importing them as such reproduces
// exactly what the original graph computes.
int TfjsGraphImporter::add_or_pattern(const TfjsNode& n, int* tf_rank) {
  if (n.inputs.size() != 2) fail(n, "needs two inputs");
  for (int k = 0; k < 2; ++k) {
    const std::string& other = n.inputs[static_cast<std::size_t>(k)];
    const TfjsNode& mul = node(n.inputs[static_cast<std::size_t>(1 - k)]);
    if (mul.op != "Mul" || mul.inputs.size() != 2) continue;
    const int c_side = is_constant(mul.inputs[1]) ? 1 : is_constant(mul.inputs[0]) ? 0 : -1;
    if (c_side < 0) continue;
    const TfjsNode& sub = node(mul.inputs[static_cast<std::size_t>(1 - c_side)]);
    if (sub.op != "Sub" || sub.inputs.size() != 2) continue;
    const std::string& x_name = sub.inputs[0];
    const TfjsNode& abs = node(sub.inputs[1]);
    if (abs.op != "Abs" || abs.inputs.size() != 1 || abs.inputs[0] != x_name) continue;
    const TfjsNode& o = node(other);
    float base;
    if (other == x_name) {
      base = 1.0f;
    } else if (o.op == "Relu" && o.inputs.size() == 1 && o.inputs[0] == x_name) {
      base = 0.0f;
    } else {
      continue;
    }
    const int x = value(x_name);
    *tf_rank = rank(x_name);
    const int channels = builder_.shape(x).c;
    std::vector<float> slope =
        per_channel(n, constant(mul, mul.inputs[static_cast<std::size_t>(c_side)]), channels);
    for (float& s : slope) s = base + 2.0f * s;
    return add(n, nn::OpType::kPRelu, {x}, {}, {{"slope", make_weight({channels}, slope)}});
  }

  const bool c0 = is_constant(n.inputs[0]), c1 = is_constant(n.inputs[1]);
  if (c0 && c1) fail(n, "adds two constants");
  if (c0 || c1) {
    const TfjsWeight& bias = constant(n, n.inputs[c0 ? 0 : 1]);
    const std::string& x_name = n.inputs[c0 ? 1 : 0];
    // Batch norm folded by a converter: Add(Mul(x, scale), offset) becomes one scale_bias.
    const TfjsNode& m = node(x_name);
    if (m.op == "Mul" && m.inputs.size() == 2 &&
        is_constant(m.inputs[0]) != is_constant(m.inputs[1])) {
      const bool s0 = is_constant(m.inputs[0]);
      return scale_bias(n, m.inputs[s0 ? 1 : 0], &constant(m, m.inputs[s0 ? 0 : 1]), &bias,
                        tf_rank);
    }
    return scale_bias(n, x_name, nullptr, &bias, tf_rank);
  }
  const int a = value(n.inputs[0]);
  const int b = value(n.inputs[1]);
  *tf_rank = rank(n.inputs[0]);
  return add(n, nn::OpType::kAdd, {a, b});
}

// L2 normalisation as TF writes it: x * rsqrt(max(sum(square(x), last axis, keep_dims), eps)).
int TfjsGraphImporter::mul_or_pattern(const TfjsNode& n, int* tf_rank) {
  if (n.inputs.size() != 2) fail(n, "needs two inputs");
  for (int k = 0; k < 2; ++k) {
    const std::string& x_name = n.inputs[static_cast<std::size_t>(k)];
    const TfjsNode& rsqrt = node(n.inputs[static_cast<std::size_t>(1 - k)]);
    if (rsqrt.op != "Rsqrt" || rsqrt.inputs.size() != 1) continue;
    const TfjsNode& maximum = node(rsqrt.inputs[0]);
    if (maximum.op != "Maximum" || maximum.inputs.size() != 2) continue;
    const int eps_side = is_constant(maximum.inputs[1])   ? 1
                         : is_constant(maximum.inputs[0]) ? 0
                                                          : -1;
    if (eps_side < 0) continue;
    const TfjsNode& sum = node(maximum.inputs[static_cast<std::size_t>(1 - eps_side)]);
    if (sum.op != "Sum" || sum.inputs.size() != 2) continue;
    const TfjsNode& square = node(sum.inputs[0]);
    if (square.op != "Square" || square.inputs.size() != 1 || square.inputs[0] != x_name) continue;
    const int x = value(x_name);
    *tf_rank = rank(x_name);
    const std::vector<float>& axes = constant(sum, sum.inputs[1]).values;
    if (axes.size() != 1 || !(axes[0] == -1 || axes[0] == *tf_rank - 1) ||
        !attr_bool(sum, "keep_dims", false)) {
      fail(sum, "only an L2 normalisation over the last (channel) axis is supported");
    }
    const std::vector<float>& eps =
        constant(maximum, maximum.inputs[static_cast<std::size_t>(eps_side)]).values;
    if (eps.size() != 1 || !(eps[0] >= 0.0f)) fail(maximum, "epsilon must be a scalar >= 0");
    nn::Attributes a;
    a.set("epsilon", static_cast<double>(eps[0]));
    return add(n, nn::OpType::kL2Normalize, {x}, std::move(a));
  }
  const bool c0 = is_constant(n.inputs[0]), c1 = is_constant(n.inputs[1]);
  if (c0 == c1) fail(n, "only a tensor times a per-channel constant is supported");
  return scale_bias(n, n.inputs[c0 ? 1 : 0], &constant(n, n.inputs[c0 ? 0 : 1]), nullptr, tf_rank);
}

}  // namespace fu::tools
