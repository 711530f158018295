#include "train/face_dataset.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "base/crc32.h"
#include "base/error.h"
#include "face/face.h"
#include "image/convert.h"
#include "image/decode.h"
#include "image/resize.h"

namespace fu::train {

namespace fs = std::filesystem;

namespace {

bool is_image_name(const std::string& name) {
  const std::size_t dot = name.find_last_of('.');
  if (dot == std::string::npos) return false;
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == "jpg" || ext == "jpeg" || ext == "png" || ext == "pgm" || ext == "ppm" ||
         ext == "bmp";
}

bool is_hidden(const std::string& name) { return !name.empty() && name[0] == '.'; }

// "data/" and "data" name the same root; messages and prefixes use the second.
std::string without_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

struct IdentityFolder {
  std::size_t root = 0;
  std::string name;
  std::string path;
  std::vector<std::size_t> files;  // indices into Scan::files
};

struct Scan {
  std::vector<std::string> roots;  // without trailing slashes
  std::vector<IdentityFolder> folders;
  std::vector<SourceFile> files;
  std::vector<std::vector<std::string>> loose_images;  // per root: images outside folders
  std::size_t ignored = 0;
};

[[noreturn]] void refuse_root(const std::string& root, const std::string& reason) {
  throw Error("cannot load training data (" + root + "): " + reason);
}

// The entries of a folder, sorted by name, so that the order (and so every id and every seeded
// run) does not depend on the file system's order.
std::vector<fs::directory_entry> sorted_entries(const std::string& folder) {
  std::error_code ec;
  fs::directory_iterator it(folder, ec);
  if (ec) refuse_root(folder, "cannot list the folder: " + ec.message());
  std::vector<fs::directory_entry> entries;
  for (const fs::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) break;
    entries.push_back(*it);
  }
  if (ec) refuse_root(folder, "cannot list the folder: " + ec.message());
  std::sort(entries.begin(), entries.end(),
            [](const fs::directory_entry& a, const fs::directory_entry& b) {
              return a.path().filename().string() < b.path().filename().string();
            });
  return entries;
}

SourceFile source_file(const std::string& path) {
  SourceFile file;
  file.path = path;
  std::error_code ec;
  // A file that cannot be stated keeps 0 and 0: reading it will fail and say why.
  const std::uintmax_t size = fs::file_size(path, ec);
  if (!ec) file.size = size;
  const fs::file_time_type time = fs::last_write_time(path, ec);
  if (!ec) {
    file.mtime_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  }
  return file;
}

Scan scan_roots(const std::vector<std::string>& roots) {
  Scan scan;
  std::map<std::string, std::string> canonical_roots;
  for (std::size_t r = 0; r < roots.size(); ++r) {
    const std::string root = without_trailing_slashes(roots[r]);
    scan.roots.push_back(root);
    scan.loose_images.emplace_back();
    std::error_code ec;
    if (!fs::exists(root, ec)) refuse_root(root, "no such folder");
    if (!fs::is_directory(root, ec)) refuse_root(root, "not a folder");
    // The same folder twice would make every person two "different" identities.
    const std::string canonical = fs::weakly_canonical(root, ec).string();
    const auto [seen, inserted] = canonical_roots.emplace(ec ? root : canonical, root);
    if (!inserted) refuse_root(root, "given twice (also as " + seen->second + ")");
    std::size_t folders = 0;
    for (const fs::directory_entry& entry : sorted_entries(root)) {
      const std::string name = entry.path().filename().string();
      if (is_hidden(name)) continue;
      if (entry.is_directory(ec)) {
        IdentityFolder folder{r, name, root + "/" + name, {}};
        for (const fs::directory_entry& file : sorted_entries(folder.path)) {
          const std::string file_name = file.path().filename().string();
          if (is_hidden(file_name)) continue;
          if (!file.is_directory(ec) && is_image_name(file_name)) {
            folder.files.push_back(scan.files.size());
            scan.files.push_back(source_file(folder.path + "/" + file_name));
          } else {
            ++scan.ignored;
          }
        }
        scan.folders.push_back(std::move(folder));
        ++folders;
      } else if (is_image_name(name)) {
        scan.loose_images.back().push_back(root + "/" + name);
      } else {
        ++scan.ignored;
      }
    }
    if (folders == 0) {
      const std::size_t loose = scan.loose_images.back().size();
      refuse_root(root, "no identity folders in it (expected " + root +
                            "/<person>/<image>, one folder per person)" +
                            (loose > 0 ? "; its " + std::to_string(loose) +
                                             " images lie directly in it: move them into one "
                                             "folder per person"
                                       : std::string()));
    }
  }
  return scan;
}

std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

ChipResult unreadable(const std::string& message) {
  ChipResult r;
  r.status = ChipStatus::kUnreadable;
  r.message = message;
  return r;
}

image::Image to_rgb(image::Image chip) {
  return chip.channels() == 3 ? chip : image::convert_channels(chip, 3);
}

// Photos mode: the unlock path's detection, choice, refinement and alignment.
ChipResult chip_from_photo(const std::string& path, face::FaceDetector& detector,
                           const FaceDatasetOptions& options) {
  image::Image photo;
  try {
    photo = image::read_image(path);
  } catch (const Error& e) {
    return unreadable(e.what());
  }
  ChipResult r;
  try {
    std::vector<face::Face> faces = detector.detect(photo, options.detect);
    r.faces_found = static_cast<int>(faces.size());
    if (faces.empty()) {
      r.status = ChipStatus::kNoFace;
      r.message = "no face found (detector score >= " + number_text(options.detect.min_score) +
                  ", photo " + shape_text(photo) + ")";
      return r;
    }
    face::Face face = faces[face::most_prominent_index(faces)];
    if (options.refine_keypoints) face = detector.refine(photo, face, options.detect);
    r.chip = to_rgb(face::align_face(photo, face, options.alignment));
  } catch (const Error& e) {
    // Degenerate keypoints and the like: the face exists but cannot be aligned.
    r.status = ChipStatus::kNoFace;
    r.message = std::string("no usable face: ") + e.what();
    r.chip = image::Image();
  }
  return r;
}

// Aligned mode: the crop as it is, at the template's size, in RGB.
ChipResult chip_from_crop(const std::string& path, const FaceDatasetOptions& options) {
  image::DecodeOptions decode;
  decode.channels = image::Channels::kRgb;
  ChipResult r;
  try {
    image::Image crop = image::read_image(path, decode);
    const int width = options.alignment.width;
    const int height = options.alignment.height;
    r.chip = crop.width() == width && crop.height() == height
                 ? std::move(crop)
                 : image::resize_bilinear(crop, width, height);
  } catch (const Error& e) {
    return unreadable(e.what());
  }
  return r;
}

// Runs work(i, detector) for each index on `jobs` threads; each thread owns a detector (the
// first uses `first`), since a network keeps its buffers and cannot serve two threads.
void for_each_parallel(const std::vector<std::size_t>& indices, const FaceDatasetOptions& options,
                       std::unique_ptr<face::FaceDetector> first,
                       const std::function<void(std::size_t, face::FaceDetector*)>& work) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const std::size_t count = indices.size();
  nn::NetworkOptions network;
  network.backend = options.backend;
  auto worker = [&](std::unique_ptr<face::FaceDetector> detector) {
    try {
      if (!detector && options.mode == DatasetMode::kPhotos) {
        detector = std::make_unique<face::FaceDetector>(options.detector, network);
      }
      for (std::size_t i = next++; i < count; i = next++) work(indices[i], detector.get());
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = count;
    }
  };
  // jobs <= 0 means one thread (a negative int must not become a huge unsigned count).
  const std::size_t jobs = options.jobs > 1 ? static_cast<std::size_t>(options.jobs) : 1;
  const int threads = static_cast<int>(std::max<std::size_t>(1, std::min(jobs, count)));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker, nullptr);
  worker(std::move(first));
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

[[noreturn]] void refuse_options(const FaceDatasetOptions& options, const std::string& reason) {
  throw Error(std::string("cannot load training data (") + dataset_mode_name(options.mode) +
              " mode): " + reason);
}

// Checks what can be checked before any file is read, and builds the first detector (which
// also checks the model).
std::unique_ptr<face::FaceDetector> check_options(const FaceDatasetOptions& options) {
  const face::AlignmentTemplate& t = options.alignment;
  if (t.width < 1 || t.height < 1 || t.width > 4096 || t.height > 4096) {
    refuse_options(options, "the chip size " + std::to_string(t.width) + "x" +
                                std::to_string(t.height) + " is outside 1..4096");
  }
  if (options.mode == DatasetMode::kAligned) return nullptr;
  if (!options.detector) refuse_options(options, "no detector model given");
  nn::NetworkOptions network;
  network.backend = options.backend;
  auto detector = std::make_unique<face::FaceDetector>(options.detector, network);
  if (t.keypoint_indices.size() != t.points.size() || t.points.size() < 2) {
    refuse_options(options, "the alignment template has " +
                                std::to_string(t.keypoint_indices.size()) +
                                " keypoint indices and " + std::to_string(t.points.size()) +
                                " points (needs the same number, at least 2)");
  }
  const int keypoints = static_cast<int>(detector->keypoint_names().size());
  for (int index : t.keypoint_indices) {
    if (index < 0 || index >= keypoints) {
      refuse_options(options, "the alignment template uses keypoint " + std::to_string(index) +
                                  ", the detector has " + std::to_string(keypoints));
    }
  }
  return detector;
}

ChipRecipe recipe_of(const FaceDatasetOptions& options) {
  ChipRecipe recipe;
  recipe.mode = options.mode;
  recipe.alignment = options.alignment;
  if (options.mode == DatasetMode::kPhotos) {
    recipe.detector_name = options.detector->metadata.name;
    const std::vector<std::uint8_t> bytes = nn::serialize_model(*options.detector);
    recipe.detector_crc = crc32(bytes.data(), bytes.size());
    recipe.detect = options.detect;
    recipe.refine_keypoints = options.refine_keypoints;
  } else {
    // The aligned mode ignores these; fixed values keep its key independent of them.
    recipe.alignment.keypoint_indices.clear();
    recipe.alignment.points.clear();
    recipe.detect = face::DetectOptions{};
    recipe.refine_keypoints = false;
  }
  return recipe;
}

bool same_file(const SourceFile& a, const SourceFile& b) {
  return a.path == b.path && a.size == b.size && a.mtime_ns == b.mtime_ns;
}

// Fills `results` from the cache where its entries still describe the same files, and returns
// whether the cache must be written again.
bool reuse_cache(const FaceDatasetOptions& options, const FaceCacheKey& key,
                 std::vector<std::optional<ChipResult>>& results, DatasetSummary& summary) {
  const std::string& path = options.cache_path;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    summary.cache_note = "face cache " + path + " did not exist: built it";
    return true;
  }
  FaceCacheContents cached;
  try {
    cached = read_face_cache(path);
  } catch (const Error& e) {
    summary.cache_note = std::string("warning: ") + e.what() + "; rebuilt it";
    return true;
  }
  const std::string difference = recipe_difference(cached.key.recipe, key.recipe);
  if (!difference.empty()) {
    summary.cache_note =
        "face cache " + path + " was made differently (" + difference + "): rebuilt it";
    return true;
  }
  std::unordered_map<std::string, std::size_t> by_path;
  for (std::size_t i = 0; i < cached.key.files.size(); ++i) by_path[cached.key.files[i].path] = i;
  for (std::size_t i = 0; i < key.files.size(); ++i) {
    const auto it = by_path.find(key.files[i].path);
    if (it == by_path.end() || !same_file(cached.key.files[it->second], key.files[i])) continue;
    results[i] = std::move(cached.results[it->second]);
    ++summary.from_cache;
  }
  const bool unchanged =
      summary.from_cache == key.files.size() && cached.key.files.size() == key.files.size();
  summary.cache_note = "face cache " + path + ": reused " + std::to_string(summary.from_cache) +
                       " of " + std::to_string(key.files.size()) + " images" +
                       (unchanged ? "" : ", updated it");
  return !unchanged;
}

void add_problem(DatasetSummary& summary, std::size_t max_problems, ProblemKind kind,
                 const std::string& path, const std::string& message) {
  ++summary.problem_count;
  // A cap per kind: CelebA's 2,574 identities with one photo must not hide its 4 photos without
  // a face.
  std::size_t kept = 0;
  for (const DatasetProblem& p : summary.problems) kept += p.kind == kind;
  if (kept < max_problems) summary.problems.push_back({kind, path, message});
}

}  // namespace

const char* problem_kind_name(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kUnreadable:
      return "unreadable";
    case ProblemKind::kNoFace:
      return "no face";
    case ProblemKind::kSeveralFaces:
      return "several faces";
    case ProblemKind::kSingleSample:
      return "one sample";
    case ProblemKind::kEmptyIdentity:
      return "no usable image";
    case ProblemKind::kOutsideFolders:
      return "outside identity folders";
  }
  return "unknown";
}

std::string DatasetSummary::text() const {
  std::string out = "training data: " + std::to_string(roots) +
                    (roots == 1 ? " root, " : " roots, ") + std::to_string(identity_folders) +
                    " identity folders, " + std::to_string(image_files) + " images -> " +
                    std::to_string(samples) + " samples of " + std::to_string(identities) +
                    " identities\n";
  out += "  skipped " + std::to_string(unreadable) + " unreadable, " + std::to_string(no_face) +
         " without a face; " + std::to_string(several_faces) +
         " with several faces (the largest taken); " + std::to_string(single_sample_identities) +
         " identities with one sample (kept), " + std::to_string(empty_identities) +
         " without a usable image (dropped); " + std::to_string(ignored_files) +
         " other entries ignored\n";
  out += "  computed " + std::to_string(computed) + ", reused " + std::to_string(from_cache) +
         " from the cache\n";
  if (!cache_note.empty()) out += "  " + cache_note + "\n";
  if (!problems.empty()) {
    out += "  problems (" + std::to_string(problems.size()) + " of " +
           std::to_string(problem_count) + " shown):\n";
    for (const DatasetProblem& p : problems) {
      out +=
          "    " + std::string(problem_kind_name(p.kind)) + ": " + p.path + ": " + p.message + "\n";
    }
  }
  return out;
}

std::vector<int> FaceDataset::sample_identities() const {
  std::vector<int> ids;
  ids.reserve(samples.size());
  for (const FaceSample& s : samples) ids.push_back(s.identity);
  return ids;
}

FaceDataset load_face_dataset(const std::vector<std::string>& roots,
                              const FaceDatasetOptions& options) {
  if (roots.empty()) refuse_root("no folder", "give at least one --data folder");
  std::unique_ptr<face::FaceDetector> first_detector = check_options(options);
  const Scan scan = scan_roots(roots);

  FaceDataset dataset;
  dataset.chip_width = options.alignment.width;
  dataset.chip_height = options.alignment.height;
  DatasetSummary& summary = dataset.summary;
  summary.roots = scan.roots.size();
  summary.identity_folders = scan.folders.size();
  summary.image_files = scan.files.size();
  summary.ignored_files = scan.ignored;

  FaceCacheKey key;
  key.recipe = recipe_of(options);
  key.files = scan.files;
  std::vector<std::optional<ChipResult>> results(scan.files.size());
  const bool write_cache =
      !options.cache_path.empty() && reuse_cache(options, key, results, summary);

  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!results[i]) todo.push_back(i);
  }
  summary.computed = todo.size();
  std::atomic<std::size_t> done{0};
  for_each_parallel(todo, options, std::move(first_detector),
                    [&](std::size_t i, face::FaceDetector* detector) {
                      const std::string& path = scan.files[i].path;
                      results[i] = options.mode == DatasetMode::kPhotos
                                       ? chip_from_photo(path, *detector, options)
                                       : chip_from_crop(path, options);
                      if (options.progress) options.progress(++done, todo.size());
                    });

  if (write_cache) {
    FaceCacheContents contents;
    contents.key = key;
    contents.results.reserve(results.size());
    // Moved there and back rather than copied: for 10,000 chips of 150x150 a copy is 675 MB.
    for (std::optional<ChipResult>& r : results) contents.results.push_back(std::move(*r));
    try {
      write_face_cache(options.cache_path, contents);
    } catch (const Error& e) {
      summary.cache_note += std::string("; warning: ") + e.what() + " (training goes on without)";
    }
    for (std::size_t i = 0; i < results.size(); ++i) results[i] = std::move(contents.results[i]);
  }

  // A folder name in two roots would otherwise merge two people (or one person's two data sets
  // into pairs of "different" people with the same name); prefixing keeps them apart and visible.
  std::map<std::string, std::size_t> name_roots;
  {
    std::map<std::string, std::size_t> last_root;
    for (const IdentityFolder& f : scan.folders) {
      const auto it = last_root.find(f.name);
      if (it == last_root.end() || it->second != f.root) ++name_roots[f.name];
      last_root[f.name] = f.root;
    }
  }

  std::vector<std::size_t> root_samples(scan.roots.size(), 0);
  std::size_t folder_index = 0;
  for (std::size_t r = 0; r < scan.roots.size(); ++r) {
    for (const std::string& loose : scan.loose_images[r]) {
      ++summary.ignored_files;
      add_problem(summary, options.max_problems, ProblemKind::kOutsideFolders, loose,
                  "an image directly in the root, not in an identity folder: ignored");
    }
    for (; folder_index < scan.folders.size() && scan.folders[folder_index].root == r;
         ++folder_index) {
      const IdentityFolder& folder = scan.folders[folder_index];
      const int id = static_cast<int>(dataset.identities.size());
      std::size_t kept = 0;
      for (std::size_t i : folder.files) {
        ChipResult& result = *results[i];
        const std::string& path = scan.files[i].path;
        if (result.status == ChipStatus::kUnreadable) {
          ++summary.unreadable;
          add_problem(summary, options.max_problems, ProblemKind::kUnreadable, path,
                      result.message);
          continue;
        }
        if (result.status == ChipStatus::kNoFace) {
          ++summary.no_face;
          add_problem(summary, options.max_problems, ProblemKind::kNoFace, path, result.message);
          continue;
        }
        if (result.faces_found > 1) {
          ++summary.several_faces;
          add_problem(summary, options.max_problems, ProblemKind::kSeveralFaces, path,
                      std::to_string(result.faces_found) +
                          " faces found: the most prominent (largest) was used");
        }
        dataset.samples.push_back(FaceSample{id, path, std::move(result.chip)});
        ++kept;
      }
      if (kept == 0) {
        ++summary.empty_identities;
        add_problem(summary, options.max_problems, ProblemKind::kEmptyIdentity, folder.path,
                    folder.files.empty() ? "no image files: identity dropped"
                                         : "none of its " + std::to_string(folder.files.size()) +
                                               " images gave a chip: identity dropped");
        continue;
      }
      if (kept == 1) {
        ++summary.single_sample_identities;
        add_problem(summary, options.max_problems, ProblemKind::kSingleSample, folder.path,
                    "one usable image: kept for different-identity pairs only");
      }
      const std::string name =
          name_roots[folder.name] > 1 ? scan.roots[r] + "/" + folder.name : folder.name;
      dataset.identities.push_back(FaceIdentity{name, scan.roots[r], kept});
      root_samples[r] += kept;
    }
  }

  for (std::size_t r = 0; r < scan.roots.size(); ++r) {
    if (root_samples[r] > 0) continue;
    std::string first;
    for (const IdentityFolder& f : scan.folders) {
      if (f.root != r) continue;
      for (std::size_t i : f.files) {
        if (first.empty()) first = "; first: " + scan.files[i].path + ": " + results[i]->message;
      }
    }
    std::size_t images = 0;
    for (const IdentityFolder& f : scan.folders) images += f.root == r ? f.files.size() : 0;
    refuse_root(scan.roots[r],
                images == 0 ? "its identity folders hold no image files (.jpg, .jpeg, .png, "
                              ".pgm, .ppm, .bmp)"
                            : "none of its " + std::to_string(images) + " images gave a usable " +
                                  (options.mode == DatasetMode::kPhotos ? "face" : "chip") + first);
  }
  summary.samples = dataset.samples.size();
  summary.identities = dataset.identities.size();
  return dataset;
}

}  // namespace fu::train
