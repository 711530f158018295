#include "train/template_fit.h"

#include "base/error.h"
#include "image/warp.h"

namespace fu::train {

std::vector<image::Point> fit_template_points(const std::vector<std::vector<image::Point>>& faces,
                                              const std::vector<image::Point>& current) {
  if (current.size() < 3) {
    throw Error("cannot fit alignment template (" + std::to_string(current.size()) +
                " points): needs two anchor points and at least one to fit");
  }
  if (faces.empty()) throw Error("cannot fit alignment template (no faces): nothing to average");
  std::vector<image::Point> sum(current.size(), {0.0, 0.0});
  for (const std::vector<image::Point>& face : faces) {
    if (face.size() != current.size()) {
      throw Error("cannot fit alignment template (" + std::to_string(face.size()) +
                  " keypoints): the template has " + std::to_string(current.size()));
    }
    const image::AffineTransform to_template =
        image::estimate_similarity({face[0], face[1]}, {current[0], current[1]});
    for (std::size_t k = 2; k < face.size(); ++k) {
      const image::Point p = to_template.apply(face[k]);
      sum[k].x += p.x;
      sum[k].y += p.y;
    }
  }
  std::vector<image::Point> fitted = current;
  for (std::size_t k = 2; k < fitted.size(); ++k) {
    fitted[k] = {sum[k].x / faces.size(), sum[k].y / faces.size()};
  }
  return fitted;
}

}  // namespace fu::train
