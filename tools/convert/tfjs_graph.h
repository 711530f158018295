// Imports TensorFlow.js graph models (model.json whose "modelTopology" is a GraphDef written as
// JSON, with a "weightsManifest") into our graph. TF ops map onto our ops one by one, except a
// few multi-node patterns that TF converters leave behind (PReLU spelled with Relu/Abs/Sub/Mul,
// L2 normalisation spelled with Square/Sum/Maximum/Rsqrt/Mul, batch norm as Mul+Add); anything
// else is rejected with the node and op named, so a new model fails loudly instead of silently
// computing something else.
//
// Supported: Placeholder, Const (as weights), Identity, Conv2D, _FusedConv2D and
// DepthwiseConv2dNative, FusedDepthwiseConv2dNative (fused BiasAdd, Relu, Relu6, Prelu), BiasAdd,
// Add/AddV2 (two tensors, or tensor + constant), Mul (tensor * constant), Relu, Relu6, Prelu,
// MaxPool, AvgPool, Mean over height and width, Pad/PadV2 (spatial and channel), ConcatV2 along
// channels, Reshape, Squeeze of unit height/width; the patterns above.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "convert/tfjs_weights.h"
#include "nn/graph_builder.h"

namespace fu::tools {

struct TfjsNode {
  std::string name;
  std::string op;
  // Producer node names; an output index ":0" is dropped and control inputs ("^x") are skipped.
  std::vector<std::string> inputs;
  nlohmann::json attr;  // the GraphDef attributes as the JSON gives them (strings base64-encoded)
};

struct TfjsGraphModel {
  std::string path;  // model.json, named in error messages
  // model.json without its topology and weights: format, generatedBy, convertedBy,
  // userDefinedMetadata. Kept for provenance.
  nlohmann::json info;
  std::vector<TfjsNode> nodes;
  std::map<std::string, TfjsWeight> weights;  // by Const node name

  const TfjsNode* find(const std::string& name) const;

 private:
  friend TfjsGraphModel read_tfjs_graph_model(const std::string& json_path);
  std::map<std::string, std::size_t> index_;
};

// Reads model.json and the weight shards it lists (from the same folder). Throws fu::Error when
// the file is missing or is not a TF.js graph model.
TfjsGraphModel read_tfjs_graph_model(const std::string& json_path);

// Adds the nodes that compute requested TF tensors to a GraphBuilder, each TF node at most once
// and only those the requested tensors depend on. The TF graph's single Placeholder becomes the
// builder's input; its declared shape must agree with the builder's input shape.
class TfjsGraphImporter {
 public:
  TfjsGraphImporter(const TfjsGraphModel& model, nn::GraphBuilder& builder);

  // The value id that holds the output of TF node `name`.
  int value(const std::string& name);

 private:
  const TfjsNode& node(const std::string& name) const;
  // TF's rank of an imported node's output; our values are always 4-d NHWC, but TF axes in
  // attributes and constants (Sum, ConcatV2, Squeeze) count from the TF rank.
  int rank(const std::string& name) const;
  // Each importer below returns the value id and stores the output's TF rank in *tf_rank.
  int import(const TfjsNode& n, int* tf_rank);
  int add(const TfjsNode& n, nn::OpType op, const std::vector<int>& inputs,
          nn::Attributes attributes = {}, std::map<std::string, nn::Weight> weights = {},
          const std::string& suffix = "");
  const TfjsWeight& constant(const TfjsNode& user, const std::string& name) const;
  bool is_constant(const std::string& name) const;

  int convolution(const TfjsNode& n, bool depthwise, int* tf_rank);
  int pool(const TfjsNode& n, nn::OpType op, int* tf_rank);
  int pad(const TfjsNode& n, int* tf_rank);
  int reshape(const TfjsNode& n, int* tf_rank);
  int add_or_pattern(const TfjsNode& n, int* tf_rank);
  int mul_or_pattern(const TfjsNode& n, int* tf_rank);
  int scale_bias(const TfjsNode& n, const std::string& x, const TfjsWeight* scale,
                 const TfjsWeight* bias, int* tf_rank);

  const TfjsGraphModel& model_;
  nn::GraphBuilder& builder_;
  std::map<std::string, int> values_;
  std::map<std::string, int> ranks_;
  std::set<std::string> in_progress_;  // catches cycles, which a valid GraphDef never has
};

}  // namespace fu::tools
