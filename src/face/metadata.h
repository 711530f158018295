// Typed reading of a model's free-form metadata properties (docs/model-metadata.md), with errors
// that name the model, the role it was meant for and the key at fault:
// "cannot use model as a face detector (<name>): metadata 'detector.box_scale' is ..."
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "image/convert.h"
#include "nn/model.h"
#include "nn/network.h"

namespace fu::face {

class MetadataReader {
 public:
  // `role` completes "cannot use model as a <role>", e.g. "face detector". The metadata must
  // outlive the reader.
  MetadataReader(const nn::ModelMetadata& metadata, std::string role);

  const nn::ModelMetadata& metadata() const { return metadata_; }

  // Throws fu::Error "cannot use model as a <role> (<name>): <reason>".
  [[noreturn]] void fail(const std::string& reason) const;

  // nullopt when the key is absent.
  std::optional<std::string> find(const std::string& key) const;
  // Each of these fails when the key is absent (without a fallback) or malformed. Numbers are
  // read in the C locale whatever the process's locale; lists are comma-separated.
  std::string text(const std::string& key) const;
  double number(const std::string& key) const;
  double number(const std::string& key, double fallback) const;
  std::vector<double> numbers(const std::string& key) const;
  std::vector<double> numbers(const std::string& key, const std::vector<double>& fallback) const;
  // Comma-separated names with surrounding spaces removed; empty items are an error.
  std::vector<std::string> names(const std::string& key) const;

 private:
  const nn::ModelMetadata& metadata_;
  std::string role_;
};

// The checks every face network shares: a model is given, its output_kind is `kind` and its input
// is RGB. Returns `model`; throws fu::Error "cannot use model as a <role> (<name>): <reason>".
std::shared_ptr<const nn::Model> require_rgb_model(std::shared_ptr<const nn::Model> model,
                                                   const std::string& role,
                                                   const std::string& kind);

// The model's pixel normalisation, for image::normalize_to_float.
image::ChannelNormalization pixel_normalization(const nn::ModelMetadata& metadata);

// `options` with batch 1: the detector and the single-face embedder run one image at a time.
nn::NetworkOptions single_image(nn::NetworkOptions options);

}  // namespace fu::face
