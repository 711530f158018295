#include "base/byte_stream.h"

#include <cstring>

#include "base/error.h"

namespace fu {

void ByteWriter::u32(std::uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void ByteWriter::u64(std::uint64_t v) {
  for (int i = 0; i < 8; ++i) bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void ByteWriter::f32(float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  u32(bits);
}

void ByteWriter::f64(double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  u64(bits);
}

void ByteWriter::str(const std::string& s) {
  u32(static_cast<std::uint32_t>(s.size()));
  raw(s.data(), s.size());
}

void ByteWriter::raw(const void* data, std::size_t size) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  bytes_.insert(bytes_.end(), p, p + size);
}

void ByteReader::fail(const std::string& reason) const {
  throw Error("cannot read " + label_ + ": " + reason);
}

void ByteReader::need(std::size_t n, const char* field) {
  if (n > remaining()) {
    fail(std::string("truncated: ") + field + " at offset " + std::to_string(offset_) + " needs " +
         std::to_string(n) + " bytes, " + std::to_string(remaining()) + " left");
  }
}

std::uint8_t ByteReader::u8(const char* field) {
  need(1, field);
  return data_[offset_++];
}

std::uint32_t ByteReader::u32(const char* field) {
  need(4, field);
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(data_[offset_ + i]) << (8 * i);
  offset_ += 4;
  return v;
}

std::uint64_t ByteReader::u64(const char* field) {
  need(8, field);
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(data_[offset_ + i]) << (8 * i);
  offset_ += 8;
  return v;
}

float ByteReader::f32(const char* field) {
  const std::uint32_t bits = u32(field);
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

double ByteReader::f64(const char* field) {
  const std::uint64_t bits = u64(field);
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

std::string ByteReader::str(const char* field) {
  const std::uint32_t n = u32(field);
  need(n, field);
  std::string s(reinterpret_cast<const char*>(data_ + offset_), n);
  offset_ += n;
  return s;
}

void ByteReader::raw(void* out, std::size_t size, const char* field) {
  need(size, field);
  // memcpy's pointers must be valid even for 0 bytes; an empty vector's data() may be null.
  if (size == 0) return;
  std::memcpy(out, data_ + offset_, size);
  offset_ += size;
}

std::uint32_t ByteReader::count(const char* field, std::size_t min_item_bytes) {
  const std::uint32_t n = u32(field);
  if (min_item_bytes > 0 && n > remaining() / min_item_bytes) {
    fail(std::string("corrupt: ") + field + " says " + std::to_string(n) + " at offset " +
         std::to_string(offset_ - 4) + ", more than the remaining " + std::to_string(remaining()) +
         " bytes can hold");
  }
  return n;
}

}  // namespace fu
