#include "js_bytes.h"

#include <string>

#include "base/error.h"

namespace fu::wasm {

using emscripten::typed_memory_view;
using emscripten::val;

std::string describe(const val& value) {
  if (value.isNull()) return "null";
  const std::string type = value.typeOf().as<std::string>();
  if (type != "object") return type;
  return val::global("Object")["prototype"]["toString"].call<std::string>("call", value);
}

std::vector<std::uint8_t> bytes_from_js(const val& array, const char* what) {
  // `array instanceof Uint8Array`, spelled so that clang-format leaves it alone.
  if (!val::global("Uint8Array")["prototype"].call<bool>("isPrototypeOf", array)) {
    throw Error(std::string("cannot read ") + what + " (" + describe(array) +
                "): expected a Uint8Array");
  }
  std::vector<std::uint8_t> bytes(array["length"].as<std::size_t>());
  // The view is made after the vector's allocation, which may have grown the memory.
  val(typed_memory_view(bytes.size(), bytes.data())).call<void>("set", array);
  return bytes;
}

std::vector<float> floats_from_js(const val& array, const char* what) {
  if (!val::global("Float32Array")["prototype"].call<bool>("isPrototypeOf", array)) {
    throw Error(std::string("cannot read ") + what + " (" + describe(array) +
                "): expected a Float32Array");
  }
  std::vector<float> values(array["length"].as<std::size_t>());
  val(typed_memory_view(values.size(), values.data())).call<void>("set", array);
  return values;
}

val float32_array_of(const std::vector<float>& values) {
  return val::global("Float32Array").new_(typed_memory_view(values.size(), values.data()));
}

val bytes_to_js(const std::vector<std::uint8_t>& bytes) {
  // The Uint8Array constructor copies, so the result survives the vector and memory growth.
  return val::global("Uint8Array").new_(typed_memory_view(bytes.size(), bytes.data()));
}

val float_view(const nn::Tensor& tensor) {
  return val(typed_memory_view(tensor.size(), tensor.data()));
}

val shape_to_js(const nn::Shape& shape) {
  val array = val::array();
  array.call<void>("push", shape.n, shape.h, shape.w, shape.c);
  return array;
}

}  // namespace fu::wasm
