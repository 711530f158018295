// Portable random draws for training: the same std::mt19937_64 state gives the same numbers with
// every standard library and compiler. The std distributions (uniform_int_distribution,
// normal_distribution, ...) are not specified bit for bit, so a run seeded on one machine would
// sample other pairs and other augmentations on another; these functions are, and are all that
// the pair sampler and the augmenter use.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace fu::train {

using Rng = std::mt19937_64;

// An engine for one independent stream of a seeded run, e.g. the augmentation of the pair at
// step s (stream = s): work split over threads, or resumed at step s, then draws the same numbers
// without sharing or saving an engine. Seeds mt19937_64 with splitmix64(seed ^ splitmix64(stream))
// so that nearby streams start far apart.
Rng stream_rng(std::uint64_t seed, std::uint64_t stream);

// Uniform in [0, n) without modulo bias (rejection of the incomplete top range). n must be >= 1.
std::uint64_t uniform_below(Rng& rng, std::uint64_t n);

// Uniform in [0, 1), 53 random bits.
double uniform01(Rng& rng);

// Uniform in [low, high).
double uniform_between(Rng& rng, double low, double high);

// true with the given probability (<= 0 never, >= 1 always). Always consumes one draw, so the
// sequence of later draws does not depend on the probability's value.
bool chance(Rng& rng, double probability);

// The engine's full state as text, in the format the C++ standard defines for mt19937_64's
// operator<< (312 words and the position), so it can be stored in a checkpoint and restored on
// another machine.
std::string rng_state_text(const Rng& rng);
// Throws fu::Error "cannot restore random state (<length> characters): <reason>" for text that is
// not such a state.
void restore_rng_state(Rng& rng, const std::string& text);

}  // namespace fu::train
