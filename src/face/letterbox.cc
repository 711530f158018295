#include "face/letterbox.h"

#include <algorithm>
#include <string>

#include "base/error.h"
#include "face/resample.h"

namespace fu::face {

image::AffineTransform Letterbox::image_to_input() const {
  return image::AffineTransform(scale, 0.0, 0.5 * scale - 0.5 + pad_x, 0.0, scale,
                                0.5 * scale - 0.5 + pad_y);
}

image::Point Letterbox::to_input(image::Point p) const {
  return image::Point{(p.x + 0.5) * scale - 0.5 + pad_x, (p.y + 0.5) * scale - 0.5 + pad_y};
}

image::Point Letterbox::to_image(image::Point q) const {
  return image::Point{(q.x + 0.5 - pad_x) / scale - 0.5, (q.y + 0.5 - pad_y) / scale - 0.5};
}

FaceBox Letterbox::to_image(const FaceBox& box) const {
  const image::Point corner = to_image(image::Point{box.x, box.y});
  FaceBox result;
  result.x = static_cast<float>(corner.x);
  result.y = static_cast<float>(corner.y);
  result.width = static_cast<float>(box.width / scale);
  result.height = static_cast<float>(box.height / scale);
  return result;
}

Face Letterbox::to_image(const Face& face) const {
  Face result;
  result.box = to_image(face.box);
  result.score = face.score;
  result.keypoints.reserve(face.keypoints.size());
  for (const image::Point& p : face.keypoints) result.keypoints.push_back(to_image(p));
  return result;
}

Letterbox make_letterbox(int image_width, int image_height, int input_width, int input_height) {
  if (image_width < 1 || image_height < 1 || input_width < 1 || input_height < 1) {
    throw Error("cannot fit image into detector input (" + std::to_string(image_width) + "x" +
                std::to_string(image_height) + " into " + std::to_string(input_width) + "x" +
                std::to_string(input_height) + "): sizes must be positive");
  }
  Letterbox l;
  l.input_width = input_width;
  l.input_height = input_height;
  l.scale = std::min(static_cast<double>(input_width) / image_width,
                     static_cast<double>(input_height) / image_height);
  l.pad_x = 0.5 * (input_width - image_width * l.scale);
  l.pad_y = 0.5 * (input_height - image_height * l.scale);
  return l;
}

image::Image apply_letterbox(const image::ImageView& image, const Letterbox& letterbox) {
  image::WarpOptions options;
  options.border = image::BorderMode::kConstant;
  options.border_value = {0, 0, 0, 255};
  return warp_affine_antialiased(image, letterbox.image_to_input(), letterbox.input_width,
                                 letterbox.input_height, options);
}

}  // namespace fu::face
