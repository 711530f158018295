// `faceunlock run`: one forward pass over raw float32 files. The Node test runs the same model
// and input through the WebAssembly build and compares the bytes this command writes.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>

#include "base/error.h"
#include "cli.h"
#include "commands.h"
#include "nn/model.h"
#include "nn/network.h"

// The files are little-endian float32 and are read and written as raw memory.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "faceunlock run assumes a little-endian host; add byte swapping to port it");

namespace fu::tools {
namespace {

constexpr int kMaxThreads = 1024;

CommandSpec run_spec() {
  std::vector<std::string> names;
  for (nn::Backend b : nn::available_backends()) names.push_back(nn::backend_name(b));
  return CommandSpec{
      kRunCommand.name,
      "MODEL --input FILE.f32 --output FILE.f32 [options]",
      kRunCommand.summary,
      "The input file holds the model's input tensor (NHWC, batch 1) as raw little-endian\n"
      "float32, exactly as many values as the input shape has. The output file receives every\n"
      "output of the model in the model's order, each NHWC, concatenated as raw float32.\n",
      {"MODEL"},
      {
          {"--input", "FILE", "raw float32 input tensor (required)"},
          {"--output", "FILE", "where to write the raw float32 outputs (required)"},
          {"--backend", "NAME",
           join(names, "|") + " (default " + nn::backend_name(nn::default_backend()) + ")"},
          {"--threads", "N", "threads for backends that use them (default 1)"},
          {"--json", "", "print the output names and shapes as JSON"},
      }};
}

std::string system_reason() { return std::strerror(errno); }

void read_input(const std::string& path, nn::Tensor& tensor) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error("cannot open input (" + path + "): " + system_reason());
  const std::streamoff bytes = in.tellg();
  const std::size_t expected = tensor.size() * sizeof(float);
  if (bytes < 0 || static_cast<std::size_t>(bytes) != expected) {
    throw Error("cannot read input (" + path + "): the file has " + std::to_string(bytes) +
                " bytes, the model's input " + tensor.shape().str() + " needs " +
                std::to_string(expected) + " (float32)");
  }
  in.seekg(0);
  in.read(reinterpret_cast<char*>(tensor.data()), static_cast<std::streamsize>(expected));
  if (!in) throw Error("cannot read input (" + path + "): " + system_reason());
}

void write_outputs(const std::string& path, const std::vector<nn::Tensor>& outputs) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("cannot create output (" + path + "): " + system_reason());
  for (const nn::Tensor& t : outputs) {
    out.write(reinterpret_cast<const char*>(t.data()),
              static_cast<std::streamsize>(t.size() * sizeof(float)));
  }
  out.close();
  // Checked after close so a full disk at the final flush is not reported as success.
  if (!out) throw Error("cannot write output (" + path + "): " + system_reason());
}

int run_run(const ParsedArgs& parsed) {
  const std::string& model_path = parsed.positional(0);
  const std::string input_path = parsed.require("--input");
  const std::string output_path = parsed.require("--output");
  nn::NetworkOptions options;
  if (parsed.has("--backend")) options.backend = parse_backend(parsed.get("--backend", ""));
  options.threads = static_cast<int>(parsed.get_int("--threads", 1, 1, kMaxThreads));

  auto model = std::make_shared<const nn::Model>(nn::load_model(model_path));
  // Read before building the network: a wrong input file is the likelier mistake and should not
  // wait for weight packing.
  nn::Tensor input(model->metadata.input_shape());
  read_input(input_path, input);
  nn::Network network(model, options);
  const std::vector<nn::Tensor>& outputs = network.run(input);
  write_outputs(output_path, outputs);

  if (parsed.has("--json")) {
    JsonWriter json(std::cout);
    json.begin_object();
    json.key("model").value(model_path);
    json.key("backend").value(nn::backend_name(network.backend()));
    json.key("input_shape")
        .shape(input.shape().n, input.shape().h, input.shape().w, input.shape().c);
    json.key("output_file").value(output_path);
    json.key("outputs").begin_array();
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const nn::Shape& s = outputs[i].shape();
      json.begin_object();
      json.key("name").value(model->graph.values.at(model->graph.outputs.at(i)));
      json.key("shape").shape(s.n, s.h, s.w, s.c);
      json.key("values").value(static_cast<std::uint64_t>(s.size()));
      json.end_object();
    }
    json.end_array();
    json.end_object();
  } else {
    std::size_t values = 0;
    std::cout << "ran " << model->metadata.name << " on " << nn::backend_name(network.backend())
              << "; outputs:";
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      std::cout << (i ? ", " : " ") << model->graph.values.at(model->graph.outputs.at(i)) << " "
                << outputs[i].shape().str();
      values += outputs[i].size();
    }
    std::cout << "\nwrote " << values << " float32 values to " << output_path << "\n";
  }
  return kExitOk;
}

}  // namespace

const Command kRunCommand = {"run", "run a model on a raw float32 input file", run_spec, run_run};

}  // namespace fu::tools
