#include "face/quality.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "face/resample.h"
#include "image/convert.h"

namespace fu::face {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Side of the square the face box is resampled to before measuring light and sharpness.
constexpr int kAnalysisSide = 96;

int required_keypoint(const QualityOptions& options, std::string_view name) {
  const int index = find_keypoint(options.keypoint_names, name);
  if (index < 0) {
    throw Error("cannot assess face quality (keypoint '" + std::string(name) +
                "'): it is not among QualityOptions::keypoint_names");
  }
  return index;
}

// The part of the image the face region's resampling reads: the box with a margin for the
// prefilter's halvings and the bilinear taps, clipped to the image. Its corner sits on a multiple
// of kCropAlignment so that the prefilter's 2x2 averages of the crop are those of the whole image
// (one 640x480 frame halved costs far more than the measurements themselves).
constexpr int kCropAlignment = 16;

image::Rect region_crop(const image::ImageView& image, const FaceBox& box) {
  const double margin = 2.0 + 4.0 * std::max(box.width, box.height) / kAnalysisSide;
  auto within = [](double v, int limit) {
    return std::isfinite(v) ? static_cast<int>(std::clamp(v, 0.0, static_cast<double>(limit))) : 0;
  };
  int left = within(std::floor(box.x - margin), image.width());
  int top = within(std::floor(box.y - margin), image.height());
  left -= left % kCropAlignment;
  top -= top % kCropAlignment;
  // Sides that are multiples of the alignment too, where the image allows, so that every halving
  // is an exact 2x2 average.
  auto aligned_end = [](int start, int end, int limit) {
    return std::min(limit,
                    start + (end - start + kCropAlignment - 1) / kCropAlignment * kCropAlignment);
  };
  const int right = aligned_end(left, within(std::ceil(box.x + box.width + margin), image.width()),
                                image.width());
  const int bottom = aligned_end(
      top, within(std::ceil(box.y + box.height + margin), image.height()), image.height());
  return image::Rect{left, top, right - left, bottom - top};
}

// The face box resampled to kAnalysisSide squared, grey. Replicated edges keep a box that grazes
// the border from reading as a dark, sharp-edged face.
image::Image face_region_grey(const image::ImageView& full_image, const FaceBox& full_box) {
  const image::Rect crop = region_crop(full_image, full_box);
  // A box wholly outside the image still measures the replicated border, as before the crop.
  const bool cropped = crop.width >= 4 && crop.height >= 4;
  const image::ImageView image = cropped ? full_image.crop(crop) : full_image;
  FaceBox box = full_box;
  if (cropped) {
    box.x -= crop.x;
    box.y -= crop.y;
  }
  const double sx = kAnalysisSide / std::max(box.width, 1.0f);
  const double sy = kAnalysisSide / std::max(box.height, 1.0f);
  // Box edges go to the region's edges: q = (p - box.x) * s - 0.5.
  const image::AffineTransform to_region(sx, 0.0, -box.x * sx - 0.5, 0.0, sy, -box.y * sy - 0.5);
  image::WarpOptions options;
  options.border = image::BorderMode::kReplicate;
  image::Image region =
      warp_affine_antialiased(image, to_region, kAnalysisSide, kAnalysisSide, options);
  return region.channels() == 1 ? region : image::convert_channels(region, 1);
}

// Integer sums: exact, as the double sums they replace were (every term is an integer and the
// totals stay far below 2^53), so the figures are the same, for a fraction of the time.
float mean_of(const image::Image& grey) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < grey.size_bytes(); ++i) sum += grey.data()[i];
  return static_cast<float>(static_cast<double>(sum) / grey.size_bytes());
}

float laplacian_variance(const image::Image& grey) {
  std::int64_t sum = 0;
  std::int64_t sum_squares = 0;
  for (int y = 1; y + 1 < grey.height(); ++y) {
    const std::uint8_t* above = grey.row(y - 1);
    const std::uint8_t* row = grey.row(y);
    const std::uint8_t* below = grey.row(y + 1);
    // One row's sums fit in 32 bits: |v| <= 1020 (the image is kAnalysisSide wide).
    static_assert(1020 * 1020 * kAnalysisSide < (1 << 30));
    std::int32_t row_sum = 0;
    std::int32_t row_squares = 0;
    for (int x = 1; x + 1 < grey.width(); ++x) {
      const std::int32_t v = row[x - 1] + row[x + 1] + above[x] + below[x] - 4 * row[x];
      row_sum += v;
      row_squares += v * v;
    }
    sum += row_sum;
    sum_squares += row_squares;
  }
  const double count = static_cast<double>(grey.height() - 2) * (grey.width() - 2);
  const double mean = static_cast<double>(sum) / count;
  return static_cast<float>(static_cast<double>(sum_squares) / count - mean * mean);
}

bool outside(const image::ImageView& image, const Face& face, float fraction) {
  const FaceBox& b = face.box;
  const float left = -0.5f - fraction * b.width;
  const float top = -0.5f - fraction * b.height;
  const float right = image.width() - 0.5f + fraction * b.width;
  const float bottom = image.height() - 0.5f + fraction * b.height;
  if (b.x < left || b.y < top || b.x + b.width > right || b.y + b.height > bottom) return true;
  for (const image::Point& p : face.keypoints) {
    if (p.x < -0.5 || p.y < -0.5 || p.x > image.width() - 0.5 || p.y > image.height() - 0.5) {
      return true;
    }
  }
  return false;
}

}  // namespace

const char* quality_issue_name(QualityIssue issue) {
  switch (issue) {
    case QualityIssue::kOk:
      return "ok";
    case QualityIssue::kOutOfFrame:
      return "out_of_frame";
    case QualityIssue::kTooSmall:
      return "too_small";
    case QualityIssue::kTooDark:
      return "too_dark";
    case QualityIssue::kTooBright:
      return "too_bright";
    case QualityIssue::kRolled:
      return "rolled";
    case QualityIssue::kTurned:
      return "turned";
    case QualityIssue::kBlurry:
      return "blurry";
  }
  return "unknown";
}

const char* quality_issue_hint(QualityIssue issue) {
  switch (issue) {
    case QualityIssue::kOk:
      return "";
    case QualityIssue::kOutOfFrame:
      return "move into the frame";
    case QualityIssue::kTooSmall:
      return "come closer";
    case QualityIssue::kTooDark:
      return "more light";
    case QualityIssue::kTooBright:
      return "less light";
    case QualityIssue::kRolled:
      return "hold your head straight";
    case QualityIssue::kTurned:
      return "face the camera";
    case QualityIssue::kBlurry:
      return "hold still";
  }
  return "";
}

Quality assess_quality(const image::ImageView& image, const Face& face,
                       const QualityOptions& options) {
  if (image.empty()) throw Error("cannot assess face quality (empty image): no pixels");
  if (face.keypoints.size() != options.keypoint_names.size()) {
    throw Error("cannot assess face quality (" + std::to_string(face.keypoints.size()) +
                " keypoints): QualityOptions::keypoint_names names " +
                std::to_string(options.keypoint_names.size()));
  }
  const image::Point right_eye = face.keypoints[required_keypoint(options, kRightEye)];
  const image::Point left_eye = face.keypoints[required_keypoint(options, kLeftEye)];
  const image::Point nose = face.keypoints[required_keypoint(options, kNoseTip)];

  Quality q;
  q.face_size_px = std::min(face.box.width, face.box.height);
  // The subject's right eye is on the image's left, so a level face has dx > 0.
  const double dx = left_eye.x - right_eye.x;
  const double dy = left_eye.y - right_eye.y;
  q.roll_degrees = static_cast<float>(std::atan2(dy, dx) * 180.0 / kPi);
  const double eye_distance_squared = dx * dx + dy * dy;
  if (eye_distance_squared > 0.0) {
    // Where the nose projects onto the eye line: 0 at the right eye, 1 at the left eye.
    const double t =
        ((nose.x - right_eye.x) * dx + (nose.y - right_eye.y) * dy) / eye_distance_squared;
    q.yaw = static_cast<float>(std::clamp(2.0 * t - 1.0, -1.0, 1.0));
  }
  const bool has_area = face.box.width > 0.0f && face.box.height > 0.0f;
  if (has_area) {
    const image::Image grey = face_region_grey(image, face.box);
    q.brightness = mean_of(grey);
    q.sharpness = laplacian_variance(grey);
  }

  if (!has_area || outside(image, face, options.max_outside_fraction)) {
    q.issue = QualityIssue::kOutOfFrame;
  } else if (q.face_size_px < options.min_face_size) {
    q.issue = QualityIssue::kTooSmall;
  } else if (q.brightness < options.min_brightness) {
    q.issue = QualityIssue::kTooDark;
  } else if (q.brightness > options.max_brightness) {
    q.issue = QualityIssue::kTooBright;
  } else if (std::fabs(q.roll_degrees) > options.max_roll_degrees) {
    q.issue = QualityIssue::kRolled;
  } else if (std::fabs(q.yaw) > options.max_yaw) {
    q.issue = QualityIssue::kTurned;
  } else if (q.sharpness < options.min_sharpness) {
    q.issue = QualityIssue::kBlurry;
  }
  q.reason = quality_issue_hint(q.issue);
  return q;
}

}  // namespace fu::face
