// `faceunlock sample`: writes a random-weight sample network as a model file, so that tests (the
// WebAssembly parity test among them) get the exact bytes the native build would use.
#include <algorithm>
#include <cstring>
#include <iostream>

#include "cli.h"
#include "commands.h"
#include "nn/model.h"
#include "nn/sample_networks.h"

namespace fu::tools {
namespace {

CommandSpec sample_spec() {
  std::size_t width = 0;
  for (const nn::SampleNetwork& s : nn::sample_networks()) {
    width = std::max(width, std::strlen(s.name));
  }
  std::string names;
  for (const nn::SampleNetwork& s : nn::sample_networks()) {
    names += "  " + std::string(s.name) + std::string(width - std::strlen(s.name) + 2, ' ') +
             s.description + "\n";
  }
  return CommandSpec{
      kSampleCommand.name,
      "NAME --out FILE [--seed N] [--json]",
      kSampleCommand.summary,
      "networks:\n" + names + "\nThe same name and seed give the same file on every platform.\n",
      {"NAME"},
      {
          {"--out", "FILE", "where to write the model (required)"},
          {"--seed", "N", "seed of the random weights, 0 to 4294967295 (default 1)"},
          {"--json", "", "print what was written as JSON"},
      }};
}

int run_sample(const ParsedArgs& parsed) {
  const std::string& name = parsed.positional(0);
  const std::string out = parsed.require("--out");
  const auto seed = static_cast<std::uint32_t>(parsed.get_int("--seed", 1, 0, 4294967295LL));
  bool known = false;
  std::vector<std::string> names;
  for (const nn::SampleNetwork& s : nn::sample_networks()) {
    known = known || name == s.name;
    names.push_back(s.name);
  }
  if (!known)
    throw UsageError("unknown sample network '" + name + "', expected one of: " + join(names));

  const nn::Model model = nn::make_sample_network(name, seed);
  nn::save_model(model, out);

  const nn::Shape input = model.metadata.input_shape();
  if (parsed.has("--json")) {
    JsonWriter json(std::cout);
    json.begin_object();
    json.key("network").value(name);
    json.key("seed").value(static_cast<std::int64_t>(seed));
    json.key("file").value(out);
    json.key("model_name").value(model.metadata.name);
    json.key("input_shape").shape(input.n, input.h, input.w, input.c);
    json.end_object();
  } else {
    std::cout << "wrote " << model.metadata.name << " (input " << input.str() << ", seed " << seed
              << ") to " << out << "\n";
  }
  return kExitOk;
}

}  // namespace

const Command kSampleCommand = {"sample", "write a random-weight sample network as a model file",
                                sample_spec, run_sample};

}  // namespace fu::tools
