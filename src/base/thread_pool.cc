#include "base/thread_pool.h"

#include <algorithm>
#include <map>
#include <string>
#include <system_error>

#include "base/error.h"

namespace fu {

namespace {

// Set while a thread runs a part, so a nested parallel_for runs inline instead of waiting for
// workers that are busy with (or blocked behind) the outer one.
thread_local bool in_parallel_for = false;

class InParallelFor {
 public:
  InParallelFor() : saved_(in_parallel_for) { in_parallel_for = true; }
  ~InParallelFor() { in_parallel_for = saved_; }

 private:
  bool saved_;
};

}  // namespace

ThreadPool::ThreadPool(int threads) : threads_(threads) {
  const std::string what = "cannot create thread pool (" + std::to_string(threads) + " threads): ";
  if (threads < 1 || threads > kMaxThreads) {
    throw Error(what + "threads must be 1 to " + std::to_string(kMaxThreads));
  }
  if (threads > 1 && !kThreadsAvailable) {
    throw Error(what +
                "this WebAssembly build has no threads; load the multi-threaded core "
                "(faceunlock_core_mt, which needs a page served with COOP/COEP headers) or pass "
                "threads 1");
  }
  workers_.reserve(threads - 1);
  try {
    for (int part = 1; part < threads; ++part) workers_.emplace_back([this, part] { work(part); });
  } catch (const std::system_error& e) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    start_.notify_all();
    for (std::thread& t : workers_) t.join();
    throw Error(what + "the system could not start a thread: " + e.what());
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  start_.notify_all();
  for (std::thread& t : workers_) t.join();
}

std::shared_ptr<ThreadPool> ThreadPool::shared(int threads) {
  static std::mutex mutex;
  static std::map<int, std::weak_ptr<ThreadPool>> pools;
  std::lock_guard<std::mutex> lock(mutex);
  std::weak_ptr<ThreadPool>& slot = pools[threads];
  std::shared_ptr<ThreadPool> pool = slot.lock();
  if (!pool) {
    pool = std::make_shared<ThreadPool>(threads);
    slot = pool;
  }
  return pool;
}

std::pair<std::size_t, std::size_t> ThreadPool::part_range(std::size_t n, int parts, int part) {
  const std::size_t p = static_cast<std::size_t>(parts);
  const std::size_t i = static_cast<std::size_t>(part);
  const std::size_t base = n / p;
  const std::size_t extra = n % p;
  // The first `extra` parts take one more item.
  const std::size_t begin = i * base + (i < extra ? i : extra);
  return {begin, begin + base + (i < extra ? 1 : 0)};
}

void ThreadPool::run(std::size_t n, Trampoline call, void* fn) {
  if (n == 0) return;
  if (threads_ == 1 || n == 1 || in_parallel_for) {
    InParallelFor guard;
    call(fn, 0, n, 0);
    return;
  }
  std::lock_guard<std::mutex> turn(turn_);
  const int parts = static_cast<int>(std::min<std::size_t>(n, threads_));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    call_ = call;
    fn_ = fn;
    n_ = n;
    parts_ = parts;
    pending_ = parts - 1;
    error_ = nullptr;
    ++generation_;
  }
  start_.notify_all();
  run_part(0);
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    error = std::exchange(error_, nullptr);
  }
  if (error) std::rethrow_exception(error);
}

void ThreadPool::run_part(int part) {
  const auto [begin, end] = part_range(n_, parts_, part);
  try {
    InParallelFor guard;
    call_(fn_, begin, end, part);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = std::current_exception();
  }
}

void ThreadPool::work(int part) {
  unsigned long seen = 0;
  for (;;) {
    bool mine = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      mine = part < parts_;
    }
    if (!mine) continue;
    run_part(part);
    bool last = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last = --pending_ == 0;
    }
    if (last) done_.notify_one();
  }
}

}  // namespace fu
