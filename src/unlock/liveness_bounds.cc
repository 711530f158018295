#include "unlock/liveness_bounds.h"

namespace fu::unlock {

const char* keypoint_source_name(KeypointSource source) {
  switch (source) {
    case KeypointSource::kDetector:
      return "detector";
    case KeypointSource::kLandmarks68:
      return "landmarks-68";
  }
  return "unknown";
}

KeypointSource keypoint_source_of(const face::PipelineOptions& pipeline) {
  return pipeline.landmarks ? KeypointSource::kLandmarks68 : KeypointSource::kDetector;
}

LivenessBounds liveness_bounds(KeypointSource source) {
  return source == KeypointSource::kLandmarks68 ? kLandmarkLivenessBounds : kDetectorLivenessBounds;
}

}  // namespace fu::unlock
