// `faceunlock train`: contrastive Siamese training of an embedder, from scratch (--arch), from
// a model file (--init, transfer learning with a new head and --freeze) or as a student of a
// teacher (--teacher, distillation). A thin shell over src/train: it parses, loads, reports.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include "base/error.h"
#include "chip_dataset_cli.h"
#include "cli.h"
#include "commands.h"
#include "face/alignment.h"
#include "face/detector.h"
#include "face_cli.h"
#include "nn/graph_builder.h"
#include "nn/ops/sgemm.h"
#include "train/architecture.h"
#include "train/face_dataset.h"
#include "train/teacher_targets.h"
#include "train/trainer.h"
#include "train/validation.h"
#include "train/yaw_warp.h"

namespace fu::tools {
namespace {

namespace fs = std::filesystem;

CommandSpec train_spec() {
  CommandSpec spec{
      kTrainCommand.name,
      "--data DIR [--data DIR ...] --out MODEL [options]",
      kTrainCommand.summary,
      "Trains one network on pairs of faces with the contrastive loss "
      "L = (1 - y) D^2 + y max(0, margin - D)^2 (y = 0 same person, 1 different; D the distance "
      "of the two unit-length embeddings, so 0 <= D <= 2; mean over pairs, no factor 1/2). "
      "Each DIR holds one folder per identity. Photos go through the detector and aligner once "
      "and are cached (--cache); --aligned takes crops as they are, resized. With --teacher the "
      "student also learns to reproduce the teacher's embedding of every face (distillation; "
      "the chips are then aligned for the teacher and resized for the student). A checkpoint is "
      "written after every epoch; --resume continues from it and ends on the same weights as an "
      "uninterrupted run. Never train on the photos you report on (LFW View 2); LFW View 1 "
      "pairs serve as --val-pairs.\n",
      {},
      {{"--data", "DIR", "identity folders of photos (repeatable; required)"},
       {"--aligned", "", "the photos are aligned crops: resize only, no detection"},
       {"--arch", "NAME", "architecture to train from scratch: mobilefacenet (default), tiny"},
       {"--width", "W", "channel multiplier of --arch (default 1)"},
       {"--input-size", "PIXELS", "square input of --arch, a multiple of 16 (default 112)"},
       {"--embedding", "N", "embedding size of --arch (default 128)"},
       {"--dropout", "RATE", "dropout before the projection of --arch (default 0)"},
       {"--init", "MODEL", "start from this model file instead of --arch (transfer learning)"},
       {"--new-head", "", "with --init: append a new projection head (initialised to identity)"},
       {"--freeze", "LIST", "node-name prefixes whose weights stay; 'backbone' = all of --init"},
       {"--teacher", "MODEL", "distil this embedder's embeddings into the student"},
       {"--distill", "WEIGHT", "weight of the distillation term (default 1 with --teacher)"},
       {"--teacher-online", "",
        "run the teacher on each augmented face as the student sees it, every step, instead of "
        "once per photo (teacher and student agree on every input; slower steps)"},
       {"--center-teacher", "",
        "distil the teacher's embeddings minus their mean, renormalised "
        "(spreads a teacher whose faces share one narrow cone)"},
       {"--contrastive", "WEIGHT", "weight of the contrastive term (default 1)"},
       {"--margin", "M", "contrastive margin, in (0, 2] (default 1)"},
       {"--epochs", "N", "epochs (default 10)"},
       {"--batch", "PAIRS", "pairs per step (default 32)"},
       {"--steps-per-epoch", "N", "steps per epoch (default: samples / batch)"},
       {"--lr", "RATE", "peak learning rate (default 0.05 for sgd, 0.001 for adamw)"},
       {"--optimizer", "NAME", "sgd (momentum 0.9, default) or adamw"},
       {"--weight-decay", "W", "weight decay of filters (default 5e-4 sgd, 0.05 adamw)"},
       {"--warmup", "STEPS", "linear warm-up steps (default one epoch, at most 500)"},
       {"--same-fraction", "F", "share of same-person pairs (default 0.5)"},
       {"--hard-negatives", "F", "share of different pairs mined as hard negatives (default 0)"},
       {"--no-augment", "", "no mirror, shift, scale, rotation, brightness, contrast or blur"},
       {"--rotate", "DEGREES", "augmentation: in-plane rotation up to +-this (default 0)"},
       {"--yaw", "DEGREES",
        "augmentation: half the faces turned left or right by up to this, by a 3-D warp of the "
        "aligned face with a generic head's depths (default 0 = off; at most 35; photos mode)"},
       {"--mixup", "SHARE",
        "share of pairs blended with other faces of the step, taught by the online teacher "
        "alone (needs --teacher-online; default 0)"},
       {"--hint", "VALUE",
        "feature hint: also learn the teacher's activations at this value, named alike in both "
        "at the same spatial size (repeatable; needs --teacher-online and a teacher taking the "
        "same input, as a pruned copy's)"},
       {"--hint-weight", "W", "weight of the feature hints' term (default 1 with --hint)"},
       {"--hint-faces", "N", "faces the hints' maps are fitted on, at the start (default 512)"},
       {"--seed", "N", "seed of every random draw (default 1)"},
       {"--val-pairs", "FILE", "LFW-format pairs validated after every epoch (e.g. View 1)"},
       {"--val-data", "DIR", "the photos --val-pairs names"},
       {"--cache", "FILE", "cache of aligned chips (default: none)"},
       {"--checkpoint", "FILE", "checkpoint path (default: MODEL.ckpt beside --out)"},
       {"--resume", "", "continue from the checkpoint when it exists"},
       {"--threads", "N",
        "threads for the network's passes and the BLAS of its backward (default 1)"},
       {"--out", "FILE", "the trained model (required)"},
       {"--json", "", "one JSON line per epoch on stdout"},
       jobs_flag()}};
  for (FlagSpec& f : detector_flags()) spec.flags.push_back(f);
  return spec;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& s : split(text, ',')) {
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

// The model without its final l2_normalize, plus a new fully connected layer (identity plus a
// little noise, so training starts from the model's own embedding) and l2_normalize.
nn::Model with_new_head(nn::Model model) {
  nn::Graph& g = model.graph;
  if (g.outputs.size() != 1 || g.nodes.empty() || g.nodes.back().op != nn::OpType::kL2Normalize ||
      g.nodes.back().output != g.outputs[0]) {
    throw Error("cannot add a head to model (" + model.metadata.name +
                "): its last node is not the l2_normalize that gives the embedding");
  }
  const int features = g.nodes.back().inputs[0];
  // The new l2_normalize writes the old one's output value: the embedding keeps its name (value
  // names are unique in a model file) and stays the graph's output.
  const int embedding = g.nodes.back().output;
  g.nodes.pop_back();
  int dim = 0;
  try {
    dim = std::stoi(model.metadata.properties.at("embedder.dimension"));
  } catch (const std::exception&) {
    throw Error("cannot add a head to model (" + model.metadata.name +
                "): it has no embedder.dimension");
  }
  nn::Weight filter{{dim, dim}, std::vector<float>(static_cast<std::size_t>(dim) * dim), {}};
  std::uint64_t state = 0x2545F4914F6CDD1DULL;
  for (int i = 0; i < dim; ++i) {
    for (int j = 0; j < dim; ++j) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const double noise = (static_cast<double>(state >> 11) / 9007199254740992.0 - 0.5) * 0.02;
      filter.data[static_cast<std::size_t>(i) * dim + j] = (i == j ? 1.0f : 0.0f) + noise;
    }
  }
  nn::Node fc;
  fc.op = nn::OpType::kFullyConnected;
  fc.name = "head_fc";
  fc.inputs = {features};
  fc.output = static_cast<int>(g.values.size());
  g.values.push_back("head_fc");
  fc.weights["filter"] = std::move(filter);
  fc.weights["bias"] = nn::Weight{{dim}, std::vector<float>(dim, 0.0f), {}};
  g.nodes.push_back(std::move(fc));
  nn::Node l2;
  l2.op = nn::OpType::kL2Normalize;
  l2.name = "head_l2";
  l2.inputs = {static_cast<int>(g.values.size()) - 1};
  l2.output = embedding;
  g.nodes.push_back(std::move(l2));
  return model;
}

std::string duration_text(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  std::ostringstream out;
  if (s >= 3600) out << s / 3600 << "h";
  out << std::setw(s >= 3600 ? 2 : 1) << std::setfill('0') << (s / 60) % 60 << "m" << std::setw(2)
      << s % 60 << "s";
  return out.str();
}

int run_train(const ParsedArgs& parsed) {
  const std::vector<std::string> roots = parsed.get_all("--data");
  if (roots.empty()) throw UsageError("missing --data");
  const std::string out_path = parsed.require("--out");
  const bool json = parsed.has("--json");
  const int jobs = parse_jobs(parsed);
  const int threads = static_cast<int>(parsed.get_int("--threads", 1, 1, 64));
  nn::ops::set_gemm_threads(threads);

  // The network.
  nn::Model model;
  std::vector<std::string> init_nodes;
  std::string init_history;  // what --init was, for the output's provenance
  if (parsed.has("--init")) {
    if (parsed.has("--arch")) throw UsageError("give --init or --arch, not both");
    model = nn::load_model(parsed.get("--init", ""));
    // Its own name and provenance rather than the path, which names only the trainer's disk.
    init_history =
        model.metadata.name +
        (model.metadata.provenance.empty() ? "" : " (" + model.metadata.provenance + ")");
    for (const nn::Node& n : model.graph.nodes) init_nodes.push_back(n.name);
    if (parsed.has("--new-head")) model = with_new_head(std::move(model));
  } else {
    train::ArchitectureOptions arch;
    arch.name = parsed.get("--arch", "mobilefacenet");
    arch.width = parsed.get_double("--width", 1.0, 0.125, 4.0);
    arch.input_size = static_cast<int>(parsed.get_int("--input-size", 112, 16, 512));
    arch.embedding_size = static_cast<int>(parsed.get_int("--embedding", 128, 8, 2048));
    arch.dropout = static_cast<float>(parsed.get_double("--dropout", 0.0, 0.0, 0.95));
    arch.seed = static_cast<std::uint64_t>(parsed.get_int("--seed", 1, 0, INT64_MAX));
    model = train::build_architecture(arch);
  }

  train::TrainerOptions options;
  options.threads = threads;
  const std::string optimizer = parsed.get("--optimizer", "sgd");
  if (optimizer == "sgd") {
    options.optimizer.kind = train::OptimizerKind::kSgd;
    options.optimizer.momentum = 0.9f;
    options.optimizer.weight_decay = 5e-4f;
    options.lr = 0.05f;
  } else if (optimizer == "adamw") {
    options.optimizer.kind = train::OptimizerKind::kAdamW;
    options.optimizer.weight_decay = 0.05f;
    options.lr = 1e-3f;
  } else {
    throw UsageError("--optimizer must be sgd or adamw, not " + optimizer);
  }
  options.optimizer.weight_decay =
      static_cast<float>(parsed.get_double("--weight-decay", options.optimizer.weight_decay, 0, 1));
  options.lr = static_cast<float>(parsed.get_double("--lr", options.lr, 1e-7, 10.0));
  options.epochs = static_cast<int>(parsed.get_int("--epochs", 10, 1, 100000));
  options.batch = static_cast<int>(parsed.get_int("--batch", 32, 2, 2048));
  options.steps_per_epoch = static_cast<int>(parsed.get_int("--steps-per-epoch", 0, 0, 1 << 30));
  options.warmup_steps = static_cast<int>(parsed.get_int("--warmup", -1, -1, 1 << 30));
  options.margin = static_cast<float>(parsed.get_double("--margin", 1.0, 1e-3, 2.0));
  options.contrastive_weight =
      static_cast<float>(parsed.get_double("--contrastive", 1.0, 0.0, 1000.0));
  options.seed = static_cast<std::uint64_t>(parsed.get_int("--seed", 1, 0, INT64_MAX));
  options.sampler.same_fraction = parsed.get_double("--same-fraction", 0.5, 0.0, 1.0);
  options.sampler.hard_fraction = parsed.get_double("--hard-negatives", 0.0, 0.0, 1.0);
  options.augment = !parsed.has("--no-augment");
  options.augmentation.max_rotation_degrees = parsed.get_double("--rotate", 0.0, 0.0, 45.0);
  options.mixup_probability = parsed.get_double("--mixup", 0.0, 0.0, 1.0);
  if (parsed.has("--freeze")) {
    std::vector<std::string> prefixes = split_list(parsed.get("--freeze", ""));
    const bool backbone = std::find(prefixes.begin(), prefixes.end(), "backbone") != prefixes.end();
    if (backbone && init_nodes.empty()) throw UsageError("--freeze backbone needs --init");
    options.frozen = [prefixes, backbone, init_nodes](const std::string& name) {
      if (backbone && std::find(init_nodes.begin(), init_nodes.end(), name) != init_nodes.end()) {
        return true;
      }
      for (const std::string& p : prefixes) {
        if (p != "backbone" && name.rfind(p, 0) == 0) return true;
      }
      return false;
    };
  }

  // The chips: aligned for the teacher when distilling (the student's template is the same face
  // crop, resized), else for the network itself.
  std::shared_ptr<const nn::Model> detector = load_detector(parsed);
  std::shared_ptr<const nn::Model> teacher;
  if (parsed.has("--teacher")) {
    teacher = std::make_shared<const nn::Model>(nn::load_model(parsed.get("--teacher", "")));
  }
  options.distill_weight =
      static_cast<float>(parsed.get_double("--distill", teacher ? 1.0 : 0.0, 0.0, 1000.0));
  if (options.distill_weight > 0 && !teacher) throw UsageError("--distill needs --teacher");
  if (parsed.has("--center-teacher") && !teacher)
    throw UsageError("--center-teacher needs --teacher");
  const bool online = parsed.has("--teacher-online");
  if (online && !teacher) throw UsageError("--teacher-online needs --teacher");
  if (online && parsed.has("--center-teacher")) {
    // Centring needs the mean over all faces, which an online teacher never sees at once.
    throw UsageError("--teacher-online and --center-teacher do not go together");
  }
  if (options.mixup_probability > 0 && !(online && options.distill_weight > 0)) {
    throw UsageError(
        "--mixup needs --teacher-online (and --distill above 0): a blend of two "
        "faces is nobody's, only the teacher can say what it embeds to");
  }
  options.hint_values = parsed.get_all("--hint");
  options.hint_weight = static_cast<float>(
      parsed.get_double("--hint-weight", options.hint_values.empty() ? 0.0 : 1.0, 0.0, 1000.0));
  options.hint_fit_faces = static_cast<int>(parsed.get_int("--hint-faces", 512, 2, 1000000));
  if (!options.hint_values.empty() && !online) {
    throw UsageError(
        "--hint needs --teacher-online: the teacher's activations of each face as "
        "the student sees it");
  }
  if ((online && options.distill_weight > 0) || !options.hint_values.empty()) {
    options.online_teacher = teacher;
    options.online_teacher_threads = jobs;
  }
  const nn::ModelMetadata& chip_model = teacher ? teacher->metadata : model.metadata;
  options.augmentation.max_yaw_degrees =
      parsed.get_double("--yaw", 0.0, 0.0, train::YawWarp::kMaxYawDegrees);
  if (options.augmentation.max_yaw_degrees > 0) {
    if (parsed.has("--aligned")) {
      // The warp places its head by the template's points, which crops aligned elsewhere miss.
      throw UsageError(
          "--yaw needs photos that faceunlock aligns itself (the head's depths are placed at the "
          "template's eyes, nose and mouth), not --aligned crops");
    }
    options.augmentation.yaw_warp = std::make_shared<const train::YawWarp>(
        train::chip_face_points(chip_model), chip_model.input_width, chip_model.input_height);
  }
  train::FaceDatasetOptions data_options = chip_dataset_options(parsed, chip_model, detector);
  ProgressBar load_bar("aligning faces", !json);
  data_options.progress = [&](std::size_t done, std::size_t total) {
    load_bar.update(done, total);
  };
  const train::FaceDataset data = train::load_face_dataset(roots, data_options);
  std::cerr << data.summary.text();

  std::vector<std::vector<float>> teacher_embeddings;
  if (teacher && options.distill_weight > 0 && !online) {
    std::cerr << "embedding " << data.samples.size() << " faces with the teacher ("
              << teacher->metadata.name << ")\n";
    teacher_embeddings = train::embed_dataset(data, teacher, jobs, true);
    if (parsed.has("--center-teacher")) {
      const train::CenteringReport c = train::center_targets(teacher_embeddings);
      std::cerr << "centred the teacher's embeddings: their mean has length " << c.mean_norm
                << ", each face's cosine to its direction was " << c.mean_cosine_before
                << " on average\n";
    }
  }

  std::optional<train::ValidationSet> validation;
  if (parsed.has("--val-pairs")) {
    validation =
        train::load_validation_set(parsed.get("--val-pairs", ""), parsed.require("--val-data"));
  }

  train::Trainer trainer(model, data, options, std::move(teacher_embeddings));
  for (const train::FeatureHint& h : trainer.hints()) {
    std::fprintf(stderr,
                 "feature hint %s: %d student channels from %d of the teacher's; the fitted map "
                 "leaves %.1f%% of their variance unexplained (%zu pixels)\n",
                 h.value.c_str(), h.student_channels, h.teacher_channels, 100 * h.unexplained,
                 h.fitted_rows);
  }
  const std::string checkpoint = parsed.get("--checkpoint", out_path + ".ckpt");
  if (parsed.has("--resume") && fs::exists(checkpoint)) {
    trainer.resume(checkpoint);
    std::cerr << "resumed from " << checkpoint << " after epoch " << trainer.epochs_done() << "\n";
  }

  const bool tty = isatty(fileno(stderr));
  train::ValidationResult last_validation;
  bool validated = false;
  while (trainer.epochs_done() < options.epochs) {
    double window_seconds = 0.0;
    std::int64_t window_steps = 0;
    const train::EpochSummary summary = trainer.run_epoch([&](const train::StepReport& r) {
      window_seconds += r.seconds;
      ++window_steps;
      if (!tty) return;
      const double per_step = window_seconds / window_steps;
      const double left = per_step * (r.steps_in_epoch - r.step_in_epoch +
                                      (options.epochs - r.epoch) * r.steps_in_epoch);
      std::fprintf(stderr,
                   "\repoch %d/%d  step %lld/%lld  loss %.4f  pair acc %.3f  %.1f pairs/s  "
                   "lr %.2g  left %s   ",
                   r.epoch, options.epochs, static_cast<long long>(r.step_in_epoch),
                   static_cast<long long>(r.steps_in_epoch), r.loss, r.pair_accuracy,
                   options.batch / per_step, r.lr, duration_text(left).c_str());
      std::fflush(stderr);
    });
    if (tty) std::fprintf(stderr, "\n");
    trainer.save_checkpoint(checkpoint);
    if (validation) {
      last_validation = train::validate(
          *validation, detector, std::make_shared<const nn::Model>(trainer.exported_model()), jobs);
      validated = true;
    }
    if (json) {
      JsonWriter j(std::cout, true);
      j.begin_object();
      j.key("epoch").value(summary.epoch);
      j.key("steps").value(static_cast<std::int64_t>(trainer.steps_done()));
      j.key("loss").value(summary.loss);
      j.key("contrastive").value(summary.contrastive);
      j.key("distillation").value(summary.distillation);
      if (!options.hint_values.empty()) j.key("hint").value(summary.hint);
      j.key("pair_accuracy").value(summary.pair_accuracy);
      j.key("pairs_per_second").value(summary.pairs_per_second);
      j.key("seconds").value(summary.seconds);
      if (validation) {
        j.key("val_accuracy").value(last_validation.accuracy);
        j.key("val_threshold").value(last_validation.threshold);
        j.key("val_tar_at_far_1e-3")
            .value(last_validation.tar_measurable ? last_validation.tar_at_far_1e3 : NAN);
      }
      j.end_object();
      std::cout.flush();
    }
    std::fprintf(stderr,
                 "epoch %d: loss %.4f (contrastive %.4f, distillation %.4f), pair acc %.3f, "
                 "%.1f pairs/s, %s",
                 summary.epoch, summary.loss, summary.contrastive, summary.distillation,
                 summary.pair_accuracy, summary.pairs_per_second,
                 duration_text(summary.seconds).c_str());
    if (validation) {
      std::fprintf(stderr, "; validation accuracy %.2f%%, TAR@FAR1e-3 %.2f%% (%zu photos)",
                   100 * last_validation.accuracy, 100 * last_validation.tar_at_far_1e3,
                   last_validation.photos);
    }
    std::fprintf(stderr, "\n");
  }

  nn::Model exported = trainer.exported_model();
  nn::ModelMetadata& m = exported.metadata;
  std::ostringstream provenance;
  provenance << "faceunlock train (contrastive Siamese, margin " << options.margin << ", "
             << options.epochs << " epochs of " << trainer.steps_per_epoch() << " steps x "
             << options.batch << " pairs, seed " << options.seed << ") on " << join(roots);
  if (teacher) {
    provenance << "; distilled from " << teacher->metadata.name
               << (parsed.has("--center-teacher") ? " (centred)" : "")
               << (online ? " (online, on the augmented faces)" : "");
    if (options.mixup_probability > 0) {
      provenance << " with mixup on " << options.mixup_probability << " of the pairs";
    }
    if (!options.hint_values.empty()) {
      provenance << ", with feature hints (weight " << options.hint_weight << ") at "
                 << join(options.hint_values);
    }
  }
  if (options.augmentation.max_yaw_degrees > 0) {
    provenance << "; head turns up to " << options.augmentation.max_yaw_degrees << " degrees";
  }
  if (parsed.has("--init")) provenance << "; initialised from " << init_history;
  m.provenance = provenance.str();
  m.license = "trained weights inherit the terms of the training data (" + join(roots) +
              "; CelebA: non-commercial research only)" +
              (teacher ? std::string("; teacher: ") + teacher->metadata.license : std::string());
  m.properties.erase("embedder.threshold.far_1e-3");
  m.properties.erase("embedder.threshold.far_1e-4");
  m.properties.erase("embedder.threshold.far_2e-5");
  m.properties.erase("embedder.threshold.source");
  if (validated) {
    std::ostringstream t;
    t << last_validation.threshold;
    m.properties["embedder.threshold"] = t.str();
    m.properties["embedder.threshold.source"] =
        "best accuracy on " + parsed.get("--val-pairs", "") + " (run faceunlock calibrate)";
  } else {
    m.properties.erase("embedder.threshold");
  }
  nn::save_model(exported, out_path);
  std::cerr << "wrote " << out_path << "\n";
  return kExitOk;
}

}  // namespace

const Command kTrainCommand = {"train", "train an embedder on face pairs (contrastive Siamese)",
                               train_spec, run_train};

}  // namespace fu::tools
