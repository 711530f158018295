#include "train/trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "base/error.h"
#include "face/embedder.h"
#include "face/test_support.h"
#include "nn/graph_passes.h"
#include "nn/ops/sgemm.h"
#include "train/architecture.h"

namespace fu::train {
namespace {

namespace fs = std::filesystem;

// Faces the tests make themselves: each identity is a smooth pattern of its own (random
// frequencies, phases and colours), each sample that pattern shifted by a pixel or two, with
// noise. Telling identities apart is learnable, and no sample repeats another exactly.
FaceDataset synthetic_faces(int identities, int per_identity, int size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  FaceDataset data;
  data.chip_width = size;
  data.chip_height = size;
  for (int id = 0; id < identities; ++id) {
    double fx[3], fy[3], phase[3], colour[3][3];
    for (int k = 0; k < 3; ++k) {
      fx[k] = 0.5 + 2.5 * u(rng);
      fy[k] = 0.5 + 2.5 * u(rng);
      phase[k] = 6.28 * u(rng);
      for (int c = 0; c < 3; ++c) colour[k][c] = 60 * (u(rng) - 0.5);
    }
    data.identities.push_back({"id" + std::to_string(id), "synthetic", 0});
    for (int s = 0; s < per_identity; ++s) {
      const double dx = 2 * u(rng) - 1, dy = 2 * u(rng) - 1;
      image::Image chip(size, size, 3);
      for (int y = 0; y < size; ++y) {
        for (int x = 0; x < size; ++x) {
          for (int c = 0; c < 3; ++c) {
            double v = 128;
            for (int k = 0; k < 3; ++k) {
              v += colour[k][c] * std::sin(fx[k] * (x + dx) / size * 6.28 +
                                           fy[k] * (y + dy) / size * 6.28 + phase[k]);
            }
            v += 12 * (u(rng) - 0.5);
            chip.data()[(static_cast<std::size_t>(y) * size + x) * 3 + c] =
                static_cast<std::uint8_t>(std::min(255.0, std::max(0.0, v)));
          }
        }
      }
      data.samples.push_back(
          {id, "synthetic/" + std::to_string(id) + "/" + std::to_string(s), std::move(chip)});
      ++data.identities.back().samples;
    }
  }
  data.summary.samples = data.samples.size();
  data.summary.identities = identities;
  return data;
}

nn::Model tiny_model(std::uint64_t seed = 3) {
  ArchitectureOptions arch;
  arch.name = "tiny";
  arch.input_size = 32;
  arch.width = 1.0;
  arch.embedding_size = 16;
  arch.seed = seed;
  return build_architecture(arch);
}

// Another tiny network, its training ops folded as an exported embedder's: a fixed target the
// student can reach only by learning.
std::shared_ptr<const nn::Model> tiny_teacher() {
  auto teacher = std::make_shared<nn::Model>(tiny_model(99));
  teacher->graph = nn::fold_training_ops(teacher->graph);
  return teacher;
}

TrainerOptions short_run() {
  TrainerOptions o;
  o.epochs = 6;
  o.batch = 16;
  o.steps_per_epoch = 12;
  o.lr = 0.05f;
  o.warmup_steps = 5;
  o.optimizer.kind = OptimizerKind::kSgd;
  o.optimizer.weight_decay = 5e-4f;
  o.margin = 1.0f;
  o.seed = 5;
  return o;
}

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("faceunlock_trainer_" + name)).string();
}

void expect_same_weights(const nn::Graph& a, const nn::Graph& b) {
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (std::size_t i = 0; i < a.nodes.size(); ++i) {
    for (const auto& [role, w] : a.nodes[i].weights) {
      EXPECT_EQ(w.data, b.nodes[i].weights.at(role).data) << a.nodes[i].name << "/" << role;
    }
  }
}

class TrainerTest : public ::testing::Test {
 protected:
  // OpenBLAS's partitioning is fixed by its thread count: one thread keeps runs bit-identical.
  void SetUp() override { nn::ops::set_gemm_threads(1); }
};

TEST_F(TrainerTest, ShortRunMeasurablyLearns) {
  const FaceDataset data = synthetic_faces(10, 6, 32, 1);
  Trainer trainer(tiny_model(), data, short_run());
  std::vector<EpochSummary> epochs;
  for (int e = 0; e < 6; ++e) epochs.push_back(trainer.run_epoch(nullptr));
  EXPECT_LT(epochs.back().loss, 0.75 * epochs.front().loss)
      << "first " << epochs.front().loss << " last " << epochs.back().loss;
  EXPECT_GT(epochs.back().pair_accuracy, epochs.front().pair_accuracy + 0.1)
      << "first " << epochs.front().pair_accuracy << " last " << epochs.back().pair_accuracy;
  EXPECT_EQ(trainer.steps_done(), 6 * 12);
}

TEST_F(TrainerTest, ResumedRunEndsOnTheSameWeightsAsAnUninterruptedOne) {
  const FaceDataset data = synthetic_faces(8, 5, 32, 2);
  TrainerOptions o = short_run();
  o.epochs = 3;
  o.steps_per_epoch = 6;
  o.sampler.hard_fraction = 0.5;  // mining embeddings are recomputed after the resume too
  Trainer straight(tiny_model(), data, o);
  for (int e = 0; e < 3; ++e) straight.run_epoch(nullptr);

  const std::string checkpoint = temp_path("resume.ckpt");
  {
    Trainer first(tiny_model(), data, o);
    first.run_epoch(nullptr);
    first.run_epoch(nullptr);
    first.save_checkpoint(checkpoint);
  }  // the interrupted process ends here
  Trainer resumed(tiny_model(), data, o);
  resumed.resume(checkpoint);
  EXPECT_EQ(resumed.epochs_done(), 2);
  resumed.run_epoch(nullptr);
  std::remove(checkpoint.c_str());

  expect_same_weights(straight.current_model().graph, resumed.current_model().graph);
}

TEST_F(TrainerTest, TwoThreadsRepeatTheirRunAndStayWithinRoundingOfOne) {
  // The network's passes split over threads sum some terms in another order: a run on two
  // threads is repeatable (the split depends only on sizes) and lands within rounding of one.
  const FaceDataset data = synthetic_faces(8, 5, 32, 2);
  TrainerOptions o = short_run();
  o.epochs = 2;
  o.steps_per_epoch = 6;
  const auto run = [&](int threads) {
    TrainerOptions with = o;
    with.threads = threads;
    Trainer trainer(tiny_model(), data, with);
    for (int e = 0; e < 2; ++e) trainer.run_epoch(nullptr);
    return trainer.current_model().graph;
  };
  const nn::Graph two = run(2);
  expect_same_weights(two, run(2));
  const nn::Graph one = run(1);
  double largest = 0.0, furthest = 0.0;
  for (std::size_t i = 0; i < one.nodes.size(); ++i) {
    for (const auto& [role, w] : one.nodes[i].weights) {
      const std::vector<float>& other = two.nodes[i].weights.at(role).data;
      for (std::size_t k = 0; k < w.data.size(); ++k) {
        largest = std::max(largest, static_cast<double>(std::fabs(w.data[k])));
        furthest = std::max(furthest, static_cast<double>(std::fabs(w.data[k] - other[k])));
      }
    }
  }
  EXPECT_GT(largest, 0.0);
  EXPECT_LT(furthest, 1e-4 * largest) << "largest weight " << largest;
}

TEST_F(TrainerTest, ResumeRefusesAnotherNetworkAndLeavesTheTrainerUnchanged) {
  const FaceDataset data = synthetic_faces(6, 4, 32, 3);
  TrainerOptions o = short_run();
  o.epochs = 2;
  o.steps_per_epoch = 2;
  const std::string checkpoint = temp_path("other.ckpt");
  ArchitectureOptions other;
  other.name = "tiny";
  other.input_size = 32;
  other.embedding_size = 16;
  other.width = 2.0;
  {
    Trainer wide(build_architecture(other), data, o);
    wide.run_epoch(nullptr);
    wide.save_checkpoint(checkpoint);
  }
  Trainer trainer(tiny_model(), data, o);
  const nn::Graph before = trainer.current_model().graph;
  EXPECT_THROW(trainer.resume(checkpoint), Error);
  EXPECT_EQ(trainer.epochs_done(), 0);
  EXPECT_EQ(trainer.current_model().graph.nodes[0].weights.at("filter").data,
            before.nodes[0].weights.at("filter").data);
  // A damaged checkpoint is refused too.
  {
    std::FILE* f = std::fopen(checkpoint.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    std::fseek(f, 100, SEEK_SET);
    std::fputc(0x5a, f);
    std::fclose(f);
  }
  EXPECT_THROW(trainer.resume(checkpoint), Error);
  std::remove(checkpoint.c_str());
}

TEST_F(TrainerTest, DistillationPullsTheStudentTowardsTheTeacher) {
  const FaceDataset data = synthetic_faces(8, 5, 32, 4);
  const std::shared_ptr<const nn::Model> teacher = tiny_teacher();
  std::vector<std::vector<float>> targets = embed_dataset(data, teacher, 2, false);
  ASSERT_EQ(targets.size(), data.samples.size());
  TrainerOptions o = short_run();
  o.contrastive_weight = 0.0f;
  o.distill_weight = 1.0f;
  o.augment = false;
  Trainer trainer(tiny_model(), data, o, targets);
  const EpochSummary first = trainer.run_epoch(nullptr);
  EpochSummary last;
  for (int e = 1; e < 6; ++e) last = trainer.run_epoch(nullptr);
  EXPECT_LT(last.distillation, 0.6 * first.distillation)
      << "first " << first.distillation << " last " << last.distillation;
}

// The distillation value of each step of one epoch.
std::vector<double> distillation_per_step(Trainer& trainer) {
  std::vector<double> values;
  trainer.run_epoch([&](const StepReport& r) { values.push_back(r.distillation); });
  return values;
}

TEST_F(TrainerTest, OnlineTeacherTeachesExactlyTheFacesTheStudentSees) {
  const FaceDataset data = synthetic_faces(8, 5, 32, 4);
  const std::shared_ptr<const nn::Model> teacher = tiny_teacher();
  TrainerOptions o = short_run();
  o.contrastive_weight = 0.0f;
  o.distill_weight = 1.0f;

  // Without augmentation the faces are the photos: the online teacher's targets are the
  // per-photo ones (single pass), so the runs match step by step.
  o.augment = false;
  Trainer per_photo(tiny_model(), data, o, embed_dataset(data, teacher, 1, false));
  TrainerOptions online = o;
  online.online_teacher = teacher;
  online.online_teacher_threads = 2;
  Trainer online_plain(tiny_model(), data, online);
  const std::vector<double> a = distillation_per_step(per_photo);
  const std::vector<double> b = distillation_per_step(online_plain);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5 * a[i]) << "step " << i;

  // With augmentation the per-photo targets are the original's, the online ones the augmented
  // face's: they differ, and the online student still learns its teacher.
  o.augment = true;
  online.augment = true;
  Trainer per_photo_augmented(tiny_model(), data, o, embed_dataset(data, teacher, 1, false));
  Trainer online_augmented(tiny_model(), data, online);
  const std::vector<double> c = distillation_per_step(per_photo_augmented);
  const std::vector<double> d = distillation_per_step(online_augmented);
  int differ = 0;
  for (std::size_t i = 0; i < c.size(); ++i) differ += std::abs(c[i] - d[i]) > 1e-4 * c[i];
  EXPECT_GT(differ, static_cast<int>(c.size()) / 2);
  EpochSummary last;
  for (int e = 1; e < 6; ++e) last = online_augmented.run_epoch(nullptr);
  double first = 0;
  for (double v : d) first += v / d.size();
  EXPECT_LT(last.distillation, 0.6 * first) << "first " << first << " last " << last.distillation;
}

TEST_F(TrainerTest, OnlineTeacherMustMatchTheStudent) {
  const FaceDataset data = synthetic_faces(4, 3, 32, 6);
  TrainerOptions o = short_run();
  o.distill_weight = 1.0f;
  ArchitectureOptions arch;
  arch.name = "tiny";
  arch.input_size = 32;
  arch.embedding_size = 8;  // the student's have 16
  auto teacher = std::make_shared<nn::Model>(build_architecture(arch));
  teacher->graph = nn::fold_training_ops(teacher->graph);
  o.online_teacher = teacher;
  EXPECT_THROW(Trainer(tiny_model(), data, o), Error);
  // Per-photo targets as well as an online teacher: ambiguous.
  const std::shared_ptr<const nn::Model> same_size = tiny_teacher();
  o.online_teacher = same_size;
  EXPECT_THROW(Trainer(tiny_model(), data, o, embed_dataset(data, same_size, 1, false)), Error);
}

TEST_F(TrainerTest, MixupBlendsFacesTaughtByTheOnlineTeacherAlone) {
  const FaceDataset data = synthetic_faces(8, 5, 32, 4);
  const std::shared_ptr<const nn::Model> teacher = tiny_teacher();
  TrainerOptions o = short_run();
  o.distill_weight = 1.0f;
  o.online_teacher = teacher;
  o.augment = false;
  Trainer plain(tiny_model(), data, o);
  TrainerOptions mixed = o;
  mixed.mixup_probability = 0.5;
  Trainer blended(tiny_model(), data, mixed);
  Trainer blended_again(tiny_model(), data, mixed);
  std::vector<StepReport> p, b, again;
  plain.run_epoch([&](const StepReport& r) { p.push_back(r); });
  blended.run_epoch([&](const StepReport& r) { b.push_back(r); });
  blended_again.run_epoch([&](const StepReport& r) { again.push_back(r); });
  ASSERT_EQ(p.size(), b.size());
  // The same draws give the same blends: repeatable from the seed and the step alone.
  for (std::size_t i = 0; i < b.size(); ++i) {
    EXPECT_EQ(b[i].loss, again[i].loss) << "step " << i;
  }
  // Blends change what the teacher is asked about and which pairs the contrastive term sees.
  int differ = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    differ += b[i].distillation != p[i].distillation && b[i].contrastive != p[i].contrastive;
  }
  EXPECT_GT(differ, static_cast<int>(b.size()) / 2);
  // Every pair blended: no pair is left for the contrastive term, distillation still learns.
  mixed.mixup_probability = 1.0;
  Trainer all_blended(tiny_model(), data, mixed);
  std::vector<StepReport> first;
  all_blended.run_epoch([&](const StepReport& r) { first.push_back(r); });
  double start = 0;
  for (const StepReport& r : first) {
    EXPECT_EQ(r.contrastive, 0.0);
    EXPECT_EQ(r.pair_accuracy, 0.0);
    start += r.distillation / first.size();
  }
  EpochSummary last;
  for (int e = 1; e < 6; ++e) last = all_blended.run_epoch(nullptr);
  EXPECT_LT(last.distillation, 0.6 * start) << "first " << start << " last " << last.distillation;
}

TEST_F(TrainerTest, MixupNeedsTheOnlineTeacher) {
  const FaceDataset data = synthetic_faces(4, 3, 32, 6);
  TrainerOptions o = short_run();
  o.mixup_probability = 0.5;
  EXPECT_NE(face::testing::error_of([&] {
              Trainer(tiny_model(), data, o);
            }).find("mixup needs the online teacher"),
            std::string::npos);
  const std::shared_ptr<const nn::Model> teacher = tiny_teacher();
  o.distill_weight = 1.0f;
  EXPECT_THROW(Trainer(tiny_model(), data, o, embed_dataset(data, teacher, 1, false)), Error);
  o.online_teacher = teacher;
  o.mixup_probability = 1.5;
  EXPECT_NE(face::testing::error_of([&] { Trainer(tiny_model(), data, o); }).find("mixup 1.5"),
            std::string::npos);
}

// Feature hints: another network of the same architecture names the same inner values; the
// student learns the teacher's stage-2 activations (hints alone: no other term).
TEST_F(TrainerTest, FeatureHintsTeachTheTeachersInnerValues) {
  const FaceDataset data = synthetic_faces(8, 5, 32, 4);
  TrainerOptions o = short_run();
  o.contrastive_weight = 0.0f;
  o.online_teacher = tiny_teacher();
  o.hint_values = {"stage2_prelu"};
  o.hint_weight = 1.0f;
  o.lr = 0.02f;
  Trainer trainer(tiny_model(), data, o);
  const EpochSummary first = trainer.run_epoch(nullptr);
  EXPECT_GT(first.hint, 0.0);
  EXPECT_EQ(first.distillation, 0.0);
  EpochSummary last;
  for (int e = 1; e < 6; ++e) last = trainer.run_epoch(nullptr);
  EXPECT_LT(last.hint, 0.7 * first.hint) << "first " << first.hint << " last " << last.hint;

  // The maps are fitted on the network as given, so a resumed run fits the same ones and ends
  // on the same weights as one that never stopped.
  o.epochs = 2;
  o.steps_per_epoch = 4;
  o.distill_weight = 1.0f;
  o.mixup_probability = 0.5;  // the teacher network sees the blends too
  Trainer straight(tiny_model(), data, o);
  straight.run_epoch(nullptr);
  straight.run_epoch(nullptr);
  const std::string checkpoint = temp_path("hints.ckpt");
  {
    Trainer interrupted(tiny_model(), data, o);
    interrupted.run_epoch(nullptr);
    interrupted.save_checkpoint(checkpoint);
  }
  Trainer resumed(tiny_model(), data, o);
  resumed.resume(checkpoint);
  resumed.run_epoch(nullptr);
  std::remove(checkpoint.c_str());
  expect_same_weights(straight.current_model().graph, resumed.current_model().graph);
}

TEST_F(TrainerTest, FeatureHintsNeedATeacherWithTheValuesAndTheInput) {
  const FaceDataset data = synthetic_faces(4, 3, 32, 6);
  TrainerOptions o = short_run();
  o.hint_values = {"stage2_prelu"};
  o.hint_weight = 1.0f;
  EXPECT_NE(face::testing::error_of([&] {
              Trainer(tiny_model(), data, o);
            }).find("feature hints need the teacher"),
            std::string::npos);
  o.online_teacher = tiny_teacher();
  o.hint_values = {"stage9"};
  EXPECT_NE(face::testing::error_of([&] {
              Trainer(tiny_model(), data, o);
            }).find("cannot use feature hint stage9: the network has no value of that name"),
            std::string::npos);
  ArchitectureOptions arch;
  arch.name = "tiny";
  arch.input_size = 48;
  arch.embedding_size = 16;
  auto larger = std::make_shared<nn::Model>(build_architecture(arch));
  larger->graph = nn::fold_training_ops(larger->graph);
  o.online_teacher = larger;
  o.hint_values = {"stage2_prelu"};
  EXPECT_NE(
      face::testing::error_of([&] { Trainer(tiny_model(), data, o); }).find("takes the same input"),
      std::string::npos);
  o.online_teacher = tiny_teacher();
  o.hint_weight = 0.0f;
  EXPECT_THROW(Trainer(tiny_model(), data, o), Error);
}

TEST_F(TrainerTest, ExportedModelRunsAsAFaceEmbedder) {
  const FaceDataset data = synthetic_faces(6, 4, 32, 5);
  TrainerOptions o = short_run();
  o.epochs = 1;
  o.steps_per_epoch = 3;
  Trainer trainer(tiny_model(), data, o);
  trainer.run_epoch(nullptr);
  const nn::Model exported = trainer.exported_model();
  EXPECT_FALSE(nn::has_training_ops(exported.graph));
  const std::string path = temp_path("exported.fum");
  nn::save_model(exported, path);
  auto loaded = std::make_shared<const nn::Model>(nn::load_model(path));
  std::remove(path.c_str());
  face::FaceEmbedder embedder(loaded);
  const std::vector<float> e = embedder.embed_aligned(data.samples[0].chip);
  ASSERT_EQ(e.size(), 16u);
  double norm = 0;
  for (float v : e) norm += double{v} * v;
  EXPECT_NEAR(norm, 1.0, 1e-5);
}

TEST_F(TrainerTest, RefusesWhatCannotTrain) {
  const FaceDataset data = synthetic_faces(4, 3, 32, 6);
  TrainerOptions o = short_run();
  o.distill_weight = 1.0f;  // but no teacher embeddings
  EXPECT_THROW(Trainer(tiny_model(), data, o), Error);
  o = short_run();
  o.margin = 2.5f;  // beyond the largest distance of unit vectors
  EXPECT_THROW(Trainer(tiny_model(), data, o), Error);
  o = short_run();
  o.frozen = [](const std::string&) { return true; };
  EXPECT_THROW(Trainer(tiny_model(), data, o), Error);
  FaceDataset empty;
  EXPECT_THROW(Trainer(tiny_model(), empty, short_run()), Error);
}

TEST(Architecture, MobileFaceNetShapesAndSizes) {
  ArchitectureOptions arch;
  arch.input_size = 112;
  const nn::Model m = build_architecture(arch);
  EXPECT_EQ(m.metadata.properties.at("embedder.dimension"), "128");
  EXPECT_TRUE(nn::has_training_ops(m.graph));
  EXPECT_EQ(scaled_dlib_template(150).substr(0, 6), "44.580");
  EXPECT_THROW(
      [] {
        ArchitectureOptions bad;
        bad.input_size = 100;
        build_architecture(bad);
      }(),
      Error);
}

}  // namespace
}  // namespace fu::train
