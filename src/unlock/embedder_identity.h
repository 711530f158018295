// Which embedder made a set of templates. Embeddings of two models live in different spaces even
// when their dimensions agree (dlib-resnet and the MobileFaceNet student are both 128-d), so
// templates compared under the wrong model match garbage without any error. Every gallery
// therefore names the embedder that made it (docs/gallery-format.md), and whoever matches checks
// that name against the model it runs, here and nowhere else.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include "base/error.h"
#include "nn/model.h"

namespace fu::unlock {

// Longest identity a gallery file may hold; what embedder_identity() makes is far shorter.
constexpr std::size_t kMaxEmbedderIdentityBytes = 256;

// The embedder's identity: "<metadata name>@<CRC-32 of its weights, 8 hex digits>", e.g.
// "dlib-resnet@0123abcd". Only the weights and the name count, so recalibrated thresholds or
// edited provenance keep the identity, and any retraining changes it. A model whose metadata
// holds `embedder.identity` has that identity instead: a converted copy (say, one quantised from
// float32 to int8) declares so that the templates of its source still match it.
std::string embedder_identity(const nn::Model& model);

// The metadata key by which a model declares another model's identity as its own.
inline constexpr char kEmbedderIdentityKey[] = "embedder.identity";

// The model name part of an identity ("dlib-resnet" of "dlib-resnet@0123abcd").
std::string embedder_name(const std::string& identity);

// What a gallery that does not record its embedder (version 1 files, docs/gallery-format.md) is
// read as: the library's default 'accurate' embedder, models/dlib-resnet.fum, the only one it
// shipped before galleries recorded identities; and only with that model's 128 dimensions.
extern const char kUnrecordedEmbedder[];
constexpr std::size_t kUnrecordedEmbedderDimension = 128;

// The identity a gallery's templates were made by: `recorded` when not empty, otherwise
// kUnrecordedEmbedder for `dimension` 128 and an empty string (unknown) for anything else.
std::string templates_embedder(const std::string& recorded, std::size_t dimension);

// Why `identity` cannot be stored in a gallery file, or an empty string when it can: at most
// kMaxEmbedderIdentityBytes of printable ASCII.
std::string embedder_identity_problem(const std::string& identity);

// Templates are only comparable with probes aligned on the same points: the alignment warps the
// face so that its eyes, nose and mouth land on the template's places, and BlazeFace's keypoints
// and the 68-point landmarks put those points in slightly different places on the same face. So
// what a gallery records is the identity of the templates' maker, the embedder and the keypoints
// its faces were aligned on: the embedder's identity alone for the detector's keypoints (every
// gallery made before the landmark path), "<embedder identity>+<keypoints>" otherwise (e.g.
// "dlib-resnet@6c83f8d0+landmarks-68"). Everything that checks identities then refuses templates
// aligned on other points as it refuses another embedder's.
inline constexpr char kDetectorKeypoints[] = "detector";
// `keypoints` is a keypoint source's name (unlock::keypoint_source_name); throws fu::Error when it
// is empty or holds '+' or '@'.
std::string templates_identity(const std::string& embedder, const std::string& keypoints);
// The keypoints a templates identity names: kDetectorKeypoints when it names none.
std::string templates_keypoints(const std::string& identity);
// The embedder's identity in a templates identity (all of it when it names no keypoints).
std::string without_keypoints(const std::string& identity);

// Thrown when templates were made by another embedder than the one that would match them. The
// message says which made them, which runs, and what to do.
class EmbedderMismatch : public Error {
 public:
  EmbedderMismatch(const std::string& message, std::string stored, std::string running)
      : Error(message), stored_(std::move(stored)), running_(std::move(running)) {}
  // The identity that made the templates ("" when unknown) and the one running.
  const std::string& stored() const { return stored_; }
  const std::string& running() const { return running_; }

 private:
  std::string stored_;
  std::string running_;
};

// Throws EmbedderMismatch "cannot <verb> <object>: these templates were made by ...; this <runner>
// runs ...: ..." unless templates recorded as `recorded` (possibly empty) with `dimension` values
// were made by `running`.
void require_embedder(const std::string& recorded, std::size_t dimension,
                      const std::string& running, const std::string& verb_object);

}  // namespace fu::unlock
