// Compression by channel pruning (`faceunlock prune`): a narrower copy of a float network, made
// by keeping the channels that carry the most of what the network computes and dropping the rest,
// so a student can start from the teacher's own weights instead of from random ones.
//
// Channels are pruned in groups that must stay aligned: every value that elementwise ops, pools
// and residual adds tie together shares one set of kept channels (a residual stream keeps the
// same channels in every block of its stage). A channel-padding shortcut (dlib's ResNet appends
// zero channels to the pooled input of a down-sampling block) cannot carry a freely chosen set
// across, so it becomes a 1x1 convolution that routes each kept input channel to where it lands,
// initialised to exactly the padding's copy and trainable from there.
//
// A channel's importance is its contribution to what reads it, measured on sample inputs:
//   importance(c) = sum over weighted consumers k of rms(x_c) * |W_k[:, c]|
// with rms(x_c) the root mean square of channel c of the value consumer k reads and |W_k[:, c]|
// the Euclidean norm of k's weights on that input channel. The `kept` channels of highest
// importance stay, in their original order; the weights of every node are sliced to match, and
// optionally refitted (reconstruct_inputs).
// Groups that touch the graph's input or outputs, concatenations, reshapes and flattening keep
// every channel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/model.h"
#include "nn/network.h"
#include "nn/tensor.h"

namespace fu::train {

struct ChannelPruningOptions {
  // Share of channels kept in groups joined by a residual add (the streams) and in every other
  // prunable group (inside blocks), each in (0, 1].
  double stream_width = 0.5;
  double inner_width = 0.5;
  // Kept counts are rounded to a multiple of this (SIMD kernels like whole vectors), at least
  // one multiple and at most every channel.
  int multiple = 4;
  // Then refit every pruned convolution and fully connected layer, in order, by least squares
  // (ridge towards the sliced weights) so that on this many of the sample inputs it reproduces
  // the original layer's kept outputs from the pruned network's own input (0: slice only).
  int reconstruct_inputs = 0;
  nn::Backend backend = nn::default_backend();
};

struct PrunedGroup {
  std::string value;  // name of the first value of the group, in graph order
  bool stream = false;
  int channels = 0;
  int kept = 0;
};

struct PrunedModel {
  nn::Model model;
  std::vector<PrunedGroup> groups;  // the pruned ones, in graph order
  std::uint64_t multiply_adds_before = 0;
  std::uint64_t multiply_adds_after = 0;
};

// `inputs` are network inputs (already normalised), at least one. Throws fu::Error "cannot prune
// model (<name>): <reason>" for an int8 model, a width outside (0, 1], a graph with nothing to
// prune, or inputs of the wrong shape.
PrunedModel prune_channels(const nn::Model& model, const std::vector<nn::Tensor>& inputs,
                           const ChannelPruningOptions& options);

}  // namespace fu::train
