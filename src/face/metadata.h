// Typed reading of a model's free-form metadata properties (docs/model-metadata.md), with errors
// that name the model, the role it was meant for and the key at fault:
// "cannot use model as a face detector (<name>): metadata 'detector.box_scale' is ..."
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "nn/model.h"

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

}  // namespace fu::face
