// Face alignment: the similarity warp that puts a detected face's keypoints where the embedder
// was trained to see them (its template, from the embedder model's metadata).
#pragma once

#include <string>
#include <vector>

#include "face/face.h"
#include "image/image.h"
#include "image/warp.h"
#include "nn/model.h"

namespace fu::face {

struct AlignmentTemplate {
  int width = 0;  // the aligned image's size: the embedder's input
  int height = 0;
  std::vector<int> keypoint_indices;  // into Face::keypoints (the detector's order)
  std::vector<image::Point> points;   // where those keypoints go, in aligned-image pixels
};

// From an embedder's metadata: `embedder.keypoints` (names) and `embedder.template`
// (x,y per name, in input pixels, pixel-centre convention), matched against the detector's
// keypoint names. Throws fu::Error "cannot use model as a face embedder (<name>): ..." when a key
// is missing or malformed, the counts differ, fewer than 2 points are given, or the detector has
// no keypoint of a name.
AlignmentTemplate make_alignment_template(const nn::ModelMetadata& embedder,
                                          const std::vector<std::string>& detector_keypoints);

// The least-squares similarity taking the face's template keypoints onto the template points
// (image pixels -> aligned pixels). Throws fu::Error when the face lacks a keypoint index or the
// points are degenerate (all coincide).
image::AffineTransform alignment_transform(const Face& face, const AlignmentTemplate& alignment);

// The aligned face, alignment.width x alignment.height, same channel count as `image`. Samples
// outside the image replicate its edge pixels: a face near the frame's edge then gets plausible
// surroundings instead of a black wedge whose position (and so the embedding) would change with
// every small head movement.
image::Image align_face(const image::ImageView& image, const Face& face,
                        const AlignmentTemplate& alignment);

}  // namespace fu::face
