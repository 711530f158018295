#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <thread>

#include "base/byte_stream.h"
#include "base/error.h"
#include "face/embedder.h"
#include "face/metadata.h"
#include "image/convert.h"
#include "image/resize.h"
#include "nn/graph_passes.h"
#include "nn/operators/elementwise.h"
#include "train/checkpoint.h"
#include "train/contrastive_loss.h"
#include "train/distillation_loss.h"
#include "train/embedding_agreement.h"
#include "train/random.h"

namespace fu::train {

namespace {

int embedding_dimension(const nn::TrainableNetwork& net) {
  const nn::Shape& out = net.output_shape();
  return out.h * out.w * out.c;
}

std::vector<ParameterRef> parameter_refs(nn::TrainableNetwork& net) {
  std::vector<ParameterRef> refs;
  for (const nn::TrainableWeight& w : net.weights()) {
    refs.push_back({w.name, w.value, w.grad, w.size, w.decay});
  }
  return refs;
}

PairSamplerOptions seeded(PairSamplerOptions o, std::uint64_t seed) {
  o.seed = seed;
  return o;
}

}  // namespace

Trainer::Trainer(nn::Model model, const FaceDataset& data, const TrainerOptions& options,
                 std::vector<std::vector<float>> teacher)
    : metadata_(std::move(model.metadata)),
      data_(data),
      options_(options),
      teacher_(std::move(teacher)),
      optimizer_(options.optimizer),
      sampler_(data.sample_identities(), seeded(options.sampler, options.seed)) {
  const std::string what = "cannot train model (" + metadata_.name + "): ";
  if (data_.samples.empty()) throw Error(what + "the training data has no samples");
  if (options_.batch < 2 || options_.batch > 2048) {
    throw Error(what + "batch " + std::to_string(options_.batch) + " must be 2 to 2048 pairs");
  }
  if (options_.epochs < 1) throw Error(what + "epochs must be at least 1");
  if (metadata_.input_channels != 3 || metadata_.input_height <= 0) {
    throw Error(what + "the model does not take RGB images");
  }
  if (!(options_.margin > 0.0f && options_.margin <= 2.0f)) {
    throw Error(what + "margin " + std::to_string(options_.margin) +
                " must be in (0, 2] for unit-length embeddings");
  }
  const bool hints = !options_.hint_values.empty();
  if (hints) {
    if (!options_.online_teacher) {
      throw Error(what + "feature hints need the teacher itself (--teacher with --teacher-online)");
    }
    if (!(options_.hint_weight > 0.0f)) throw Error(what + "feature hints need a weight above 0");
    const nn::ModelMetadata& t = options_.online_teacher->metadata;
    if (t.input_shape() != metadata_.input_shape() || t.pixel_mean != metadata_.pixel_mean ||
        t.pixel_scale != metadata_.pixel_scale) {
      throw Error(what +
                  "feature hints need a teacher that takes the same input as the network "
                  "(size and pixel normalisation), as a channel-pruned copy does; " +
                  t.name + " takes " + t.input_shape().str());
    }
    if (!teacher_.empty()) {
      throw Error(what + "give an online teacher or per-photo teacher embeddings, not both");
    }
    // The teacher's run also gives the distillation targets: no second teacher. Its graph
    // also outputs each hinted value (names it lacks are reported by fit_hints).
    auto teacher = std::make_shared<nn::Model>(*options_.online_teacher);
    for (const std::string& name : options_.hint_values) {
      const auto& v = teacher->graph.values;
      const auto it = std::find(v.begin(), v.end(), name);
      if (it != v.end()) teacher->graph.outputs.push_back(static_cast<int>(it - v.begin()));
    }
    nn::NetworkOptions teacher_options;
    teacher_options.batch = 2 * options_.batch;
    teacher_options.threads = std::max(1, options_.online_teacher_threads);
    hint_teacher_ = std::make_unique<nn::Network>(std::move(teacher), teacher_options);
    hint_teacher_input_ = nn::Tensor(hint_teacher_->input_shape());
  } else if (options_.online_teacher && options_.distill_weight > 0.0f) {
    if (!teacher_.empty()) {
      throw Error(what + "give an online teacher or per-photo teacher embeddings, not both");
    }
    nn::NetworkOptions teacher_options;
    teacher_options.batch = std::min(2 * options_.batch, 16);
    teacher_options.threads = std::max(1, options_.online_teacher_threads);
    online_teacher_ =
        std::make_unique<face::FaceEmbedder>(options_.online_teacher, teacher_options);
  } else if (options_.distill_weight > 0.0f && !hint_teacher_ &&
             teacher_.size() != data_.samples.size()) {
    throw Error(what + "distillation needs one teacher embedding per sample (" +
                std::to_string(teacher_.size()) + " for " + std::to_string(data_.samples.size()) +
                " samples)");
  }
  if (!(options_.mixup_probability >= 0.0 && options_.mixup_probability <= 1.0)) {
    throw Error(what + "mixup " + std::to_string(options_.mixup_probability) +
                " must be a share of pairs in [0, 1]");
  }
  if (options_.mixup_probability > 0.0 && !online_teacher_ && !hint_teacher_) {
    throw Error(what +
                "mixup needs the online teacher (--teacher-online with --distill above 0): "
                "a blend of two faces is nobody's, and only a teacher that sees it can say what "
                "it should embed to");
  }
  net_ = make_network(std::move(model.graph));
  if (net_->weights().empty()) throw Error(what + "every layer is frozen: nothing would learn");
  const int dim = embedding_dimension(*net_);
  if (online_teacher_ && online_teacher_->dimension() != dim) {
    throw Error(what + "the teacher's embeddings have " +
                std::to_string(online_teacher_->dimension()) + " values, the network's have " +
                std::to_string(dim));
  }
  if (hint_teacher_ && hint_teacher_->output_shape(0).c != dim) {
    throw Error(what + "the teacher's embeddings have " +
                std::to_string(hint_teacher_->output_shape(0).c) + " values, the network's have " +
                std::to_string(dim));
  }
  if (hints) fit_hints();
  for (const auto& t : teacher_) {
    if (static_cast<int>(t.size()) != dim) {
      throw Error(what + "teacher embeddings have " + std::to_string(t.size()) +
                  " values, the network's have " + std::to_string(dim));
    }
  }
  steps_per_epoch_ = options_.steps_per_epoch > 0
                         ? options_.steps_per_epoch
                         : std::max<std::int64_t>(
                               1, static_cast<std::int64_t>(data_.samples.size()) / options_.batch);
  schedule_.kind = LrScheduleKind::kWarmupCosine;
  schedule_.base_lr = options_.lr;
  schedule_.total_steps = steps_per_epoch_ * options_.epochs;
  schedule_.warmup_steps = options_.warmup_steps >= 0
                               ? options_.warmup_steps
                               : std::min<std::int64_t>(steps_per_epoch_, 500);
  schedule_.warmup_steps = std::min(schedule_.warmup_steps, schedule_.total_steps);
  schedule_.warmup_start_fraction = 0.05f;
  schedule_.final_fraction = options_.final_lr_fraction;
  validate_lr_schedule(schedule_);
}

Trainer::~Trainer() = default;

void Trainer::prepare_batch(const std::vector<SamplePair>& pairs, std::int64_t step) {
  const int faces = static_cast<int>(2 * pairs.size());
  const int size = metadata_.input_height;
  const std::size_t per_face = static_cast<std::size_t>(size) * metadata_.input_width * 3;
  input_.resize(per_face * faces);
  batch_samples_.resize(faces);
  batch_faces_.resize(online_teacher_ ? faces : 0);
  const int half = static_cast<int>(pairs.size());
  std::vector<image::Image> made(faces);  // augmented or blended faces; empty: the chip as it is
  std::vector<image::ImageView> views(faces);
  for (int k = 0; k < faces; ++k) {
    const int sample = k < half ? pairs[k].a : pairs[k - half].b;
    batch_samples_[k] = sample;
    const image::Image& chip = data_.samples[sample].chip;
    if (options_.augment) {
      // Its own stream per (step, face): no state to save, the same after a resume.
      Rng rng = stream_rng(options_.seed, static_cast<std::uint64_t>(step) * 8192 + k);
      made[k] = augment(chip, options_.augmentation, rng);
      views[k] = made[k];
    } else {
      views[k] = chip;
    }
  }
  blend_pairs(views, made, step);

  const image::ChannelNormalization norm = face::pixel_normalization(metadata_);
  for (int k = 0; k < faces; ++k) {
    const image::ImageView source = views[k];
    if (online_teacher_) {
      const face::AlignmentTemplate& t = online_teacher_->alignment_template();
      batch_faces_[k] = source.width() == t.width && source.height() == t.height
                            ? image::Image::copy_of(source)
                            : image::resize_bilinear(source, t.width, t.height);
    }
    if (source.width() != metadata_.input_width || source.height() != size) {
      image::normalize_to_float(image::resize_bilinear(source, metadata_.input_width, size), norm,
                                input_.data() + k * per_face, per_face);
    } else {
      image::normalize_to_float(source, norm, input_.data() + k * per_face, per_face);
    }
  }
}

void Trainer::blend_pairs(std::vector<image::ImageView>& views, std::vector<image::Image>& made,
                          std::int64_t step) {
  const int faces = static_cast<int>(views.size());
  const int half = faces / 2;
  batch_blended_.assign(half, 0);
  if (options_.mixup_probability <= 0.0) return;
  // Every draw happens for every pair, blended or not, so the draws of one pair do not depend
  // on another's; partners are taken from the faces as augmented, before any blend.
  Rng rng = stream_rng(options_.seed ^ 0x6d697875ULL, static_cast<std::uint64_t>(step));
  std::vector<image::Image> blended(faces);
  for (int i = 0; i < half; ++i) {
    const bool blend_pair = chance(rng, options_.mixup_probability);
    for (const int k : {i, half + i}) {
      const int partner = (k + 1 + static_cast<int>(uniform_below(rng, faces - 1))) % faces;
      const double weight = uniform01(rng);
      if (!blend_pair) continue;
      const image::ImageView a = views[k];
      const image::ImageView b = views[partner];
      blended[k] = a.width() == b.width() && a.height() == b.height()
                       ? blend(a, b, weight)
                       : blend(a, image::resize_bilinear(b, a.width(), a.height()), weight);
    }
    batch_blended_[i] = blend_pair;
  }
  for (int k = 0; k < faces; ++k) {
    if (!blended[k].empty()) {
      made[k] = std::move(blended[k]);
      views[k] = made[k];
    }
  }
}

void Trainer::teacher_targets(float* out, int dim) {
  const std::size_t faces = batch_samples_.size();
  if (hint_teacher_) {
    // The teacher's run of this step (run_epoch ran it on the student's input), to unit length
    // as FaceEmbedder gives it, by the op the graphs' l2_normalize nodes run.
    nn::l2_normalize(1e-12f, (*hint_teacher_outputs_)[0].data(), static_cast<int>(faces), dim, out);
    return;
  }
  if (online_teacher_) {
    const std::vector<image::ImageView> views(batch_faces_.begin(), batch_faces_.end());
    const std::vector<std::vector<float>> e = online_teacher_->embed_batch(views);
    for (std::size_t k = 0; k < faces; ++k) std::copy(e[k].begin(), e[k].end(), out + k * dim);
    return;
  }
  for (std::size_t k = 0; k < faces; ++k) {
    const std::vector<float>& t = teacher_[batch_samples_[k]];
    std::copy(t.begin(), t.end(), out + k * dim);
  }
}

void Trainer::chip_inputs(const std::vector<std::size_t>& samples,
                          std::vector<float>& input) const {
  const int size = metadata_.input_height;
  const std::size_t per_face = static_cast<std::size_t>(size) * metadata_.input_width * 3;
  const image::ChannelNormalization norm = face::pixel_normalization(metadata_);
  input.assign(per_face * 2 * options_.batch, 0.0f);
  for (std::size_t k = 0; k < samples.size(); ++k) {
    const image::Image& chip = data_.samples[samples[k]].chip;
    image::normalize_to_float(image::resize_bilinear(chip, metadata_.input_width, size), norm,
                              input.data() + k * per_face, per_face);
  }
}

std::string Trainer::shared_values() const {
  const nn::Graph& teacher = hint_teacher_->model().graph;
  std::string list;
  const nn::Graph& student = net_->graph();
  for (std::size_t v = 0; v < student.values.size(); ++v) {
    const std::string& name = student.values[v];
    if (static_cast<int>(v) == student.input ||
        std::find(teacher.values.begin(), teacher.values.end(), name) == teacher.values.end()) {
      continue;
    }
    list += (list.empty() ? "" : ", ") + name;
  }
  return list.empty() ? "none" : list;
}

void Trainer::run_hint_teacher(const std::vector<float>& input) {
  std::copy(input.begin(), input.end(), hint_teacher_input_.data());
  hint_teacher_outputs_ = &hint_teacher_->run(hint_teacher_input_);
}

void Trainer::fit_hints() {
  std::vector<FeatureHintFitter> fitters;
  for (const std::string& name : options_.hint_values) {
    const std::string what = "cannot use feature hint " + name + ": ";
    const int s = net_->find_value(name);
    const std::size_t k = fitters.size();
    // The teacher's outputs hold this value as output k + 1 when it has one of that name.
    const nn::Graph& teacher = hint_teacher_->model().graph;
    const bool t =
        hint_teacher_->output_count() > k + 1 && teacher.values[teacher.outputs[k + 1]] == name;
    if (s < 0 || !t) {
      throw Error(what + (s < 0 ? "the network" : "the teacher") +
                  " has no value of that name; values both have: " + shared_values());
    }
    const nn::Shape& ss = net_->value_shape(s);
    const nn::Shape ts = hint_teacher_->output_shape(k + 1);
    if (ss.h != ts.h || ss.w != ts.w) {
      throw Error(what + "the network computes it at " + ss.str() + ", the teacher at " + ts.str() +
                  ": the pixels must match (values that do: " + shared_values() + ")");
    }
    fitters.emplace_back(name, ss.c, ts.c);
    hint_student_values_.push_back(s);
  }
  const std::size_t batch = 2 * static_cast<std::size_t>(options_.batch);
  const std::vector<std::size_t> chips = spread_chips(
      data_.samples.size(), static_cast<std::size_t>(std::max(options_.hint_fit_faces, 1)), 0);
  std::vector<float> input;
  for (std::size_t first = 0; first < chips.size(); first += batch) {
    const std::vector<std::size_t> some(chips.begin() + first,
                                        chips.begin() + std::min(chips.size(), first + batch));
    chip_inputs(some, input);
    net_->forward(input.data(), false);
    run_hint_teacher(input);
    for (std::size_t k = 0; k < fitters.size(); ++k) {
      // Only the rows of real chips: a last, partial batch leaves zero inputs.
      const nn::Shape& shape = net_->value_shape(hint_student_values_[k]);
      fitters[k].add(net_->value(hint_student_values_[k]), (*hint_teacher_outputs_)[k + 1].data(),
                     some.size() * shape.h * shape.w);
    }
  }
  for (const FeatureHintFitter& f : fitters) hints_.push_back(f.fit());
  hint_grads_.resize(hints_.size());
}

double Trainer::hint_term(std::vector<nn::TrainableNetwork::InnerGradient>& inner) {
  inner.clear();
  double sum = 0.0;
  const float scale = options_.hint_weight / static_cast<float>(hints_.size());
  for (std::size_t k = 0; k < hints_.size(); ++k) {
    const int s = hint_student_values_[k];
    const nn::Shape& shape = net_->value_shape(s);
    const std::size_t rows = static_cast<std::size_t>(shape.n) * shape.h * shape.w;
    hint_grads_[k].resize(shape.size());
    sum += feature_hint_loss(hints_[k], net_->value(s), (*hint_teacher_outputs_)[k + 1].data(),
                             rows, hint_grads_[k].data());
    for (float& g : hint_grads_[k]) g *= scale;
    inner.push_back({s, hint_grads_[k].data()});
  }
  return hints_.empty() ? 0.0 : sum / static_cast<double>(hints_.size());
}

void Trainer::refresh_hard_negatives() {
  // The current network (inference mode) on every un-augmented chip.
  const std::size_t batch = 2 * static_cast<std::size_t>(options_.batch);
  const int dim = embedding_dimension(*net_);
  std::vector<std::vector<float>> embeddings(data_.samples.size());
  std::vector<float> input;
  for (std::size_t first = 0; first < data_.samples.size(); first += batch) {
    const std::size_t count = std::min<std::size_t>(batch, data_.samples.size() - first);
    std::vector<std::size_t> samples(count);
    std::iota(samples.begin(), samples.end(), first);
    chip_inputs(samples, input);
    const float* out = net_->forward(input.data(), false);
    for (std::size_t k = 0; k < count; ++k) {
      embeddings[first + k].assign(out + k * dim, out + (k + 1) * dim);
    }
  }
  sampler_.set_embeddings(embeddings);
}

ContrastiveLoss Trainer::contrastive_on_unblended(const float* emb, const std::vector<int>& labels,
                                                  int dim, std::vector<float>& grad) const {
  const int pairs = static_cast<int>(labels.size());
  std::fill(grad.begin(), grad.end(), 0.0f);
  std::vector<int> kept;
  int same = 0;
  for (int i = 0; i < pairs; ++i) {
    if (batch_blended_[i]) continue;
    kept.push_back(i);
    same += labels[i] == 0;
  }
  // Without blends every pair is kept, and a batch of one kind (run_epoch redraws until it has
  // both) is refused by contrastive_loss as before; a step whose blends left the kept pairs one
  // kind short teaches by distillation alone.
  const int n = static_cast<int>(kept.size());
  if (n < pairs && (same == 0 || same == n)) return ContrastiveLoss{};
  const std::size_t row = static_cast<std::size_t>(dim);
  std::vector<float> a(n * row), b(n * row), ga(n * row), gb(n * row);
  std::vector<int> kept_labels(n);
  for (int j = 0; j < n; ++j) {
    std::copy_n(emb + kept[j] * row, row, a.data() + j * row);
    std::copy_n(emb + (pairs + kept[j]) * row, row, b.data() + j * row);
    kept_labels[j] = labels[kept[j]];
  }
  const ContrastiveLoss c = contrastive_loss(a.data(), b.data(), kept_labels.data(), n, dim,
                                             options_.margin, ga.data(), gb.data());
  for (int j = 0; j < n; ++j) {
    std::copy_n(ga.data() + j * row, row, grad.data() + kept[j] * row);
    std::copy_n(gb.data() + j * row, row, grad.data() + (pairs + kept[j]) * row);
  }
  return c;
}

EpochSummary Trainer::run_epoch(const std::function<void(const StepReport&)>& on_step) {
  using Clock = std::chrono::steady_clock;
  const auto epoch_start = Clock::now();
  if (sampler_.options().hard_fraction > 0.0 && options_.mine_hard_negatives && epochs_done_ > 0) {
    refresh_hard_negatives();
  }
  EpochSummary summary;
  summary.epoch = epochs_done_ + 1;
  const int pairs = options_.batch;
  const int dim = embedding_dimension(*net_);
  std::vector<int> labels(pairs);
  std::vector<float> grad(static_cast<std::size_t>(2) * pairs * dim);
  std::vector<float> distill_grad(grad.size());
  std::vector<float> teacher(grad.size());
  for (std::int64_t s = 0; s < steps_per_epoch_; ++s) {
    const auto step_start = Clock::now();
    const std::int64_t step = steps_done_;
    std::vector<SamplePair> batch = sampler_.next_batch(pairs);
    // The loss needs both kinds of pair in every batch; a batch that drew only one kind (rare
    // unless the batch is tiny) has its last pair redrawn until the other kind comes.
    auto count_same = [&] {
      return std::count_if(batch.begin(), batch.end(), [](const SamplePair& p) { return p.same; });
    };
    for (int tries = 0; tries < 10000; ++tries) {
      const auto same = count_same();
      if (same != 0 && same != pairs) break;
      batch.back() = sampler_.next();
    }
    for (int i = 0; i < pairs; ++i) labels[i] = batch[i].label();
    prepare_batch(batch, step);
    const std::uint64_t dropout_seed = stream_rng(options_.seed ^ 0xd5, step)();
    const float* emb = net_->forward(input_.data(), true, dropout_seed);
    if (hint_teacher_) run_hint_teacher(input_);
    const ContrastiveLoss c = contrastive_on_unblended(emb, labels, dim, grad);
    for (float& g : grad) g *= options_.contrastive_weight;
    double loss = options_.contrastive_weight * c.value;
    double distill_value = 0.0;
    if (options_.distill_weight > 0.0f) {
      teacher_targets(teacher.data(), dim);
      const DistillationLoss d =
          distillation_loss(emb, teacher.data(), 2 * pairs, dim, distill_grad.data());
      distill_value = d.value;
      loss += options_.distill_weight * d.value;
      for (std::size_t i = 0; i < grad.size(); ++i) {
        grad[i] += options_.distill_weight * distill_grad[i];
      }
    }
    std::vector<nn::TrainableNetwork::InnerGradient> inner;
    double hint_value = 0.0;
    if (!hints_.empty()) {
      hint_value = hint_term(inner);
      loss += options_.hint_weight * hint_value;
    }
    if (!std::isfinite(loss)) {
      throw Error("cannot train model (" + metadata_.name + "): the loss became " +
                  std::to_string(loss) + " at step " + std::to_string(step) + "; lower --lr");
    }
    // Pair accuracy at half the margin: same pairs closer than it, different ones farther.
    int right = 0;
    int judged = 0;
    for (int i = 0; i < pairs; ++i) {
      if (batch_blended_[i]) continue;
      ++judged;
      double d2 = 0.0;
      for (int j = 0; j < dim; ++j) {
        const double diff = emb[i * dim + j] - emb[(pairs + i) * dim + j];
        d2 += diff * diff;
      }
      const bool close = std::sqrt(d2) < options_.margin / 2;
      right += close == batch[i].same;
    }
    net_->backward(grad.data(), inner);
    const float lr = learning_rate(schedule_, step);
    optimizer_.step(parameter_refs(*net_), lr);
    net_->weights_changed();
    ++steps_done_;

    StepReport r;
    r.epoch = summary.epoch;
    r.step = step;
    r.steps_in_epoch = steps_per_epoch_;
    r.step_in_epoch = s + 1;
    r.lr = lr;
    r.loss = loss;
    r.contrastive = c.value;
    r.distillation = distill_value;
    r.hint = hint_value;
    r.same_distance = c.mean_same_distance;
    r.different_distance = c.mean_different_distance;
    r.pair_accuracy = judged > 0 ? static_cast<double>(right) / judged : 0.0;
    r.seconds = std::chrono::duration<double>(Clock::now() - step_start).count();
    summary.loss += r.loss;
    summary.contrastive += r.contrastive;
    summary.distillation += r.distillation;
    summary.hint += r.hint;
    summary.pair_accuracy += r.pair_accuracy;
    if (on_step) on_step(r);
  }
  const double n = static_cast<double>(steps_per_epoch_);
  summary.steps = steps_per_epoch_;
  summary.loss /= n;
  summary.contrastive /= n;
  summary.distillation /= n;
  summary.hint /= n;
  summary.pair_accuracy /= n;
  summary.seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
  summary.pairs_per_second = n * pairs / summary.seconds;
  ++epochs_done_;
  return summary;
}

nn::Model Trainer::current_model() const {
  nn::Model m;
  m.metadata = metadata_;
  m.graph = net_->graph();
  return m;
}

nn::Model Trainer::exported_model() const {
  nn::Model m;
  m.metadata = metadata_;
  m.graph = nn::fold_training_ops(net_->graph());
  return m;
}

void Trainer::save_checkpoint(const std::string& path) const {
  TrainingCheckpoint c;
  c.model = current_model();
  ByteWriter w;
  optimizer_.save(w);
  c.optimizer_state = std::move(w.bytes());
  c.sampler = sampler_.state();
  c.epochs_done = epochs_done_;
  c.steps_done = steps_done_;
  c.seed = options_.seed;
  c.steps_per_epoch = steps_per_epoch_;
  c.batch = options_.batch;
  save_training_checkpoint(c, path);
}

std::unique_ptr<nn::TrainableNetwork> Trainer::make_network(nn::Graph graph) const {
  auto net = std::make_unique<nn::TrainableNetwork>(std::move(graph),
                                                    metadata_.input_shape(2 * options_.batch));
  net->set_threads(options_.threads);
  if (options_.frozen) net->freeze(options_.frozen);
  return net;
}

void Trainer::resume(const std::string& path) {
  TrainingCheckpoint c = load_training_checkpoint(path);
  const std::string what = "cannot resume training (" + path + "): ";
  if (c.batch != options_.batch || c.steps_per_epoch != steps_per_epoch_ ||
      c.seed != options_.seed) {
    throw Error(what + "it was made with batch " + std::to_string(c.batch) + ", " +
                std::to_string(c.steps_per_epoch) + " steps per epoch and seed " +
                std::to_string(c.seed) + "; resume with the same options");
  }
  // Everything is checked on new objects first, so a bad checkpoint changes nothing.
  std::unique_ptr<nn::TrainableNetwork> net = make_network(std::move(c.model.graph));
  std::vector<nn::TrainableWeight> ours = net_->weights();
  std::vector<nn::TrainableWeight> theirs = net->weights();
  if (ours.size() != theirs.size()) {
    throw Error(what + "it holds another network (" + std::to_string(theirs.size()) +
                " trainable weights, this one has " + std::to_string(ours.size()) + ")");
  }
  for (std::size_t i = 0; i < ours.size(); ++i) {
    if (ours[i].name != theirs[i].name || ours[i].size != theirs[i].size) {
      throw Error(what + "it holds another network (weight '" + theirs[i].name + "' where '" +
                  ours[i].name + "' was expected)");
    }
  }
  Optimizer optimizer(options_.optimizer);
  ByteReader reader(c.optimizer_state.data(), c.optimizer_state.size(),
                    "optimizer state in " + path);
  optimizer.load(reader, parameter_refs(*net));
  sampler_.restore(c.sampler);
  net_ = std::move(net);
  optimizer_ = std::move(optimizer);
  epochs_done_ = c.epochs_done;
  steps_done_ = c.steps_done;
  // Mining embeddings are not stored: the next epoch recomputes them from these weights, as the
  // uninterrupted run did at the start of that epoch.
}

std::vector<std::vector<float>> embed_dataset(const FaceDataset& data,
                                              std::shared_ptr<const nn::Model> model, int jobs,
                                              bool mirror_average) {
  std::vector<std::vector<float>> out(data.samples.size());
  jobs = std::max(1, std::min(jobs, 64));
  std::vector<std::thread> workers;
  std::vector<std::string> errors(jobs);
  for (int j = 0; j < jobs; ++j) {
    workers.emplace_back([&, j] {
      try {
        face::FaceEmbedder embedder(model);
        embedder.set_mirror_average(mirror_average);
        for (std::size_t i = j; i < data.samples.size(); i += jobs) {
          const image::Image& chip = data.samples[i].chip;
          const face::AlignmentTemplate& t = embedder.alignment_template();
          out[i] =
              chip.width() == t.width && chip.height() == t.height
                  ? embedder.embed_after_alignment(chip)
                  : embedder.embed_after_alignment(image::resize_bilinear(chip, t.width, t.height));
        }
      } catch (const std::exception& e) {
        errors[j] = e.what();
      }
    });
  }
  for (std::thread& t : workers) t.join();
  for (const std::string& e : errors) {
    if (!e.empty()) throw Error("cannot embed training data: " + e);
  }
  return out;
}

}  // namespace fu::train
