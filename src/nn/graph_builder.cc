#include "nn/graph_builder.h"

#include "base/error.h"
#include "nn/plan.h"

namespace fu::nn {

Attributes window_attributes(int kernel, int stride, const char* padding) {
  Attributes a;
  a.set("kernel_h", kernel);
  a.set("kernel_w", kernel);
  a.set("stride_h", stride);
  a.set("stride_w", stride);
  a.set("padding", padding);
  return a;
}

GraphBuilder::GraphBuilder(const Shape& input_shape, const std::string& input_name) {
  graph_.values.push_back(input_name);
  graph_.input = 0;
  shapes_.push_back(input_shape);
}

int GraphBuilder::add(OpType op, const std::vector<int>& inputs, Attributes attributes,
                      std::map<std::string, Weight> weights, std::string name) {
  Node node;
  node.op = op;
  node.name = name.empty()
                  ? std::string(op_type_name(op)) + "_" + std::to_string(graph_.nodes.size())
                  : std::move(name);
  node.inputs = inputs;
  node.attributes = std::move(attributes);
  node.weights = std::move(weights);
  std::vector<Shape> in_shapes;
  for (int id : inputs) {
    if (id < 0 || id >= static_cast<int>(shapes_.size())) {
      throw Error("cannot add node '" + node.name + "' (input " + std::to_string(id) +
                  "): no such value");
    }
    in_shapes.push_back(shapes_[id]);
  }
  Shape out;
  plan_node(node, in_shapes, &out);
  node.output = static_cast<int>(graph_.values.size());
  graph_.values.push_back(node.name);
  shapes_.push_back(out);
  graph_.nodes.push_back(std::move(node));
  return graph_.nodes.back().output;
}

void GraphBuilder::mark_output(int value) {
  if (value < 0 || value >= static_cast<int>(shapes_.size())) {
    throw Error("cannot mark output (" + std::to_string(value) + "): no such value");
  }
  graph_.outputs.push_back(value);
}

void GraphBuilder::quantize_value(int value, QuantParams quant) {
  if (value < 0 || value >= static_cast<int>(shapes_.size())) {
    throw Error("cannot quantize value (" + std::to_string(value) + "): no such value");
  }
  graph_.quantized_values[value] = quant;
}

Graph GraphBuilder::finish() const { return graph_; }

}  // namespace fu::nn
