#include "train/embed_images.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

#include "base/error.h"
#include "face/face.h"
#include "face/resample.h"
#include "image/decode.h"

namespace fu::train {

namespace {

// Keypoints and box relative to the photo's size, so photos of other sizes can share them.
struct RelativeFace {
  std::vector<image::Point> keypoints;
  face::FaceBox box;
};

RelativeFace relative(const face::Face& f, int width, int height) {
  RelativeFace r;
  for (const image::Point& p : f.keypoints) r.keypoints.push_back({p.x / width, p.y / height});
  r.box = {f.box.x / width, f.box.y / height, f.box.width / width, f.box.height / height};
  return r;
}

face::Face absolute(const RelativeFace& r, int width, int height) {
  face::Face f;
  for (const image::Point& p : r.keypoints) f.keypoints.push_back({p.x * width, p.y * height});
  f.box = {r.box.x * width, r.box.y * height, r.box.width * width, r.box.height * height};
  return f;
}

// Runs `work(index, pipeline)` for every index on `jobs` threads, each owning a pipeline.
void for_each_parallel(std::size_t count, int jobs,
                       const std::shared_ptr<const nn::Model>& detector,
                       const std::shared_ptr<const nn::Model>& embedder,
                       const face::PipelineOptions& options,
                       const std::function<void(std::size_t, face::FacePipeline&)>& work) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    try {
      face::FacePipeline pipeline(detector, embedder, options);
      for (std::size_t i = next++; i < count; i = next++) work(i, pipeline);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = count;
    }
  };
  const int threads = std::max(1, std::min<int>(jobs, static_cast<int>(count)));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

// The photo at `path`, shrunk by `scale` (at least one pixel a side).
image::Image read_photo(const std::string& path, double scale) {
  image::Image photo = image::read_image(path);
  if (scale == 1.0) return photo;
  const int width = std::max(1, static_cast<int>(std::lround(photo.width() * scale)));
  const int height = std::max(1, static_cast<int>(std::lround(photo.height() * scale)));
  // Pixel centres map onto pixel centres: q + 0.5 = (p + 0.5) * s.
  const double sx = static_cast<double>(width) / photo.width();
  const double sy = static_cast<double>(height) / photo.height();
  const image::AffineTransform shrink(sx, 0.0, 0.5 * sx - 0.5, 0.0, sy, 0.5 * sy - 0.5);
  image::WarpOptions options;
  options.border = image::BorderMode::kReplicate;
  return face::warp_affine_antialiased(photo, shrink, width, height, options);
}

face::PipelineOptions pipeline_options(const EmbedImagesOptions& o) {
  face::PipelineOptions options;
  options.network.backend = o.backend;
  options.network.threads = 1;
  options.detect = o.detect;
  options.choice = o.choice;
  options.mirror = o.mirror_average ? face::MirrorPolicy::kBoth : face::MirrorPolicy::kNeither;
  options.landmarks = o.landmarks;
  options.landmark_box_scale = o.landmark_box_scale;
  return options;
}

}  // namespace

std::vector<EmbeddedImage> embed_images(const std::vector<std::string>& paths,
                                        std::shared_ptr<const nn::Model> detector,
                                        std::shared_ptr<const nn::Model> embedder,
                                        const EmbedImagesOptions& options) {
  if (!(options.photo_scale > 0.0 && options.photo_scale <= 1.0)) {
    throw Error("cannot embed photos at scale " + std::to_string(options.photo_scale) +
                ": the scale must be in (0, 1]");
  }
  std::vector<EmbeddedImage> results(paths.size());
  std::vector<RelativeFace> found(paths.size());
  std::atomic<std::size_t> done{0};
  const std::size_t total = paths.size();
  for_each_parallel(paths.size(), options.jobs, detector, embedder, pipeline_options(options),
                    [&](std::size_t i, face::FacePipeline& pipeline) {
                      EmbeddedImage& r = results[i];
                      r.path = paths[i];
                      try {
                        const image::Image photo = read_photo(paths[i], options.photo_scale);
                        const face::FaceAnalysis analysis = pipeline.analyze(photo);
                        r.faces_found = static_cast<int>(analysis.faces.size());
                        if (analysis.has_face()) {
                          r.embedding = analysis.embedding;
                          r.keypoints = analysis.faces[analysis.chosen].keypoints;
                          found[i] = relative(analysis.faces[analysis.chosen], photo.width(),
                                              photo.height());
                        }
                      } catch (const Error& e) {
                        r.error = e.what();
                      }
                      if (options.progress) options.progress(++done, total);
                    });

  // The average face position over the photos where one was found.
  std::vector<std::size_t> missing;
  RelativeFace mean;
  std::size_t with_face = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!results[i].error.empty()) continue;
    if (results[i].embedding.empty()) {
      missing.push_back(i);
      continue;
    }
    const RelativeFace& f = found[i];
    if (mean.keypoints.empty()) mean.keypoints.assign(f.keypoints.size(), {0.0, 0.0});
    for (std::size_t k = 0; k < f.keypoints.size(); ++k) {
      mean.keypoints[k].x += f.keypoints[k].x;
      mean.keypoints[k].y += f.keypoints[k].y;
    }
    mean.box.x += f.box.x;
    mean.box.y += f.box.y;
    mean.box.width += f.box.width;
    mean.box.height += f.box.height;
    ++with_face;
  }
  if (!options.fallback || missing.empty()) return results;
  if (with_face == 0) {
    for (std::size_t i : missing)
      results[i].error = "no face found, and no other photo to place one";
    return results;
  }
  for (image::Point& p : mean.keypoints) p = {p.x / with_face, p.y / with_face};
  mean.box = {mean.box.x / with_face, mean.box.y / with_face, mean.box.width / with_face,
              mean.box.height / with_face};

  for_each_parallel(missing.size(), options.jobs, detector, embedder, pipeline_options(options),
                    [&](std::size_t m, face::FacePipeline& pipeline) {
                      EmbeddedImage& r = results[missing[m]];
                      try {
                        const image::Image photo = read_photo(r.path, options.photo_scale);
                        const face::Face face = absolute(mean, photo.width(), photo.height());
                        r.embedding = pipeline.embedder().embed(photo, face);
                        r.fallback = true;
                      } catch (const Error& e) {
                        r.error = e.what();
                      }
                    });
  return results;
}

}  // namespace fu::train
