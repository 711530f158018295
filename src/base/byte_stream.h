// Little-endian binary writing and bounds-checked reading for the project's file formats.
// The reader never trusts a count: every read checks the bytes that remain, so a truncated or
// hostile file ends in a fu::Error that names the file and the field, never in a crash or a huge
// allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fu {

class ByteWriter {
 public:
  void u8(std::uint8_t v) { bytes_.push_back(v); }
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  void f32(float v);
  void f64(double v);
  void str(const std::string& s);
  void raw(const void* data, std::size_t size);

  std::vector<std::uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

class ByteReader {
 public:
  // `label` names the thing being read in error messages, e.g. "model file (face.fum)".
  ByteReader(const std::uint8_t* data, std::size_t size, std::string label)
      : data_(data), size_(size), label_(std::move(label)) {}

  std::uint8_t u8(const char* field);
  std::uint32_t u32(const char* field);
  std::uint64_t u64(const char* field);
  float f32(const char* field);
  double f64(const char* field);
  std::string str(const char* field);
  void raw(void* out, std::size_t size, const char* field);
  // A count of items that each take at least `min_item_bytes`: rejected if the rest of the
  // input could not hold that many, which bounds every allocation by the input size.
  std::uint32_t count(const char* field, std::size_t min_item_bytes);

  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return size_ - offset_; }
  const std::string& label() const { return label_; }
  [[noreturn]] void fail(const std::string& reason) const;

 private:
  void need(std::size_t n, const char* field);

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t offset_ = 0;
  std::string label_;
};

}  // namespace fu
