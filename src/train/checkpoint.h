// The training checkpoint: everything that carries over from one epoch to the next, so that
// `faceunlock train --resume` continues exactly where a run stopped.
// docs/train-checkpoint-format.md documents the bytes (the shared file envelope: magic, version,
// CRC-32).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/model.h"
#include "train/pair_sampler.h"

namespace fu::train {

struct TrainingCheckpoint {
  nn::Model model;  // the trainable graph (batch_norm, dropout kept) and its metadata
  std::vector<std::uint8_t> optimizer_state;  // Optimizer::save
  PairSamplerState sampler;
  std::int32_t epochs_done = 0;
  std::int64_t steps_done = 0;
  std::uint64_t seed = 0;
  std::int64_t steps_per_epoch = 0;
  std::int32_t batch = 0;
};

// Atomic: a crash while saving leaves the previous checkpoint intact.
void save_training_checkpoint(const TrainingCheckpoint& checkpoint, const std::string& path);
// Throws fu::Error "cannot read training checkpoint (<path>): <reason>".
TrainingCheckpoint load_training_checkpoint(const std::string& path);

}  // namespace fu::train
