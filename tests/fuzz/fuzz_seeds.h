// Seed inputs for each fuzz target, made by the project's own writers (image encoders, the model
// and gallery serialisers): small, valid, and covering each format's variants, so that a fuzzer
// starts inside the formats rather than at their magic numbers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fu::fuzz {

struct Seed {
  std::string name;  // a file name for the corpus folder
  std::vector<std::uint8_t> bytes;
};

// Throws fu::Error for a target name that targets() does not list.
std::vector<Seed> seeds_for(const std::string& target);

}  // namespace fu::fuzz
