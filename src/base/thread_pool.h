// A fixed set of worker threads that, together with the calling thread, split one loop into
// disjoint ranges. Made for the inference backends: one pool per network, one parallel_for per
// heavy layer, no work stealing (the ranges are equal by construction).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace fu {

// True when this build can start threads: every native build, and WebAssembly builds compiled
// with -pthread (which then need a page served with COOP/COEP headers).
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
inline constexpr bool kThreadsAvailable = false;
#else
inline constexpr bool kThreadsAvailable = true;
#endif

// Most threads a pool accepts: more than any device this library runs on has cores.
inline constexpr int kMaxThreads = 64;

class ThreadPool {
 public:
  // `threads` counts the calling thread, so threads - 1 workers start. Throws fu::Error when
  // threads is outside 1..kMaxThreads, when threads > 1 is asked of a build without threads,
  // or when the system refuses to start a thread.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }

  // A pool of `threads` threads shared by every caller asking for that many while any of them
  // still holds it. Networks that run one after another (an engine's detector and embedder)
  // then share workers instead of each starting its own, which matters where threads are few
  // and started in advance (the WebAssembly build's fixed set of workers). Callers on several
  // threads at once take turns on it. Throws like the constructor.
  static std::shared_ptr<ThreadPool> shared(int threads);

  // Calls fn(begin, end, part) on min(n, threads()) disjoint, contiguous ranges covering [0, n)
  // in order: part p < threads() gets the p-th range (part 0 on the calling thread), so `part`
  // can index per-thread scratch. The split depends only on n and threads(), never on timing.
  // Returns when every range is done; if any call threw, rethrows the first exception caught.
  // A call from inside fn (of any pool) runs the whole range on the calling thread as part 0,
  // and calls from several threads at once take turns, so neither can deadlock.
  template <typename Fn>
  void parallel_for(std::size_t n, Fn&& fn) {
    using F = std::remove_reference_t<Fn>;
    run(
        n,
        [](void* f, std::size_t begin, std::size_t end, int part) {
          (*static_cast<F*>(f))(begin, end, part);
        },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

  // The range parallel_for gives `part` of `parts` over [0, n): sizes differ by at most one.
  static std::pair<std::size_t, std::size_t> part_range(std::size_t n, int parts, int part);

 private:
  using Trampoline = void (*)(void*, std::size_t, std::size_t, int);

  void run(std::size_t n, Trampoline call, void* fn);
  void work(int part);
  // Runs one part, keeping the first exception; returns nothing so workers never unwind.
  void run_part(int part);

  int threads_;
  std::mutex turn_;  // one parallel_for at a time
  std::mutex mutex_;
  std::condition_variable start_;
  std::condition_variable done_;
  // The current job, written under mutex_ before generation_ moves.
  Trampoline call_ = nullptr;
  void* fn_ = nullptr;
  std::size_t n_ = 0;
  int parts_ = 0;
  int pending_ = 0;
  unsigned long generation_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> workers_;
};

// For callers whose pool is optional (nullptr: one thread): how many parts for_parts may hand
// out, so per-part scratch has a slot for each.
inline int parts_of(const ThreadPool* pool) { return pool != nullptr ? pool->threads() : 1; }

// fn(begin, end, part) over [0, n): pool->parallel_for when there is a pool of more than one
// thread, else once on the calling thread as part 0.
template <typename Fn>
void for_parts(ThreadPool* pool, std::size_t n, Fn&& fn) {
  if (pool != nullptr && pool->threads() > 1) {
    pool->parallel_for(n, fn);
  } else if (n > 0) {
    fn(std::size_t{0}, n, 0);
  }
}

}  // namespace fu
