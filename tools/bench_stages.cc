#include "bench_stages.h"

#include <benchmark/benchmark.h>

#include <exception>
#include <functional>

#include "base/error.h"
#include "face/alignment.h"
#include "face/pipeline.h"
#include "face/quality.h"
#include "image/decode.h"

namespace fu::tools {

namespace {

// Everything the stages share, built on the first row that runs.
struct StageFixture {
  std::string photo_path;
  std::shared_ptr<const nn::Model> detector_model;
  std::shared_ptr<const nn::Model> embedder_model;
  nn::Backend backend;

  std::vector<std::uint8_t> encoded;
  image::Image photo;
  std::unique_ptr<face::FacePipeline> pipeline;
  face::Face face;
  image::Image aligned;
  std::string error;

  bool ready() {
    if (pipeline || !error.empty()) return error.empty();
    try {
      encoded = image::read_image_file(photo_path);
      photo = image::decode_image(encoded, photo_path);
      face::PipelineOptions options;
      options.network.backend = backend;
      pipeline = std::make_unique<face::FacePipeline>(detector_model, embedder_model, options);
      const face::FaceAnalysis analysis = pipeline->analyze(photo);
      if (!analysis.has_face()) throw Error("cannot time the stages (" + photo_path + "): no face");
      face = analysis.faces[analysis.chosen];
      aligned = face::align_face(photo, face, pipeline->embedder().alignment_template());
    } catch (const std::exception& e) {
      error = e.what();
      pipeline.reset();
    }
    return error.empty();
  }
};

template <typename Work>
void time_stage(benchmark::State& state, StageFixture& f, Work work) {
  if (!f.ready()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  try {
    for (auto _ : state) work();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

}  // namespace

void register_stage_benchmarks(const std::string& photo, std::shared_ptr<const nn::Model> detector,
                               std::shared_ptr<const nn::Model> embedder, nn::Backend backend) {
  // Lives as long as the process: the registered lambdas point into it.
  static std::vector<std::unique_ptr<StageFixture>> fixtures;
  fixtures.push_back(std::make_unique<StageFixture>());
  StageFixture* f = fixtures.back().get();
  f->photo_path = photo;
  f->detector_model = std::move(detector);
  f->embedder_model = std::move(embedder);
  f->backend = backend;

  const std::string suffix = std::string("/") + nn::backend_name(backend);
  auto add = [&](const std::string& stage, std::function<void(benchmark::State&)> body) {
    benchmark::RegisterBenchmark((stage + suffix).c_str(), body)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  };
  add("decode", [f](benchmark::State& s) {
    time_stage(s, *f, [f] { benchmark::DoNotOptimize(image::decode_image(f->encoded, "photo")); });
  });
  add("detect", [f](benchmark::State& s) {
    time_stage(s, *f, [f] { benchmark::DoNotOptimize(f->pipeline->detector().detect(f->photo)); });
  });
  add("refine", [f](benchmark::State& s) {
    time_stage(s, *f, [f] {
      benchmark::DoNotOptimize(f->pipeline->detector().refine(f->photo, f->face));
    });
  });
  add("quality", [f](benchmark::State& s) {
    time_stage(s, *f, [f] {
      benchmark::DoNotOptimize(
          face::assess_quality(f->photo, f->face, f->pipeline->options().quality));
    });
  });
  add("align", [f](benchmark::State& s) {
    time_stage(s, *f, [f] {
      benchmark::DoNotOptimize(
          face::align_face(f->photo, f->face, f->pipeline->embedder().alignment_template()));
    });
  });
  add("embed", [f](benchmark::State& s) {
    time_stage(s, *f,
               [f] { benchmark::DoNotOptimize(f->pipeline->embedder().embed(f->photo, f->face)); });
  });
  // A probe (a camera frame to compare) is embedded once under the default mirror policy.
  add("embed-probe", [f](benchmark::State& s) {
    time_stage(s, *f, [f] {
      benchmark::DoNotOptimize(f->pipeline->embedder().embed_after_alignment(
          f->aligned, face::mirrors(f->pipeline->options().mirror, face::EmbedPurpose::kProbe)));
    });
  });
  add("analyze", [f](benchmark::State& s) {
    time_stage(s, *f, [f] { benchmark::DoNotOptimize(f->pipeline->analyze(f->photo)); });
  });
}

}  // namespace fu::tools
