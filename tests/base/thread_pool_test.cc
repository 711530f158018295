// ThreadPool: ranges cover the loop exactly once, parts index per-thread scratch, exceptions
// come back to the caller, and nested or concurrent calls finish.
#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"

namespace fu {
namespace {

TEST(ThreadPoolTest, CoversEveryIndexOnceInOrderedParts) {
  for (int threads = 1; threads <= 4; ++threads) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (std::size_t n = 0; n <= 37; ++n) {
      std::vector<int> hits(n, 0);
      std::vector<std::pair<std::size_t, std::size_t>> ranges(threads, {0, 0});
      std::vector<int> calls(threads, 0);
      pool.parallel_for(n, [&](std::size_t begin, std::size_t end, int part) {
        ASSERT_GE(part, 0);
        ASSERT_LT(part, threads);
        ++calls[part];
        ranges[part] = {begin, end};
        for (std::size_t i = begin; i < end; ++i) ++hits[i];
      });
      for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i], 1) << "n " << n << " index " << i;
      const int parts = static_cast<int>(std::min<std::size_t>(n, threads));
      std::size_t next = 0;
      for (int p = 0; p < threads; ++p) {
        EXPECT_EQ(calls[p], p < parts ? 1 : 0) << "n " << n << " part " << p;
        if (p >= parts) continue;
        EXPECT_EQ(ranges[p].first, next);
        EXPECT_EQ(ranges[p], ThreadPool::part_range(n, parts, p));
        const std::size_t size = ranges[p].second - ranges[p].first;
        EXPECT_TRUE(size == n / parts || size == n / parts + 1) << "n " << n << " part " << p;
        next = ranges[p].second;
      }
      EXPECT_EQ(next, n);
    }
  }
}

TEST(ThreadPoolTest, RunsPartsOnDistinctThreads) {
  ThreadPool pool(3);
  std::vector<std::thread::id> ids(3);
  // Each part waits until every part has started: it finishes only if three threads run them.
  std::atomic<int> started{0};
  pool.parallel_for(3, [&](std::size_t, std::size_t, int part) {
    ids[part] = std::this_thread::get_id();
    ++started;
    while (started.load() < 3) std::this_thread::yield();
  });
  EXPECT_EQ(ids[0], std::this_thread::get_id());
  EXPECT_EQ(std::set<std::thread::id>(ids.begin(), ids.end()).size(), 3u);
}

TEST(ThreadPoolTest, RethrowsTheFirstExceptionAndStaysUsable) {
  ThreadPool pool(3);
  for (int throwing_part = 0; throwing_part < 3; ++throwing_part) {
    try {
      pool.parallel_for(30, [&](std::size_t begin, std::size_t, int part) {
        if (part == throwing_part) throw Error("part " + std::to_string(part) + " failed");
      });
      ADD_FAILURE() << "no exception from part " << throwing_part;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "part " + std::to_string(throwing_part) + " failed");
    }
    std::atomic<std::size_t> sum{0};
    pool.parallel_for(100, [&](std::size_t begin, std::size_t end, int) {
      for (std::size_t i = begin; i < end; ++i) sum += i;
    });
    EXPECT_EQ(sum.load(), 4950u);
  }
}

TEST(ThreadPoolTest, NestedCallRunsInlineOnTheCallingThread) {
  ThreadPool outer(2);
  ThreadPool inner(2);
  std::vector<int> hits(2 * 10, 0);
  outer.parallel_for(2, [&](std::size_t begin, std::size_t, int) {
    const std::thread::id self = std::this_thread::get_id();
    inner.parallel_for(10, [&](std::size_t b, std::size_t e, int part) {
      EXPECT_EQ(std::this_thread::get_id(), self);
      EXPECT_EQ(part, 0);
      for (std::size_t i = b; i < e; ++i) ++hits[begin * 10 + i];
    });
  });
  for (int h : hits) EXPECT_EQ(h, 1);
}

TEST(ThreadPoolTest, CallersOnSeveralThreadsTakeTurns) {
  ThreadPool pool(2);
  std::atomic<long> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 3; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        pool.parallel_for(8, [&](std::size_t begin, std::size_t end, int) {
          total += static_cast<long>(end - begin);
        });
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(total.load(), 3L * 200 * 8);
}

TEST(ThreadPoolTest, SharedPoolsAreOnePerThreadCountWhileHeld) {
  std::shared_ptr<ThreadPool> a = ThreadPool::shared(2);
  std::shared_ptr<ThreadPool> b = ThreadPool::shared(2);
  std::shared_ptr<ThreadPool> c = ThreadPool::shared(3);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a.get(), c.get());
  EXPECT_EQ(a->threads(), 2);
  EXPECT_EQ(c->threads(), 3);
  std::weak_ptr<ThreadPool> released = c;
  c.reset();
  EXPECT_TRUE(released.expired()) << "the last holder's release must stop its workers";
  EXPECT_THROW(ThreadPool::shared(0), Error);
}

TEST(ThreadPoolTest, RejectsThreadCountsOutOfRange) {
  for (int threads : {0, -1, kMaxThreads + 1}) {
    try {
      ThreadPool pool(threads);
      ADD_FAILURE() << "accepted " << threads << " threads";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("cannot create thread pool (" + std::to_string(threads) + " threads)"),
                std::string::npos)
          << message;
    }
  }
}

}  // namespace
}  // namespace fu
