// Learning where an embedder's alignment template should put the detector's keypoints.
//
// A template copied from another landmark scheme (dlib's 68 points, ArcFace's 5) names the same
// parts as the detector's keypoints but not the same spots: BlazeFace's "nose tip" sits lower
// than dlib's, its mouth centre higher. A least-squares similarity onto such a template then
// compromises between the mismatched points and tilts or shrinks every face a little
// differently. Fitting the template to the detector's own average keypoint layout removes that,
// while the first two template points (the eyes) stay where the embedder was trained to see them.
#pragma once

#include <vector>

#include "image/image.h"

namespace fu::train {

// `faces` holds, per photo, the detected keypoints in template order (keypoint_indices applied).
// Each face is mapped by the similarity that puts its first two points onto the template's first
// two; the other points are averaged in that frame. Returns the new template: first two points
// unchanged, the others at their averages. Throws fu::Error for no faces, fewer than 3 template
// points, or faces whose sizes differ from the template's.
std::vector<image::Point> fit_template_points(const std::vector<std::vector<image::Point>>& faces,
                                              const std::vector<image::Point>& current);

}  // namespace fu::train
