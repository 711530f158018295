#include "train/checkpoint.h"

#include "base/byte_stream.h"
#include "base/error.h"
#include "base/file_envelope.h"

namespace fu::train {

namespace {

constexpr EnvelopeFormat kFormat = {"FUTRAIN1", 1, "training checkpoint"};

}  // namespace

void save_training_checkpoint(const TrainingCheckpoint& c, const std::string& path) {
  ByteWriter w;
  w.u32(static_cast<std::uint32_t>(c.epochs_done));
  w.u64(static_cast<std::uint64_t>(c.steps_done));
  w.u64(c.seed);
  w.u64(static_cast<std::uint64_t>(c.steps_per_epoch));
  w.u32(static_cast<std::uint32_t>(c.batch));
  w.str(c.sampler.rng);
  w.u64(c.sampler.pairs);
  w.u64(c.sampler.same_pairs);
  w.u64(c.sampler.hard_pairs);
  w.u64(c.optimizer_state.size());
  w.raw(c.optimizer_state.data(), c.optimizer_state.size());
  const std::vector<std::uint8_t> model = nn::serialize_model(c.model);
  w.u64(model.size());
  w.raw(model.data(), model.size());
  write_file_atomically(path, seal_envelope(kFormat, w.bytes()), kFormat.kind);
}

TrainingCheckpoint load_training_checkpoint(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_whole_file(path, kFormat.kind);
  const EnvelopeBody body = open_envelope(kFormat, bytes.data(), bytes.size(), path);
  ByteReader r(body.data, body.size, "training checkpoint (" + path + ")");
  TrainingCheckpoint c;
  c.epochs_done = static_cast<std::int32_t>(r.u32("epochs done"));
  c.steps_done = static_cast<std::int64_t>(r.u64("steps done"));
  c.seed = r.u64("seed");
  c.steps_per_epoch = static_cast<std::int64_t>(r.u64("steps per epoch"));
  c.batch = static_cast<std::int32_t>(r.u32("batch"));
  c.sampler.rng = r.str("sampler state");
  c.sampler.pairs = r.u64("sampler pairs");
  c.sampler.same_pairs = r.u64("sampler same pairs");
  c.sampler.hard_pairs = r.u64("sampler hard pairs");
  const std::uint64_t optimizer_size = r.u64("optimizer state size");
  if (optimizer_size > r.remaining()) r.fail("the optimizer state runs past the end");
  c.optimizer_state.resize(optimizer_size);
  r.raw(c.optimizer_state.data(), c.optimizer_state.size(), "optimizer state");
  const std::uint64_t model_size = r.u64("model size");
  if (model_size != r.remaining()) r.fail("the model does not fill the rest of the file");
  c.model =
      nn::parse_model(body.data + r.offset(), model_size, "training checkpoint (" + path + ")");
  return c;
}

}  // namespace fu::train
