// The face embedder: the Siamese branch that maps an aligned face to an L2-normalised vector
// (docs/model-metadata.md, "Embedders"). Comparing embeddings (their cosine similarity, i.e. the
// dot product) belongs to src/unlock.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "face/alignment.h"
#include "face/face.h"
#include "image/convert.h"
#include "image/image.h"
#include "nn/model.h"
#include "nn/network.h"

namespace fu::face {

class FaceEmbedder {
 public:
  // Throws fu::Error "cannot use model as a face embedder (<name>): <reason>" unless output_kind
  // is "embedding", the input is RGB, there is one output whose size per image equals
  // embedder.dimension, and the alignment template resolves against `detector_keypoints` (the
  // detector's keypoint order, FaceDetector::keypoint_names()). options.batch sets how many faces
  // embed_batch runs at once; single faces use a batch-1 network.
  explicit FaceEmbedder(std::shared_ptr<const nn::Model> model,
                        const nn::NetworkOptions& options = {},
                        std::vector<std::string> detector_keypoints = canonical_keypoint_names());

  // The model as the network runs it (nn::inference_model: the given model's metadata, its batch
  // norm folded into the convolutions). Identify the embedder by the model given, not by these
  // weights (unlock::embedder_identity).
  const nn::Model& model() const { return network_.model(); }
  int dimension() const { return dimension_; }
  const AlignmentTemplate& alignment_template() const { return template_; }
  // embedder.threshold (cosine similarity), when the model carries one.
  std::optional<float> default_threshold() const { return threshold_; }

  // `aligned` must be the template's size (align_face's output); grey, RGB or RGBA. Returns a
  // unit-length vector of dimension() values (normalised here too, whatever the network's last
  // layer does, so that dot products are cosines; an all-zero output stays zero and so matches
  // nothing). Throws fu::Error for a wrong size or a non-finite network output.
  std::vector<float> embed_aligned(const image::ImageView& aligned);
  // align_face then embed_aligned (of the face and its mirror image, averaged, when
  // set_mirror_average is on).
  std::vector<float> embed(const image::ImageView& image, const Face& face);
  // Twice the embedding time for better accuracy; see embed().
  void set_mirror_average(bool on) { mirror_average_ = on; }
  // embed() in its two steps, for callers that time them apart (the browser engine reports
  // per-stage timings): align_face with this embedder's template, then the embedding of the
  // aligned face exactly as embed() computes it (mirror-averaged when that is on).
  image::Image align(const image::ImageView& image, const Face& face) const;
  std::vector<float> embed_after_alignment(const image::ImageView& aligned);
  // The same with the mirror averaging chosen by the caller instead of set_mirror_average (the
  // pipeline mirrors templates and probes by its MirrorPolicy).
  std::vector<float> embed_after_alignment(const image::ImageView& aligned, bool mirror_average);
  // embed_aligned for each, running options.batch faces per network call.
  std::vector<std::vector<float>> embed_batch(const std::vector<image::ImageView>& aligned);

 private:
  void fill_input(const image::ImageView& aligned, float* out, std::size_t count) const;
  std::vector<float> normalized(const float* values) const;

  nn::Network network_;
  nn::NetworkOptions options_;
  std::unique_ptr<nn::Network> batch_network_;  // made on the first embed_batch with batch > 1
  int dimension_ = 0;
  AlignmentTemplate template_;
  std::optional<float> threshold_;
  bool mirror_average_ = false;
  image::ChannelNormalization normalization_;
  nn::Tensor input_;
};

}  // namespace fu::face
