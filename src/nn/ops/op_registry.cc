#include "nn/ops/op.h"

namespace fu::nn {
namespace ops {

extern const OpDef kConv2dOp;
extern const OpDef kDepthwiseConv2dOp;
extern const OpDef kFullyConnectedOp;
extern const OpDef kScaleBiasOp;
extern const OpDef kReluOp;
extern const OpDef kRelu6Op;
extern const OpDef kPReluOp;
extern const OpDef kAddOp;
extern const OpDef kMaxPool2dOp;
extern const OpDef kAvgPool2dOp;
extern const OpDef kGlobalAvgPoolOp;
extern const OpDef kPadOp;
extern const OpDef kConcatOp;
extern const OpDef kReshapeOp;
extern const OpDef kL2NormalizeOp;
extern const OpDef kBatchNormOp;
extern const OpDef kDropoutOp;
extern const OpDef kQuantizeOp;
extern const OpDef kDequantizeOp;

}  // namespace ops

const std::vector<const OpDef*>& all_ops() {
  // A function-local table: the op definitions live in other translation units, and this way
  // they are initialised before anyone reads them.
  static const std::vector<const OpDef*> table = {
      &ops::kConv2dOp,    &ops::kDepthwiseConv2dOp, &ops::kFullyConnectedOp, &ops::kScaleBiasOp,
      &ops::kReluOp,      &ops::kRelu6Op,           &ops::kPReluOp,          &ops::kAddOp,
      &ops::kMaxPool2dOp, &ops::kAvgPool2dOp,       &ops::kGlobalAvgPoolOp,  &ops::kPadOp,
      &ops::kConcatOp,    &ops::kReshapeOp,         &ops::kL2NormalizeOp,    &ops::kBatchNormOp,
      &ops::kDropoutOp,   &ops::kQuantizeOp,        &ops::kDequantizeOp,
  };
  return table;
}

const OpDef& op_def(OpType op) { return *all_ops()[static_cast<std::size_t>(op)]; }

}  // namespace fu::nn
