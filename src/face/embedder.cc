#include "face/embedder.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "base/error.h"
#include "face/metadata.h"

namespace fu::face {
namespace {

std::shared_ptr<const nn::Model> checked_kind(std::shared_ptr<const nn::Model> model) {
  return require_rgb_model(std::move(model), "face embedder", "embedding");
}

}  // namespace

FaceEmbedder::FaceEmbedder(std::shared_ptr<const nn::Model> model,
                           const nn::NetworkOptions& options,
                           std::vector<std::string> detector_keypoints)
    : network_(checked_kind(std::move(model)), single_image(options)), options_(options) {
  const nn::ModelMetadata& m = network_.model().metadata;
  const MetadataReader r(m, "face embedder");
  const double dimension = r.number("embedder.dimension");
  if (dimension < 1 || dimension > 65536 || dimension != std::floor(dimension)) {
    r.fail("embedder.dimension is " + r.text("embedder.dimension") +
           ", expected a whole number from 1 to 65536");
  }
  dimension_ = static_cast<int>(dimension);
  if (network_.output_count() != 1) {
    r.fail("it has " + std::to_string(network_.output_count()) + " outputs, expected 1");
  }
  const nn::Shape output = network_.output_shape(0);
  if (output.size() != static_cast<std::size_t>(dimension_)) {
    r.fail("its output has shape " + output.str() + ", but embedder.dimension is " +
           std::to_string(dimension_));
  }
  template_ = make_alignment_template(m, detector_keypoints);
  if (r.find("embedder.threshold")) {
    threshold_ = static_cast<float>(r.number("embedder.threshold"));
  }
  normalization_ = pixel_normalization(m);
  input_ = nn::Tensor(network_.input_shape());
  if (options_.batch < 1) options_.batch = 1;
}

void FaceEmbedder::fill_input(const image::ImageView& aligned, float* out,
                              std::size_t count) const {
  if (aligned.empty() || aligned.width() != template_.width ||
      aligned.height() != template_.height) {
    throw Error("cannot embed face (" + image::shape_text(aligned) + "): expected an aligned " +
                std::to_string(template_.width) + "x" + std::to_string(template_.height) +
                " image (align_face)");
  }
  if (aligned.channels() == 3) {
    image::normalize_to_float(aligned, normalization_, out, count);
  } else {
    image::normalize_to_float(image::convert_channels(aligned, 3), normalization_, out, count);
  }
}

std::vector<float> FaceEmbedder::normalized(const float* values) const {
  std::vector<float> result(values, values + dimension_);
  double sum = 0.0;
  for (float v : result) {
    if (!std::isfinite(v)) {
      throw Error("cannot embed face (model " + network_.model().metadata.name +
                  "): the network produced a value that is not finite");
    }
    sum += static_cast<double>(v) * v;
  }
  // A zero vector stays zero: it matches nothing rather than dividing by zero.
  if (sum > 0.0) {
    const float inverse = static_cast<float>(1.0 / std::sqrt(sum));
    for (float& v : result) v *= inverse;
  }
  return result;
}

std::vector<float> FaceEmbedder::embed_aligned(const image::ImageView& aligned) {
  fill_input(aligned, input_.data(), input_.size());
  const std::vector<nn::Tensor>& outputs = network_.run(input_);
  return normalized(outputs[0].data());
}

std::vector<float> FaceEmbedder::embed(const image::ImageView& image, const Face& face) {
  return embed_after_alignment(align(image, face));
}

image::Image FaceEmbedder::align(const image::ImageView& image, const Face& face) const {
  return align_face(image, face, template_);
}

std::vector<float> FaceEmbedder::embed_after_alignment(const image::ImageView& aligned) {
  return embed_after_alignment(aligned, mirror_average_);
}

std::vector<float> FaceEmbedder::embed_after_alignment(const image::ImageView& aligned,
                                                       bool mirror_average) {
  if (!mirror_average) return embed_aligned(aligned);
  // The mirror image is the same face seen with left and right swapped; averaging the two
  // embeddings cancels part of the network's response to pose and to alignment error.
  image::Image mirrored(aligned.width(), aligned.height(), aligned.channels());
  const int c = aligned.channels();
  for (int y = 0; y < aligned.height(); ++y) {
    const std::uint8_t* src = aligned.row(y);
    std::uint8_t* dst = mirrored.row(y);
    for (int x = 0; x < aligned.width(); ++x) {
      std::copy(src + x * c, src + (x + 1) * c, dst + (aligned.width() - 1 - x) * c);
    }
  }
  std::vector<float> sum = embed_aligned(aligned);
  const std::vector<float> other = embed_aligned(mirrored);
  for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += other[i];
  return normalized(sum.data());
}

std::vector<std::vector<float>> FaceEmbedder::embed_batch(
    const std::vector<image::ImageView>& aligned) {
  std::vector<std::vector<float>> result;
  result.reserve(aligned.size());
  if (options_.batch <= 1) {
    for (const image::ImageView& face : aligned) result.push_back(embed_aligned(face));
    return result;
  }
  if (!batch_network_) {
    // The folded model the first network runs (nn::inference_model), not a second copy.
    batch_network_ = std::make_unique<nn::Network>(network_.shared_model(), options_);
  }
  nn::Tensor batch_input(batch_network_->input_shape());
  const std::size_t per_face = input_.size();
  for (std::size_t first = 0; first < aligned.size(); first += options_.batch) {
    const std::size_t count =
        std::min(aligned.size() - first, static_cast<std::size_t>(options_.batch));
    for (std::size_t i = 0; i < count; ++i) {
      fill_input(aligned[first + i], batch_input.data() + i * per_face, per_face);
    }
    // The unused tail of a last, partial batch computes garbage nobody reads; zeros keep it
    // finite.
    std::fill(batch_input.data() + count * per_face, batch_input.data() + batch_input.size(), 0.0f);
    const nn::Tensor& output = batch_network_->run(batch_input)[0];
    for (std::size_t i = 0; i < count; ++i) {
      result.push_back(normalized(output.data() + i * dimension_));
    }
  }
  return result;
}

}  // namespace fu::face
