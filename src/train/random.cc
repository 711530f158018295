#include "train/random.h"

#include <limits>
#include <sstream>

#include "base/error.h"

namespace fu::train {

namespace {

// Steele, Lea and Flood's SplitMix64 finaliser: every input bit affects every output bit.
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

Rng stream_rng(std::uint64_t seed, std::uint64_t stream) {
  return Rng(splitmix64(seed ^ splitmix64(stream)));
}

std::uint64_t uniform_below(Rng& rng, std::uint64_t n) {
  if (n <= 1) return 0;
  // 2^64 = q * n + excess: accepting only the q * n lowest values keeps every residue equally
  // likely (the top `excess` values would favour the low residues).
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t excess = (max % n + 1) % n;
  const std::uint64_t last_accepted = max - excess;
  for (;;) {
    const std::uint64_t x = rng();
    if (x <= last_accepted) return x % n;
  }
}

double uniform01(Rng& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

double uniform_between(Rng& rng, double low, double high) {
  return low + (high - low) * uniform01(rng);
}

bool chance(Rng& rng, double probability) { return uniform01(rng) < probability; }

std::string rng_state_text(const Rng& rng) {
  std::ostringstream out;
  out << rng;
  return out.str();
}

void restore_rng_state(Rng& rng, const std::string& text) {
  std::istringstream in(text);
  Rng restored;
  in >> restored;
  // Anything after the state would mean the text is something else that happens to start with
  // numbers.
  if (in.fail() || !(in >> std::ws).eof()) {
    throw Error("cannot restore random state (" + std::to_string(text.size()) +
                " characters): not the text of a std::mt19937_64 state");
  }
  rng = restored;
}

}  // namespace fu::train
