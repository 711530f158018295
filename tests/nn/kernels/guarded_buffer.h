// A buffer whose last element ends exactly where an inaccessible page begins, so that a kernel
// reading or writing even one byte past it crashes the test instead of passing silently.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace fu::nn::testing {

template <typename T>
class GuardedBuffer {
 public:
  explicit GuardedBuffer(size_t count) : count_(count) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t bytes = count * sizeof(T);
    data_pages_ = (bytes + page - 1) / page;
    mapping_bytes_ = (data_pages_ + 1) * page;
    void* p =
        mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("cannot map a guarded test buffer");
    base_ = static_cast<char*>(p);
    if (mprotect(base_ + data_pages_ * page, page, PROT_NONE) != 0)
      throw std::runtime_error("cannot protect the guard page of a test buffer");
    data_ = reinterpret_cast<T*>(base_ + data_pages_ * page - bytes);
  }
  template <typename Allocator>
  GuardedBuffer(const std::vector<T, Allocator>& values) : GuardedBuffer(values.size()) {
    if (!values.empty()) std::memcpy(data_, values.data(), values.size() * sizeof(T));
  }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;
  ~GuardedBuffer() { munmap(base_, mapping_bytes_); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return count_; }
  std::vector<T> values() const { return std::vector<T>(data_, data_ + count_); }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  size_t count_;
  size_t data_pages_ = 0;
  size_t mapping_bytes_ = 0;
  char* base_ = nullptr;
  T* data_ = nullptr;
};

}  // namespace fu::nn::testing
