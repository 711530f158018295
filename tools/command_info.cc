// `faceunlock info`: what a model file holds, without running it.
#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>

#include "cli.h"
#include "commands.h"
#include "nn/model.h"
#include "nn/plan.h"
#include "nn/sample_networks.h"

namespace fu::tools {
namespace {

CommandSpec info_spec() {
  return CommandSpec{kInfoCommand.name,
                     "MODEL [--json]",
                     kInfoCommand.summary,
                     "Shapes are NHWC at batch 1. Multiply-adds count convolutions and fully\n"
                     "connected layers; parameters count every weight element.\n",
                     {"MODEL"},
                     {{"--json", "", "print as JSON"}}};
}

struct OutputInfo {
  std::string name;
  nn::Shape shape;
};

struct ModelInfo {
  nn::Shape input;
  std::vector<OutputInfo> outputs;
  std::map<std::string, int> op_counts;  // sorted by name, so the listing is stable
  std::size_t node_count = 0;
  std::uint64_t multiply_adds = 0;
  std::uint64_t parameters = 0;
};

ModelInfo describe(const nn::Model& model) {
  ModelInfo info;
  info.input = model.metadata.input_shape();
  // The loader has already planned the graph once; planning again is cheap and is the only
  // public way to learn the output shapes.
  const nn::Plan plan = nn::make_plan(model.graph, info.input);
  for (int id : plan.outputs)
    info.outputs.push_back({model.graph.values.at(id), plan.shapes.at(id)});
  for (const nn::Node& node : model.graph.nodes) {
    ++info.op_counts[nn::op_type_name(node.op)];
    for (const auto& [role, weight] : node.weights) info.parameters += weight.element_count();
  }
  info.node_count = model.graph.nodes.size();
  info.multiply_adds = nn::count_multiply_adds(model);
  return info;
}

// Sample models repeat one value for each of 64 channels; say so instead of listing them.
std::string describe_floats(const std::vector<float>& values) {
  std::ostringstream s;
  const bool uniform = values.size() > 1 && std::all_of(values.begin(), values.end(), [&](float v) {
                         return v == values.front();
                       });
  if (uniform) {
    s << values.front() << " (each of " << values.size() << " channels)";
    return s.str();
  }
  for (std::size_t i = 0; i < values.size(); ++i) s << (i ? ", " : "") << values[i];
  return s.str();
}

void print_json(const std::string& path, const nn::Model& model, const ModelInfo& info) {
  const nn::ModelMetadata& m = model.metadata;
  JsonWriter json(std::cout);
  json.begin_object();
  json.key("file").value(path);
  json.key("metadata").begin_object();
  json.key("name").value(m.name);
  json.key("output_kind").value(m.output_kind);
  json.key("provenance").value(m.provenance);
  json.key("license").value(m.license);
  json.key("pixel_mean").floats(m.pixel_mean);
  json.key("pixel_scale").floats(m.pixel_scale);
  json.key("properties").begin_object();
  for (const auto& [key, value] : m.properties) json.key(key).value(value);
  json.end_object();
  json.end_object();
  json.key("input").begin_object();
  json.key("name").value(model.graph.values.at(model.graph.input));
  json.key("shape").shape(info.input.n, info.input.h, info.input.w, info.input.c);
  json.end_object();
  json.key("outputs").begin_array();
  for (const OutputInfo& o : info.outputs) {
    json.begin_object();
    json.key("name").value(o.name);
    json.key("shape").shape(o.shape.n, o.shape.h, o.shape.w, o.shape.c);
    json.end_object();
  }
  json.end_array();
  json.key("node_count").value(static_cast<std::uint64_t>(info.node_count));
  json.key("ops").begin_object();
  for (const auto& [op, count] : info.op_counts) json.key(op).value(count);
  json.end_object();
  json.key("multiply_adds").value(info.multiply_adds);
  json.key("parameters").value(info.parameters);
  json.end_object();
}

void print_text(const std::string& path, const nn::Model& model, const ModelInfo& info) {
  const nn::ModelMetadata& m = model.metadata;
  std::ostream& out = std::cout;
  out << path << "\n";
  out << "  name            " << m.name << "\n";
  out << "  output kind     " << m.output_kind << "\n";
  if (!m.provenance.empty()) out << "  provenance      " << m.provenance << "\n";
  if (!m.license.empty()) out << "  license         " << m.license << "\n";
  out << "  pixel mean      " << describe_floats(m.pixel_mean) << "\n";
  out << "  pixel scale     " << describe_floats(m.pixel_scale) << "\n";
  for (const auto& [key, value] : m.properties)
    out << "  property        " << key << " = " << value << "\n";
  out << "  input           " << model.graph.values.at(model.graph.input) << " " << info.input.str()
      << "\n";
  for (const OutputInfo& o : info.outputs) {
    out << "  output          " << o.name << " " << o.shape.str() << "\n";
  }
  out << "  nodes           " << info.node_count << " (";
  bool first = true;
  for (const auto& [op, count] : info.op_counts) {
    out << (first ? "" : ", ") << op << " " << count;
    first = false;
  }
  out << ")\n";
  out << "  multiply-adds   " << info.multiply_adds << " ("
      << static_cast<double>(info.multiply_adds) * 1e-6 << " M)\n";
  out << "  parameters      " << info.parameters << " ("
      << static_cast<double>(info.parameters) * 1e-6 << " M)\n";
}

int run_info(const ParsedArgs& parsed) {
  const std::string& path = parsed.positional(0);
  const nn::Model model = nn::load_model(path);
  const ModelInfo info = describe(model);
  if (parsed.has("--json")) {
    print_json(path, model, info);
  } else {
    print_text(path, model, info);
  }
  return kExitOk;
}

}  // namespace

const Command kInfoCommand = {"info", "show a model's metadata, shapes, operators and size",
                              info_spec, run_info};

}  // namespace fu::tools
