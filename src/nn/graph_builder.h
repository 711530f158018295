// Builds a Graph node by node, checking each node's weights and attributes as it is added
// (the same checks the model loader runs), so a converter or a test learns of a mistake at the
// line that made it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "nn/graph.h"
#include "nn/tensor.h"

namespace fu::nn {

// Attributes of a square window: kernel, stride (both axes) and padding ("same", "valid" or
// "explicit"), as conv, depthwise and pooling nodes take them.
Attributes window_attributes(int kernel, int stride, const char* padding);

class GraphBuilder {
 public:
  explicit GraphBuilder(const Shape& input_shape, const std::string& input_name = "input");

  int input() const { return 0; }
  const Shape& shape(int value) const { return shapes_.at(value); }

  // Adds a node and returns the id of its output value; throws fu::Error when the node is
  // invalid for its inputs. An empty name becomes "<op>_<index>".
  int add(OpType op, const std::vector<int>& inputs, Attributes attributes = {},
          std::map<std::string, Weight> weights = {}, std::string name = "");

  void mark_output(int value);
  // Makes `value` an int8 value with this quantisation (the planner checks the dtype rules).
  void quantize_value(int value, QuantParams quant);
  Graph finish() const;

 private:
  Graph graph_;
  std::vector<Shape> shapes_;
};

}  // namespace fu::nn
