#include "face/metadata.h"

#include <cmath>
#include <locale>
#include <sstream>

#include "base/error.h"

namespace fu::face {
namespace {

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> items;
  std::string::size_type start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    items.push_back(trimmed(text.substr(start, comma - start)));
    if (comma == std::string::npos) return items;
    start = comma + 1;
  }
}

// std::strtod follows the global C locale, in which "0,5" might be a number; the model file's
// numbers are C-locale by contract.
std::optional<double> parse_number(const std::string& item) {
  std::istringstream in(item);
  in.imbue(std::locale::classic());
  double value = 0.0;
  in >> value;
  if (item.empty() || in.fail() || !in.eof() || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace

MetadataReader::MetadataReader(const nn::ModelMetadata& metadata, std::string role)
    : metadata_(metadata), role_(std::move(role)) {}

void MetadataReader::fail(const std::string& reason) const {
  throw Error("cannot use model as a " + role_ + " (" + metadata_.name + "): " + reason);
}

std::optional<std::string> MetadataReader::find(const std::string& key) const {
  const auto it = metadata_.properties.find(key);
  if (it == metadata_.properties.end()) return std::nullopt;
  return it->second;
}

std::string MetadataReader::text(const std::string& key) const {
  std::optional<std::string> value = find(key);
  if (!value) fail("metadata '" + key + "' is missing");
  return *value;
}

double MetadataReader::number(const std::string& key) const {
  const std::string value = text(key);
  const std::optional<double> parsed = parse_number(trimmed(value));
  if (!parsed) fail("metadata '" + key + "' is '" + value + "', expected a finite number");
  return *parsed;
}

double MetadataReader::number(const std::string& key, double fallback) const {
  return find(key) ? number(key) : fallback;
}

std::vector<double> MetadataReader::numbers(const std::string& key) const {
  const std::string value = text(key);
  std::vector<double> result;
  for (const std::string& item : split(value)) {
    const std::optional<double> parsed = parse_number(item);
    if (!parsed) {
      fail("metadata '" + key + "' has '" + item + "' in '" + value +
           "', expected comma-separated finite numbers");
    }
    result.push_back(*parsed);
  }
  return result;
}

std::vector<double> MetadataReader::numbers(const std::string& key,
                                            const std::vector<double>& fallback) const {
  return find(key) ? numbers(key) : fallback;
}

std::vector<std::string> MetadataReader::names(const std::string& key) const {
  const std::string value = text(key);
  std::vector<std::string> result = split(value);
  for (const std::string& item : result) {
    if (item.empty()) fail("metadata '" + key + "' is '" + value + "', which has an empty name");
  }
  return result;
}

std::shared_ptr<const nn::Model> require_rgb_model(std::shared_ptr<const nn::Model> model,
                                                   const std::string& role,
                                                   const std::string& kind) {
  if (!model) throw Error("cannot use model as a " + role + " (null): no model given");
  const MetadataReader r(model->metadata, role);
  if (model->metadata.output_kind != kind) {
    r.fail("output_kind is '" + model->metadata.output_kind + "', expected '" + kind + "'");
  }
  if (model->metadata.input_channels != 3) {
    r.fail("input has " + std::to_string(model->metadata.input_channels) +
           " channels, expected 3 (RGB)");
  }
  return model;
}

image::ChannelNormalization pixel_normalization(const nn::ModelMetadata& m) {
  image::ChannelNormalization n;
  for (std::size_t c = 0; c < m.pixel_mean.size() && c < n.mean.size(); ++c) {
    n.mean[c] = m.pixel_mean[c];
  }
  for (std::size_t c = 0; c < m.pixel_scale.size() && c < n.scale.size(); ++c) {
    n.scale[c] = m.pixel_scale[c];
  }
  return n;
}

nn::NetworkOptions single_image(nn::NetworkOptions options) {
  options.batch = 1;
  return options;
}

}  // namespace fu::face
