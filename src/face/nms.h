// Overlap of boxes and MediaPipe's weighted non-maximum suppression, which merges a cluster of
// overlapping detections into one instead of keeping only the best: the merged box and keypoints
// jitter less from frame to frame than any single anchor's.
#pragma once

#include <vector>

#include "face/face.h"

namespace fu::face {

// Intersection area over union area; 0 when either box is empty or they do not touch.
float intersection_over_union(const FaceBox& a, const FaceBox& b);

struct NmsOptions {
  // Candidates overlapping the cluster's best by an IoU strictly above this join its cluster.
  float iou_threshold = 0.3f;
  // At most this many faces are returned; 0 means no cap.
  int max_faces = 0;
};

// Repeatedly takes the highest-scoring remaining candidate, gathers every remaining candidate
// whose IoU with it exceeds the threshold (itself included), and emits one face whose box
// corners and keypoints are the score-weighted means of the cluster and whose score is the
// best's. The result is sorted by score, descending. Every candidate must have as many keypoints
// as the first (fu::Error otherwise); scores must be positive for the weights to mean anything.
std::vector<Face> weighted_non_max_suppression(const std::vector<Face>& candidates,
                                               const NmsOptions& options = {});

}  // namespace fu::face
