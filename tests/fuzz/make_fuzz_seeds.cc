// Writes each fuzz target's seeds into OUT/<target>/ (scripts/fuzz.sh makes the corpora with it).
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "base/error.h"
#include "fuzz/fuzz_seeds.h"
#include "fuzz/fuzz_targets.h"
#include "image/encode.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr,
                 "usage: make_fuzz_seeds OUT\n  writes OUT/<target>/<seed> for every fuzz "
                 "target\n");
    return 2;
  }
  try {
    for (const fu::fuzz::Target& target : fu::fuzz::targets()) {
      const std::filesystem::path dir = std::filesystem::path(argv[1]) / target.name;
      std::filesystem::create_directories(dir);
      const auto seeds = fu::fuzz::seeds_for(target.name);
      for (const fu::fuzz::Seed& seed : seeds) {
        fu::image::write_file((dir / seed.name).string(), seed.bytes);
      }
      std::printf("%s: %zu seeds in %s\n", target.name, seeds.size(), dir.string().c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_fuzz_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
