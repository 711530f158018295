#include "unlock/embedder_identity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "nn/graph_passes.h"
#include "nn/model.h"
#include "nn/quantize_graph.h"
#include "nn/sample_networks.h"

namespace fu::unlock {
namespace {

std::string repo_path(const std::string& relative) {
  std::string path = __FILE__;
  for (int i = 0; i < 3; ++i) path = path.substr(0, path.find_last_of('/'));
  return path + "/" + relative;
}

bool exists(const std::string& path) { return std::ifstream(path).good(); }

std::string mismatch_of(const std::string& recorded, std::size_t dimension,
                        const std::string& running, std::string* stored = nullptr) {
  try {
    require_embedder(recorded, dimension, running, "import user (record)");
  } catch (const EmbedderMismatch& e) {
    EXPECT_EQ(e.running(), running);
    if (stored) *stored = e.stored();
    return e.what();
  }
  return "";
}

TEST(EmbedderIdentity, NamesTheModelAndItsWeights) {
  const nn::Model model = nn::make_sample_network("conv1x1", 1);
  const std::string identity = embedder_identity(model);
  ASSERT_EQ(identity.size(), std::string("sample-conv1x1@").size() + 8) << identity;
  EXPECT_EQ(identity.rfind("sample-conv1x1@", 0), 0u) << identity;
  EXPECT_EQ(identity.find_first_not_of("0123456789abcdef", identity.find('@') + 1),
            std::string::npos);
  EXPECT_EQ(embedder_name(identity), "sample-conv1x1");
  EXPECT_TRUE(embedder_identity_problem(identity).empty());

  // The same weights, whatever else the metadata says: recalibrating keeps the templates valid.
  nn::Model recalibrated = model;
  recalibrated.metadata.properties["embedder.threshold"] = "0.5";
  recalibrated.metadata.provenance = "edited";
  EXPECT_EQ(embedder_identity(recalibrated), identity);
  // Retrained weights are another embedder, even with one value changed by one step.
  EXPECT_NE(embedder_identity(nn::make_sample_network("conv1x1", 2)), identity);
  nn::Model nudged = model;
  float& w = nudged.graph.nodes.front().weights.begin()->second.data[7];
  w = std::nextafter(w, 1e9f);
  EXPECT_NE(embedder_identity(nudged), identity);
  // Survives the model file.
  const std::vector<std::uint8_t> bytes = nn::serialize_model(model);
  EXPECT_EQ(embedder_identity(nn::parse_model(bytes.data(), bytes.size(), "memory")), identity);
}

// An int8 model's float `data` is empty: its identity must come from the int8 weights and the
// activation ranges, or two calibrations of one network would accept each other's templates.
TEST(EmbedderIdentity, Int8ModelsAreIdentifiedByTheirInt8WeightsAndRanges) {
  nn::Model model = nn::make_sample_network("conv1x1", 1);
  const nn::Graph folded = nn::fold_scale_bias_and_clamps(model.graph);
  const nn::Shape shape = model.metadata.input_shape(1);
  nn::ValueRangeRecorder recorder(folded, shape, nn::Backend::kReference);
  nn::Tensor input(shape);
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = std::sin(0.37f * i);
  recorder.observe(input);
  model.graph = nn::quantize_graph(folded, recorder.ranges());
  const std::string identity = embedder_identity(model);

  nn::Model nudged = model;
  bool changed = false;
  for (nn::Node& node : nudged.graph.nodes) {
    for (auto& [role, weight] : node.weights) {
      if (changed || weight.type != nn::WeightType::kQs8) continue;
      weight.qs8[0] = static_cast<std::int8_t>(weight.qs8[0] == 0 ? 1 : 0);
      changed = true;
    }
  }
  ASSERT_TRUE(changed) << "the quantised sample has no int8 weight";
  EXPECT_NE(embedder_identity(nudged), identity);

  nn::Model recalibrated = model;
  ASSERT_FALSE(recalibrated.graph.quantized_values.empty());
  recalibrated.graph.quantized_values.begin()->second.scale *= 1.5f;
  EXPECT_NE(embedder_identity(recalibrated), identity);
}

TEST(EmbedderIdentity, AModelMayDeclareItsSourcesIdentity) {
  nn::Model copy = nn::make_sample_network("conv1x1", 3);
  const std::string source = embedder_identity(nn::make_sample_network("conv1x1", 1));
  copy.metadata.properties["embedder.identity"] = source;
  EXPECT_EQ(embedder_identity(copy), source);
  copy.metadata.properties["embedder.identity"] = "bad\nidentity";
  try {
    embedder_identity(copy);
    ADD_FAILURE() << "a declared identity with a newline was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot use model as a face embedder (sample-conv1x1): its identity (metadata "
              "'embedder.identity') holds a byte outside printable ASCII at byte 3");
  }
}

TEST(EmbedderIdentity, TheShippedAccurateModelIsWhatUnrecordedGalleriesAreReadAs) {
  const std::string accurate = repo_path("models/dlib-resnet.fum");
  const std::string fast = repo_path("models/mobilefacenet-student.fum");
  if (!exists(accurate) || !exists(fast)) GTEST_SKIP() << "models/ not found";
  // If this fails, models/dlib-resnet.fum changed: galleries of version 1 were made by the old
  // file, so kUnrecordedEmbedder must keep naming it, and users of the new file re-enroll.
  EXPECT_EQ(embedder_identity(nn::load_model(accurate)), std::string(kUnrecordedEmbedder));
  const std::string student = embedder_identity(nn::load_model(fast));
  EXPECT_NE(student, kUnrecordedEmbedder);
  EXPECT_EQ(templates_embedder("", 128), kUnrecordedEmbedder);
  EXPECT_EQ(templates_embedder("", 512), "");
  EXPECT_EQ(templates_embedder(student, 128), student);
}

TEST(EmbedderIdentity, RequireEmbedderRefusesTemplatesOfAnotherModel) {
  const std::string fast = "mobilefacenet-w0.5-112@00c0ffee";
  EXPECT_EQ(mismatch_of(fast, 128, fast), "");
  // Not recorded and 128-d: the default accurate embedder's, and only its.
  EXPECT_EQ(mismatch_of("", 128, kUnrecordedEmbedder), "");
  std::string stored;
  EXPECT_EQ(mismatch_of("", 128, fast, &stored),
            "cannot import user (record): these templates were made by embedder " +
                std::string(kUnrecordedEmbedder) + "; this engine runs " + fast +
                ": run the embedder that made them (model 'dlib-resnet') or enroll the users "
                "again with this one");
  EXPECT_EQ(stored, kUnrecordedEmbedder);
  EXPECT_EQ(mismatch_of(kUnrecordedEmbedder, 128, fast, &stored).empty(), false);
  EXPECT_EQ(stored, kUnrecordedEmbedder);
  EXPECT_EQ(mismatch_of(fast, 128, kUnrecordedEmbedder, &stored).empty(), false);
  EXPECT_EQ(stored, fast);
  // Not recorded and of another dimension: nobody knows the model.
  EXPECT_NE(mismatch_of("", 512, fast, &stored)
                .find("made by an unrecorded embedder of 512 "
                      "dimensions"),
            std::string::npos);
  EXPECT_EQ(stored, "");
  // A retrained student keeps its name and changes its weights.
  EXPECT_NE(mismatch_of("mobilefacenet-w0.5-112@12345678", 128, fast)
                .find("another version of the same model (mobilefacenet-w0.5-112@12345678)"),
            std::string::npos);
}

TEST(EmbedderIdentity, TemplatesAlignedOnOtherKeypointsAreAnotherMakers) {
  const std::string dlib = kUnrecordedEmbedder;
  // The detector's keypoints keep the embedder's identity: galleries made before the landmark
  // path stay valid.
  EXPECT_EQ(templates_identity(dlib, kDetectorKeypoints), dlib);
  const std::string landmarks = templates_identity(dlib, "landmarks-68");
  EXPECT_EQ(landmarks, dlib + "+landmarks-68");
  EXPECT_EQ(embedder_identity_problem(landmarks), "");
  EXPECT_EQ(templates_keypoints(landmarks), "landmarks-68");
  EXPECT_EQ(templates_keypoints(dlib), kDetectorKeypoints);
  EXPECT_EQ(without_keypoints(landmarks), dlib);
  EXPECT_EQ(without_keypoints(dlib), dlib);
  // A '+' in a declared identity before its '@' is part of the embedder's name.
  EXPECT_EQ(templates_keypoints("a+b@00000000"), kDetectorKeypoints);
  EXPECT_EQ(without_keypoints("a+b@00000000+landmarks-68"), "a+b@00000000");
  EXPECT_THROW(templates_identity(dlib, ""), Error);
  EXPECT_THROW(templates_identity(dlib, "x+y"), Error);

  EXPECT_EQ(mismatch_of(landmarks, 128, landmarks), "");
  std::string stored;
  // Landmark-aligned templates under the detector's keypoints, and the other way round,
  // including a version 1 gallery (the detector's keypoints: nothing else existed then).
  EXPECT_EQ(mismatch_of(landmarks, 128, dlib, &stored),
            "cannot import user (record): these templates were made by this embedder on faces "
            "aligned on the keypoints 'landmarks-68' (" +
                landmarks + "); this engine aligns on 'detector' (" + dlib +
                "): align on the keypoints they were enrolled with (load the 68-point landmark "
                "model or not, as then) or enroll the users again");
  EXPECT_EQ(stored, landmarks);
  for (const std::string& recorded : {dlib, std::string()}) {
    EXPECT_NE(mismatch_of(recorded, 128, landmarks, &stored)
                  .find("aligned on the keypoints 'detector' (" + dlib +
                        "); this engine aligns "
                        "on 'landmarks-68'"),
              std::string::npos)
        << recorded;
    EXPECT_EQ(stored, dlib);
  }
  // Another embedder on other keypoints is another embedder first.
  EXPECT_NE(mismatch_of("mobilefacenet-w0.5-112@00c0ffee", 128, landmarks)
                .find("run the embedder that made them"),
            std::string::npos);
}

}  // namespace
}  // namespace fu::unlock
