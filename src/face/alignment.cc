#include "face/alignment.h"

#include <string>

#include "base/error.h"
#include "face/metadata.h"
#include "face/resample.h"

namespace fu::face {

AlignmentTemplate make_alignment_template(const nn::ModelMetadata& embedder,
                                          const std::vector<std::string>& detector_keypoints) {
  const MetadataReader r(embedder, "face embedder");
  const std::vector<std::string> names = r.names("embedder.keypoints");
  const std::vector<double> coordinates = r.numbers("embedder.template");
  if (coordinates.size() != 2 * names.size()) {
    r.fail("embedder.template has " + std::to_string(coordinates.size()) +
           " numbers, expected x,y for each of the " + std::to_string(names.size()) +
           " names in embedder.keypoints");
  }
  if (names.size() < 2) r.fail("embedder.keypoints names fewer than 2 keypoints");
  AlignmentTemplate t;
  t.width = embedder.input_width;
  t.height = embedder.input_height;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const int index = find_keypoint(detector_keypoints, names[i]);
    if (index < 0) {
      r.fail("embedder.keypoints names '" + names[i] + "', which the detector does not give");
    }
    t.keypoint_indices.push_back(index);
    t.points.push_back(image::Point{coordinates[2 * i], coordinates[2 * i + 1]});
  }
  return t;
}

image::AffineTransform alignment_transform(const Face& face, const AlignmentTemplate& alignment) {
  std::vector<image::Point> source;
  source.reserve(alignment.keypoint_indices.size());
  for (int index : alignment.keypoint_indices) {
    if (index < 0 || index >= static_cast<int>(face.keypoints.size())) {
      throw Error("cannot align face (keypoint " + std::to_string(index) + "): the face has " +
                  std::to_string(face.keypoints.size()) + " keypoints");
    }
    source.push_back(face.keypoints[index]);
  }
  return image::estimate_similarity(source, alignment.points);
}

image::Image align_face(const image::ImageView& image, const Face& face,
                        const AlignmentTemplate& alignment) {
  image::WarpOptions options;
  options.border = image::BorderMode::kReplicate;
  return warp_affine_antialiased(image, alignment_transform(face, alignment), alignment.width,
                                 alignment.height, options);
}

}  // namespace fu::face
