// The Siamese training loop: one network, two inputs with shared weights. Each step draws a
// batch of pairs (train/pair_sampler.h), augments both faces of every pair (train/augment.h),
// runs the 2B faces as ONE batch [a; b] through the trainable network (so batch norm sees both
// sides), and minimises
//
//   L = contrastive_weight * contrastive(a, b; margin)          train/contrastive_loss.h
//     + distill_weight * distillation(student, teacher)         train/distillation_loss.h
//     + hint_weight * mean over hints of feature_hint(...)      train/feature_hints.h
//
// where the distillation term pulls the student's embedding of every face in the batch towards
// the teacher's embedding of that face: unlabelled faces teach too. The teacher's embeddings are
// either given once per photo (computed on the un-augmented chip, so an augmented face is taught
// the embedding of its original) or, with an online teacher, computed on exactly the augmented
// face the student sees in that step: the two then agree on every input, and every augmentation
// of a photo is a lesson of its own instead of a perturbation to ignore. Then backward, the
// optimiser step (train/optimizer.h) at the scheduled rate (train/lr_schedule.h).
//
// Repeatable: every random draw is a function of the seed and the step (the sampler's state, the
// augmentation of step s from its own generator, dropout masks from the step), and a checkpoint
// (train/checkpoint.h) holds all state that carries over, so a resumed run ends on the same
// weights as one that never stopped.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "face/embedder.h"
#include "image/image.h"
#include "nn/model.h"
#include "nn/network.h"
#include "nn/trainable_network.h"
#include "train/augment.h"
#include "train/contrastive_loss.h"
#include "train/face_dataset.h"
#include "train/feature_hints.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"
#include "train/pair_sampler.h"

namespace fu::train {

struct TrainerOptions {
  int epochs = 10;
  int batch = 32;           // pairs per step (2 * batch faces per forward)
  int steps_per_epoch = 0;  // 0: enough pairs for every sample to appear about twice
  float margin = 1.0f;      // contrastive margin on unit embeddings (D in [0, 2])
  float contrastive_weight = 1.0f;
  float distill_weight = 0.0f;  // needs teacher embeddings or an online teacher
  // When set, distillation targets come from this embedder run on each step's augmented faces
  // (single pass, no mirror average), on online_teacher_threads threads; the Trainer's
  // `teacher` argument must then be empty. The chips must be aligned for it (its template size).
  std::shared_ptr<const nn::Model> online_teacher;
  int online_teacher_threads = 1;
  // Threads for the network's forward and per-element passes (nn::TrainableNetwork::set_threads;
  // the BLAS of the convolutions' backward has its own, nn::ops::set_gemm_threads).
  int threads = 1;
  float lr = 0.05f;
  int warmup_steps = -1;  // -1: one epoch's worth, at most 500
  float final_lr_fraction = 0.01f;
  OptimizerOptions optimizer;
  PairSamplerOptions sampler;  // its seed is replaced by `seed`
  bool augment = true;
  AugmentOptions augmentation;
  // Mixup: the share of pairs whose two faces are each blended (train/augment.h blend, weight
  // uniform in [0, 1]) with another face of the same step, after augmentation. A blend is nobody's
  // face: it needs the online teacher, which says what it embeds to, and its pair leaves the
  // contrastive term for that step. Blends fill the space between faces with lessons, so the
  // student learns the teacher's function rather than its values on 10,000 photos.
  double mixup_probability = 0.0;
  // Feature hints (train/feature_hints.h): values both the network and online_teacher name,
  // at the same spatial size, whose activations the network also learns. The teacher then runs
  // as a network of its own on the very input the student gets, so it must take the same input
  // (size and pixel normalisation: a channel-pruned copy does); its output also gives the
  // distillation targets. The maps are fitted when the trainer is made, on hint_fit_faces chips
  // spread over the data, with the network as given (a resumed run fits the same ones).
  std::vector<std::string> hint_values;
  float hint_weight = 0.0f;
  int hint_fit_faces = 512;  // chips the maps are fitted on (at most the data's)
  std::uint64_t seed = 1;
  // Nodes whose weights stay as they are (transfer learning); empty: everything learns.
  std::function<bool(const std::string& node_name)> frozen;
  // Refresh the embeddings the sampler mines hard negatives with, at the start of every epoch
  // (only when sampler.hard_fraction > 0).
  bool mine_hard_negatives = true;
};

struct StepReport {
  int epoch = 0;          // 1-based
  std::int64_t step = 0;  // 0-based, over the whole run
  std::int64_t steps_in_epoch = 0;
  std::int64_t step_in_epoch = 0;  // 1-based
  float lr = 0.0f;
  double loss = 0.0;
  double contrastive = 0.0;
  double distillation = 0.0;
  double hint = 0.0;                // mean over the hints (0 without)
  double same_distance = 0.0;       // mean D of same pairs in the batch
  double different_distance = 0.0;  // mean D of different pairs
  double pair_accuracy = 0.0;       // pairs on the right side of margin / 2
  double seconds = 0.0;             // for this step
};

struct EpochSummary {
  int epoch = 0;
  std::int64_t steps = 0;
  double loss = 0.0;  // means over the epoch's steps
  double contrastive = 0.0;
  double distillation = 0.0;
  double hint = 0.0;
  double pair_accuracy = 0.0;
  double seconds = 0.0;
  double pairs_per_second = 0.0;
};

class Trainer {
 public:
  // `model`: the network to train (from build_architecture, or a model file for transfer
  // learning); its metadata says how pixels become inputs. `data` must outlive the trainer;
  // its chips may be larger than the network's input (they are resized). `teacher`: one
  // embedding per sample (or empty; see TrainerOptions::online_teacher). Throws fu::Error for
  // inconsistent inputs.
  Trainer(nn::Model model, const FaceDataset& data, const TrainerOptions& options,
          std::vector<std::vector<float>> teacher = {});
  ~Trainer();

  int epochs_done() const { return epochs_done_; }
  std::int64_t steps_done() const { return steps_done_; }
  std::int64_t steps_per_epoch() const { return steps_per_epoch_; }
  // The feature hints as fitted (TrainerOptions::hint_values order).
  const std::vector<FeatureHint>& hints() const { return hints_; }

  // Runs one epoch; `on_step` (may be empty) after each step.
  EpochSummary run_epoch(const std::function<void(const StepReport&)>& on_step);

  // The network as it trains (batch_norm and dropout kept): what a checkpoint stores.
  nn::Model current_model() const;
  // The network to ship: training ops folded (nn::fold_training_ops), same metadata.
  nn::Model exported_model() const;

  void save_checkpoint(const std::string& path) const;
  // Replaces the weights, the optimiser, the sampler and the counters with a checkpoint's.
  // Throws fu::Error when it does not belong to this network (graph, parameter names or sizes)
  // or is damaged; the trainer is then unchanged.
  void resume(const std::string& path);

 private:
  // The network of `graph` as this trainer runs it: the batch of pairs, options_.threads and
  // options_.frozen.
  std::unique_ptr<nn::TrainableNetwork> make_network(nn::Graph graph) const;
  void prepare_batch(const std::vector<SamplePair>& pairs, std::int64_t step);
  // Mixup (TrainerOptions::mixup_probability): replaces blended faces in `views` (kept alive
  // in `made`) and records which pairs were blended.
  void blend_pairs(std::vector<image::ImageView>& views, std::vector<image::Image>& made,
                   std::int64_t step);
  // The contrastive loss over the pairs mixup left alone, its gradient ASSIGNED into `grad`
  // [2B x dim] (zero for blended pairs); a zero loss when they lack one kind of pair.
  ContrastiveLoss contrastive_on_unblended(const float* emb, const std::vector<int>& labels,
                                           int dim, std::vector<float>& grad) const;
  // The distillation targets of the batch prepare_batch made, [2B x dim], into `out`.
  void teacher_targets(float* out, int dim);
  void refresh_hard_negatives();
  // The un-augmented chips of `samples` (at most 2B) as network inputs, the rest zero.
  void chip_inputs(const std::vector<std::size_t>& samples, std::vector<float>& input) const;
  // The hint teacher on `input` (2B faces, as the student's), its outputs kept.
  void run_hint_teacher(const std::vector<float>& input);
  void fit_hints();
  // Names of the values the network and the hint teacher both have.
  std::string shared_values() const;
  // The hint term of the last forward of both networks: its value, and its gradients into
  // hint_grads_ for backward.
  double hint_term(std::vector<nn::TrainableNetwork::InnerGradient>& inner);

  nn::ModelMetadata metadata_;
  const FaceDataset& data_;
  TrainerOptions options_;
  std::vector<std::vector<float>> teacher_;
  std::unique_ptr<face::FaceEmbedder> online_teacher_;
  std::vector<image::Image> batch_faces_;  // the augmented faces, kept for the online teacher
  std::vector<char> batch_blended_;        // per pair of the step: mixup blended its faces
  std::unique_ptr<nn::TrainableNetwork> net_;
  // Feature hints: the teacher as an inference network whose outputs are its embedding and then
  // the hinted values, in order; per hint the fitted map, the student's value id and the
  // gradient buffer.
  std::unique_ptr<nn::Network> hint_teacher_;
  nn::Tensor hint_teacher_input_;
  std::vector<FeatureHint> hints_;
  std::vector<int> hint_student_values_;
  std::vector<std::vector<float>> hint_grads_;
  const std::vector<nn::Tensor>* hint_teacher_outputs_ = nullptr;  // of the last run
  Optimizer optimizer_;
  LrSchedule schedule_;
  PairSampler sampler_;
  std::int64_t steps_per_epoch_ = 0;
  std::int64_t steps_done_ = 0;
  int epochs_done_ = 0;
  std::vector<float> input_;        // [2B, S, S, C]
  std::vector<int> batch_samples_;  // sample index of each face in the batch
};

// Embeddings of every sample's chip (un-augmented) by `model` (an embedder: e.g. the teacher,
// mirror-averaged as the unlock path computes them), on `jobs` threads.
std::vector<std::vector<float>> embed_dataset(const FaceDataset& data,
                                              std::shared_ptr<const nn::Model> model, int jobs,
                                              bool mirror_average);

}  // namespace fu::train
