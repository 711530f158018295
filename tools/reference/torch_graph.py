#!/usr/bin/python3
"""PyTorch reference for faceunlock networks: builds one of OUR graphs in PyTorch (torch 1.13, CPU)
and computes the contrastive loss, its gradients, optimiser steps or a training speed, so the C++
trainer can be checked against it (tests/train/torch_reference.h drives it).

Run with Debian's interpreter (python3-torch installs there):

    /usr/bin/python3 tools/reference/torch_graph.py REQUEST.json RESULT.json

    /usr/bin/python3 tools/reference/torch_graph.py --self-test    (each op against numpy loops)

Exit status 0 on success; on a bad request it prints "cannot <verb> <object> (<value>): <reason>"
on stderr and exits 1 (2 when torch is not importable, so a caller can skip).

REQUEST.json
------------
{
  "mode": "grad" | "steps" | "bench" | "forward",
  "threads": 1,              torch.set_num_threads (default 1; use the same count on both sides)
  "dtype": "float32",        or "float64" (a tighter reference for gradient checks)
  "training": true,          batch_norm uses batch statistics (true) or running ones (false);
                             default true for grad/steps/bench, false for forward
  "seed": 0,                 torch.manual_seed (bench inputs, dropout)
  "graph": {
    "values": ["input", "conv1", ...],       value id -> name
    "input": 0,                              value id of the network input
    "outputs": [7],                          value ids; outputs[0] is the embedding
    "input_shape": [N, H, W, C],             NHWC; N = pairs per side in grad/steps
    "nodes": [                               in execution order
      {"op": "conv2d", "name": "conv1", "inputs": [0], "output": 1,
       "attributes": {"stride_h": 2, "padding": "same", ...},        numbers or strings
       "weights": {"filter": {"dims": [8, 3, 3, 3], "data": [...]},  flat, row-major, OUR layout
                   "bias": {"dims": [8], "data": [...]}}},
      ...
    ]
  },
  grad and steps:
  "a": [...], "b": [...],    the two sides' inputs, each N*H*W*C floats in NHWC order
  "labels": [...],           N ints, 0 same person, 1 different
  "margin": 1.0,
  "batch_mode": "concat",    "concat": ONE forward of the batch [a; b] (2N samples; batch norm
                             statistics over both sides, as the C++ trainer runs); "separate":
                             two forwards, a then b (statistics per side, running stats updated
                             twice)
  steps only:
  "optimizer": {"kind": "sgd" | "adamw", "lr": 0.1 (or a list, one per step), "momentum": 0.9,
                "nesterov": false, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
                "weight_decay": 0.0},
  "steps": K,
  "fixed_gradients": {node name: {role: [flat floats]}}   optional: every trainable weight gets
                             this gradient at every step instead of the loss's (an optimiser-only
                             check); without it each step is forward + loss + backward on a, b
  bench only:
  "batch": B (pairs per step), "steps": S (timed), "warmup": W (untimed), "optimizer": as above,
  "margin", "batch_mode" as above; inputs are random normal, labels alternate 0, 1; each step is
  forward + loss + backward + optimiser step (dropout may have any rate here)
  forward only:
  "input": [...]             N*H*W*C floats

Ops (names and semantics of src/nn/graph.h and src/nn/plan.cc; tensors NHWC, run here in NCHW):
  conv2d            filter [O,kh,kw,I] (OHWI), bias [O] optional; stride_h/w, dilation_h/w;
                    padding "explicit" (pad_top/bottom/left/right, default) | "same" (TensorFlow:
                    out = ceil(in / stride), the odd pixel after) | "valid";
                    output_min/output_max clamp
  depthwise_conv2d  filter [1,kh,kw,C], bias [C]; as conv2d
  fully_connected   filter [O,I], bias [O]; the input is flattened in NHWC order; clamp
  scale_bias        scale [C], bias [C]: x * scale + bias; clamp
  relu, relu6       max(x, 0), min(max(x, 0), 6)
  prelu             slope [C]: x >= 0 ? x : x * slope
  add               two inputs; clamp
  max_pool2d        kernel_h/w, stride, padding as conv; padded pixels are never the maximum
  avg_pool2d        as max_pool2d; divides by the number of non-padded pixels in the window
  global_avg_pool   mean over H and W
  pad               pad_top/bottom/left/right, pad_channels_before/after, value
  concat            along channels
  reshape           height, width, channels, keeping NHWC element order
  l2_normalize      over channels per pixel: x / sqrt(max(sum x^2, epsilon)), epsilon 1e-12
  batch_norm        scale (gamma), bias (beta), mean, variance (running statistics) [C];
                    epsilon 1e-5, momentum 0.1 (PyTorch: running = (1 - m) running + m batch,
                    unbiased batch variance for the running update, biased for normalising);
                    statistics over N, H, W
  dropout           rate; identity in eval mode; in training mode rate must be 0 except in bench
                    (a random mask cannot be reproduced in C++)
Gradient conventions at the kinks: clamps (relu, relu6, output_min/max) pass the gradient only
strictly inside (min, max), so relu's derivative at 0 is 0; prelu's x >= 0 branch owns x = 0
(d/dx = 1, d/dslope = 0 there); max_pool2d sends a tie to the first maximum in the window
(row-major over kh, kw), as the reference's strict > keeps the first.
Trainable weights are filter, bias, scale and slope (batch_norm's mean and variance are running
statistics). Weight decay applies to "filter" roles only, every other role is in a group with
weight decay 0 (the C++ convention: no decay for biases, batch norm and PReLU parameters).

Loss (src/train/contrastive_loss.h): per pair D = |e_a - e_b|,
  L = mean over pairs of (1 - y) D^2 + y max(0, margin - D)^2      (no factor 1/2)
where the hinge term takes its gradient from sqrt(max(D^2, 1e-18)), so that D = 0 gives gradient 0,
not NaN (C++: exactly 0 at D = 0; the two differ only for 0 < D < 1e-9).

A list [request, request, ...] instead of one request runs them all in one process (torch takes
seconds to import) and the result is the list of their results, in order.

RESULT.json
-----------
grad:    {"loss": L, "same_pairs", "different_pairs", "different_inside_margin",
          "embeddings_a": [N*D], "embeddings_b": [N*D],              row-major [N, D] (NHWC flat)
          "gradients": {node: {role: {"dims": [...], "data": [...]}}},  d L / d weight, OUR layout
          "input_gradient_a": [...], "input_gradient_b": [...],      d L / d input, NHWC
          "running": {node: {"mean": [...], "variance": [...]}}}     batch_norm after the forward
steps:   {"losses": [per step, absent with fixed_gradients],
          "weights": {node: {role: {"dims": [...], "data": [...]}}}}  after K steps, OUR layout
bench:   {"pairs_per_second": x, "seconds": t, "steps": S, "batch": B, "threads": T}; a line
          "torch: ... pairs/s" is printed on stdout too
forward: {"outputs": [[flat NHWC floats] per graph output], "shapes": [[N,H,W,C] ...]}
"""

import json
import math
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover - environment check
    sys.stderr.write("cannot import torch (%s): install python3-torch, run /usr/bin/python3\n" % e)
    sys.exit(2)

TRAINABLE_ROLES = ("filter", "bias", "scale", "slope")
HINGE_EPSILON = 1e-9


class RequestError(Exception):
    pass


def fail(what, value, reason):
    raise RequestError("cannot %s (%s): %s" % (what, value, reason))


def clip(x, lo, hi):
    # min(max(x, lo), hi) whose gradient passes only strictly inside (lo, hi): ReLU's derivative
    # is 0 at x = 0 (torch.clamp would pass it there, F.relu would not).
    inside = (x > lo) & (x < hi)
    return torch.where(inside, x, torch.clamp(x, min=lo, max=hi).detach())


def node_fail(node, reason):
    fail("run node '%s'" % node.get("name", "?"), node.get("op", "?"), reason)


def same_padding(in_size, kernel, stride, dilation):
    # TensorFlow's rule, as src/nn/plan.cc resolves it.
    out = (in_size + stride - 1) // stride
    effective = (kernel - 1) * dilation + 1
    total = max((out - 1) * stride + effective - in_size, 0)
    return total // 2, total - total // 2


class Graph(object):
    """Our graph as a function of (input NCHW, parameters); parameters live in OUR layouts."""

    def __init__(self, spec, dtype):
        self.spec = spec
        self.dtype = dtype
        self.values = spec["values"]
        self.input = spec["input"]
        self.outputs = spec["outputs"]
        self.nodes = spec["nodes"]
        self.params = {}  # (node, role) -> leaf tensor
        self.buffers = {}  # (node, role) -> tensor (batch norm running statistics)
        for node in self.nodes:
            for role, w in node.get("weights", {}).items():
                dims = [int(d) for d in w["dims"]]
                data = w["data"]
                count = 1
                for d in dims:
                    count *= d
                if len(data) != count:
                    fail("load weight", "%s/%s" % (node["name"], role),
                         "%d values for shape %s" % (len(data), dims))
                t = torch.tensor(data, dtype=dtype).reshape(dims)
                if node["op"] == "batch_norm" and role in ("mean", "variance"):
                    self.buffers[(node["name"], role)] = t
                elif role in TRAINABLE_ROLES:
                    self.params[(node["name"], role)] = t.requires_grad_(True)
                else:
                    fail("load weight", "%s/%s" % (node["name"], role),
                         "unknown role for op %s" % node["op"])

    def weight(self, node, role, required=True):
        key = (node["name"], role)
        if key in self.params:
            return self.params[key]
        if key in self.buffers:
            return self.buffers[key]
        if required:
            node_fail(node, "missing weight '%s'" % role)
        return None

    def forward(self, x, training, allow_dropout=False):
        env = {self.input: x}
        for node in self.nodes:
            try:
                ins = [env[i] for i in node["inputs"]]
            except KeyError as e:
                node_fail(node, "input value %s is not computed yet" % e)
            try:
                env[node["output"]] = self.run_node(node, ins, training, allow_dropout)
            except RequestError:
                raise
            except Exception as e:  # torch's shape errors, named by node
                node_fail(node, str(e))
        return [env[i] for i in self.outputs]

    def run_node(self, node, ins, training, allow_dropout):
        op = node["op"]
        a = node.get("attributes", {})
        x = ins[0]

        def num(name, default):
            return a.get(name, default)

        def clamp(y):
            lo = num("output_min", None)
            hi = num("output_max", None)
            if lo is None and hi is None:
                return y
            return clip(y, -math.inf if lo is None else float(lo),
                        math.inf if hi is None else float(hi))

        def window_pads(kh, kw, sh, sw, dh, dw):
            mode = num("padding", "explicit")
            if mode == "explicit":
                return (int(num("pad_top", 0)), int(num("pad_bottom", 0)),
                        int(num("pad_left", 0)), int(num("pad_right", 0)))
            if mode == "valid":
                return (0, 0, 0, 0)
            if mode == "same":
                t, b = same_padding(x.shape[2], kh, sh, dh)
                l, r = same_padding(x.shape[3], kw, sw, dw)
                return (t, b, l, r)
            node_fail(node, "unknown padding '%s'" % mode)

        def strides():
            return int(num("stride_h", 1)), int(num("stride_w", 1))

        def dilations():
            return int(num("dilation_h", 1)), int(num("dilation_w", 1))

        if op in ("conv2d", "depthwise_conv2d"):
            f = self.weight(node, "filter")
            bias = self.weight(node, "bias", required=False)
            kh, kw = f.shape[1], f.shape[2]
            sh, sw = strides()
            dh, dw = dilations()
            t, b, l, r = window_pads(kh, kw, sh, sw, dh, dw)
            xp = F.pad(x, (l, r, t, b))
            if op == "conv2d":
                w = f.permute(0, 3, 1, 2)  # OHWI -> OIHW
                groups = 1
            else:
                w = f.permute(3, 0, 1, 2)  # [1,kh,kw,C] -> [C,1,kh,kw]
                groups = x.shape[1]
            return clamp(F.conv2d(xp, w, bias, stride=(sh, sw), dilation=(dh, dw), groups=groups))
        if op == "fully_connected":
            f = self.weight(node, "filter")
            bias = self.weight(node, "bias", required=False)
            flat = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # NHWC order
            y = F.linear(flat, f, bias)
            return clamp(y.reshape(y.shape[0], y.shape[1], 1, 1))
        if op == "scale_bias":
            s = self.weight(node, "scale").reshape(1, -1, 1, 1)
            bias = self.weight(node, "bias").reshape(1, -1, 1, 1)
            return clamp(x * s + bias)
        if op == "relu":
            return clip(x, 0.0, math.inf)
        if op == "relu6":
            return clip(x, 0.0, 6.0)
        if op == "prelu":
            slope = self.weight(node, "slope").reshape(1, -1, 1, 1)
            return torch.where(x >= 0, x, x * slope)
        if op == "add":
            if len(ins) != 2 or ins[0].shape != ins[1].shape:
                node_fail(node, "add takes two inputs of equal shape")
            return clamp(ins[0] + ins[1])
        if op in ("max_pool2d", "avg_pool2d"):
            kh, kw = int(num("kernel_h", 0)), int(num("kernel_w", 0))
            if kh <= 0 or kw <= 0:
                node_fail(node, "needs attributes kernel_h and kernel_w")
            sh, sw = strides()
            t, b, l, r = window_pads(kh, kw, sh, sw, 1, 1)
            if op == "max_pool2d":
                xp = F.pad(x, (l, r, t, b), value=-math.inf)
                return F.max_pool2d(xp, (kh, kw), stride=(sh, sw))
            # Sum over the window divided by the count of real pixels in it.
            total = F.avg_pool2d(F.pad(x, (l, r, t, b)), (kh, kw), stride=(sh, sw))
            ones = torch.ones((1, 1, x.shape[2], x.shape[3]), dtype=x.dtype)
            count = F.avg_pool2d(F.pad(ones, (l, r, t, b)), (kh, kw), stride=(sh, sw))
            return total / count
        if op == "global_avg_pool":
            return x.mean(dim=(2, 3), keepdim=True)
        if op == "pad":
            pads = (int(num("pad_left", 0)), int(num("pad_right", 0)), int(num("pad_top", 0)),
                    int(num("pad_bottom", 0)), int(num("pad_channels_before", 0)),
                    int(num("pad_channels_after", 0)))
            return F.pad(x, pads, value=float(num("value", 0.0)))
        if op == "concat":
            return torch.cat(ins, dim=1)
        if op == "reshape":
            h, w, c = int(num("height", 0)), int(num("width", 0)), int(num("channels", 0))
            nhwc = x.permute(0, 2, 3, 1).reshape(x.shape[0], h, w, c)
            return nhwc.permute(0, 3, 1, 2)
        if op == "l2_normalize":
            eps = float(num("epsilon", 1e-12))
            sq = (x * x).sum(dim=1, keepdim=True)
            return x / torch.sqrt(torch.clamp(sq, min=eps))
        if op == "batch_norm":
            y = F.batch_norm(x, self.weight(node, "mean"), self.weight(node, "variance"),
                             self.weight(node, "scale"), self.weight(node, "bias"),
                             training=training, momentum=float(num("momentum", 0.1)),
                             eps=float(num("epsilon", 1e-5)))
            return clamp(y)
        if op == "dropout":
            rate = float(num("rate", 0.0))
            if training and rate > 0.0 and not allow_dropout:
                node_fail(node,
                     "dropout rate %g in training mode: its random mask cannot be reproduced; use "
                     "rate 0 or training false" % rate)
            return F.dropout(x, p=rate, training=training)
        node_fail(node, "unknown op '%s'" % op)


def nhwc_input(flat, shape, dtype, what):
    n, h, w, c = shape
    if len(flat) != n * h * w * c:
        fail("read input", what, "%d values for shape %s" % (len(flat), list(shape)))
    return torch.tensor(flat, dtype=dtype).reshape(n, h, w, c).permute(0, 3, 1, 2).contiguous()


def embedding_rows(y):
    # NCHW -> NHWC rows, one per sample.
    return y.permute(0, 2, 3, 1).reshape(y.shape[0], -1)


def contrastive(ea, eb, labels, margin):
    y = labels.to(ea.dtype)
    sq = ((ea - eb) ** 2).sum(dim=1)
    # The value is the exact distance; the gradient is that of sqrt(max(D^2, eps^2)), which is 0
    # where D <= eps instead of sqrt's NaN at 0.
    safe = torch.sqrt(torch.clamp(sq, min=HINGE_EPSILON ** 2))
    d = safe - (safe - torch.sqrt(sq.detach())).detach()
    hinge = torch.clamp(margin - d, min=0.0)
    return ((1.0 - y) * sq + y * hinge * hinge).mean(), d.detach()


def embed_pairs(graph, xa, xb, training, batch_mode, allow_dropout=False):
    if batch_mode == "concat":
        out = embedding_rows(graph.forward(torch.cat([xa, xb]), training, allow_dropout)[0])
        n = xa.shape[0]
        return out[:n], out[n:]
    if batch_mode == "separate":
        ea = embedding_rows(graph.forward(xa, training, allow_dropout)[0])
        eb = embedding_rows(graph.forward(xb, training, allow_dropout)[0])
        return ea, eb
    fail("read request", "batch_mode %s" % batch_mode, "expected concat or separate")


def read_pairs(req, graph, dtype):
    shape = graph.spec["input_shape"]
    xa = nhwc_input(req["a"], shape, dtype, "a").requires_grad_(True)
    xb = nhwc_input(req["b"], shape, dtype, "b").requires_grad_(True)
    labels = torch.tensor(req["labels"], dtype=torch.int64)
    if labels.numel() != shape[0]:
        fail("read request", "%d labels" % labels.numel(), "expected one per pair (%d)" % shape[0])
    if not bool(((labels == 0) | (labels == 1)).all()):
        fail("read request", "labels", "labels are 0 (same person) or 1 (different)")
    return xa, xb, labels


def tensor_json(t):
    return {"dims": list(t.shape), "data": t.detach().reshape(-1).tolist()}


def flat_nhwc(t):
    return t.detach().permute(0, 2, 3, 1).reshape(-1).tolist()


def make_optimizer(graph, spec):
    kind = spec.get("kind", "sgd")
    wd = float(spec.get("weight_decay", 0.0))
    decay = [p for (node, role), p in sorted(graph.params.items()) if role == "filter"]
    no_decay = [p for (node, role), p in sorted(graph.params.items()) if role != "filter"]
    groups = [g for g in ({"params": decay, "weight_decay": wd},
                          {"params": no_decay, "weight_decay": 0.0}) if g["params"]]
    lr = spec.get("lr", 0.01)
    first_lr = float(lr[0] if isinstance(lr, list) else lr)
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=first_lr, momentum=float(spec.get("momentum", 0.9)),
                               nesterov=bool(spec.get("nesterov", False)))
    if kind == "adamw":
        return torch.optim.AdamW(groups, lr=first_lr,
                                 betas=(float(spec.get("beta1", 0.9)),
                                        float(spec.get("beta2", 0.999))),
                                 eps=float(spec.get("epsilon", 1e-8)))
    fail("read request", "optimizer kind %s" % kind, "expected sgd or adamw")


def set_lr(opt, spec, step):
    lr = spec.get("lr", 0.01)
    value = float(lr[step] if isinstance(lr, list) else lr)
    for g in opt.param_groups:
        g["lr"] = value


def run_grad(req, graph, dtype, training):
    xa, xb, labels = read_pairs(req, graph, dtype)
    ea, eb = embed_pairs(graph, xa, xb, training, req.get("batch_mode", "concat"))
    margin = float(req.get("margin", 1.0))
    loss, d = contrastive(ea, eb, labels, margin)
    loss.backward()
    grads = {}
    for (node, role), p in graph.params.items():
        g = p.grad if p.grad is not None else torch.zeros_like(p)
        grads.setdefault(node, {})[role] = tensor_json(g)
    running = {}
    for (node, role), b in graph.buffers.items():
        running.setdefault(node, {})[role] = b.reshape(-1).tolist()
    return {
        "loss": loss.item(),
        "same_pairs": int((labels == 0).sum()),
        "different_pairs": int((labels == 1).sum()),
        "different_inside_margin": int(((labels == 1) & (d < margin)).sum()),
        "embeddings_a": ea.detach().reshape(-1).tolist(),
        "embeddings_b": eb.detach().reshape(-1).tolist(),
        "gradients": grads,
        "input_gradient_a": flat_nhwc(xa.grad),
        "input_gradient_b": flat_nhwc(xb.grad),
        "running": running,
    }


def all_weights(graph):
    out = {}
    for (node, role), t in list(graph.params.items()) + list(graph.buffers.items()):
        out.setdefault(node, {})[role] = tensor_json(t)
    return out


def run_steps(req, graph, dtype, training):
    spec = req.get("optimizer", {})
    opt = make_optimizer(graph, spec)
    steps = int(req.get("steps", 1))
    fixed = req.get("fixed_gradients")
    losses = []
    if fixed is None:
        xa, xb, labels = read_pairs(req, graph, dtype)
        margin = float(req.get("margin", 1.0))
    else:
        grads = {}
        for (node, role), p in graph.params.items():
            data = fixed.get(node, {}).get(role)
            if data is None:
                fail("read request", "fixed_gradients %s/%s" % (node, role), "missing")
            if len(data) != p.numel():
                fail("read request", "fixed_gradients %s/%s" % (node, role),
                     "%d values for %d weights" % (len(data), p.numel()))
            grads[(node, role)] = torch.tensor(data, dtype=dtype).reshape(p.shape)
    for step in range(steps):
        set_lr(opt, spec, step)
        opt.zero_grad()
        if fixed is None:
            ea, eb = embed_pairs(graph, xa, xb, training, req.get("batch_mode", "concat"))
            loss, _ = contrastive(ea, eb, labels, margin)
            loss.backward()
            losses.append(loss.item())
        else:
            for key, p in graph.params.items():
                p.grad = grads[key].clone()
        opt.step()
    result = {"weights": all_weights(graph)}
    if fixed is None:
        result["losses"] = losses
    return result


def run_bench(req, graph, dtype, training, threads):
    spec = req.get("optimizer", {})
    opt = make_optimizer(graph, spec)
    batch = int(req.get("batch", 32))
    steps = int(req.get("steps", 10))
    warmup = int(req.get("warmup", 2))
    _, h, w, c = graph.spec["input_shape"]
    xa = torch.randn(batch, c, h, w, dtype=dtype)
    xb = torch.randn(batch, c, h, w, dtype=dtype)
    labels = torch.tensor([i % 2 for i in range(batch)], dtype=torch.int64)
    margin = float(req.get("margin", 1.0))
    start = None
    for step in range(warmup + steps):
        if step == warmup:
            start = time.perf_counter()
        opt.zero_grad()
        ea, eb = embed_pairs(graph, xa, xb, training, req.get("batch_mode", "concat"),
                             allow_dropout=True)
        loss, _ = contrastive(ea, eb, labels, margin)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    pps = batch * steps / seconds if seconds > 0 else float("inf")
    print("torch: %d steps of %d pairs on %d thread(s): %.1f pairs/s (%.3f s)" %
          (steps, batch, threads, pps, seconds))
    return {"pairs_per_second": pps, "seconds": seconds, "steps": steps, "batch": batch,
            "threads": threads}


def run_forward(req, graph, dtype, training):
    x = nhwc_input(req["input"], graph.spec["input_shape"], dtype, "input")
    with torch.no_grad():
        outs = graph.forward(x, training)
    return {"outputs": [flat_nhwc(o) for o in outs],
            "shapes": [[o.shape[0], o.shape[2], o.shape[3], o.shape[1]] for o in outs]}


def run_request(req):
    mode = req.get("mode")
    threads = int(req.get("threads", 1))
    torch.set_num_threads(threads)
    torch.manual_seed(int(req.get("seed", 0)))
    dtype = {"float32": torch.float32, "float64": torch.float64}.get(req.get("dtype", "float32"))
    if dtype is None:
        fail("read request", "dtype %s" % req.get("dtype"), "expected float32 or float64")
    graph = Graph(req["graph"], dtype)
    training = bool(req.get("training", mode != "forward"))
    if mode == "grad":
        return run_grad(req, graph, dtype, training)
    if mode == "steps":
        return run_steps(req, graph, dtype, training)
    if mode == "bench":
        return run_bench(req, graph, dtype, training, threads)
    if mode == "forward":
        return run_forward(req, graph, dtype, training)
    fail("read request", "mode %s" % mode, "expected grad, steps, bench or forward")


def self_test():
    """Each op of this script against plain numpy loops in NHWC on small hand cases (float64):
    `torch_graph.py --self-test` prints one line per case and exits 1 on a mismatch."""
    import numpy as np
    rng = np.random.default_rng(0)
    failures = []

    def run(op, attrs, weights, x, training=False, inputs=None):
        n, h, w, c = x.shape
        node = {"op": op, "name": "n", "inputs": inputs or [0], "output": 1, "attributes": attrs,
                "weights": {k: {"dims": list(v.shape), "data": v.reshape(-1).tolist()}
                            for k, v in weights.items()}}
        g = Graph({"values": ["x", "y"], "input": 0, "outputs": [1], "input_shape": [n, h, w, c],
                   "nodes": [node]}, torch.float64)
        y = g.forward(torch.tensor(x).permute(0, 3, 1, 2), training)[0]
        return y.detach().permute(0, 2, 3, 1).numpy(), g

    def check(label, ours, expected):
        err = float(np.abs(ours - expected).max()) if ours.shape == expected.shape else math.inf
        print("%-28s max error %.3g" % (label, err))
        if not err < 1e-12:
            failures.append(label)

    def conv_ref(x, f, b, stride, pads, dil=(1, 1), depthwise=False):
        n, h, w, c = x.shape
        t, bo, l, r = pads
        xp = np.pad(x, ((0, 0), (t, bo), (l, r), (0, 0)))
        kh, kw = f.shape[1], f.shape[2]
        eh, ew = (kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1
        oh, ow = (h + t + bo - eh) // stride[0] + 1, (w + l + r - ew) // stride[1] + 1
        out = np.zeros((n, oh, ow, c if depthwise else f.shape[0]))
        for oy in range(oh):
            for ox in range(ow):
                y0, x0 = oy * stride[0], ox * stride[1]
                patch = xp[:, y0:y0 + eh:dil[0], x0:x0 + ew:dil[1], :]
                if depthwise:
                    out[:, oy, ox, :] = (patch * f[0][None]).sum(axis=(1, 2))
                else:
                    out[:, oy, ox, :] = np.einsum("nhwi,ohwi->no", patch, f)
        return out + (b if b is not None else 0)

    def pool_ref(x, k, s, pads, kind):
        n, h, w, c = x.shape
        t, bo, l, r = pads
        oh, ow = (h + t + bo - k) // s + 1, (w + l + r - k) // s + 1
        out = np.zeros((n, oh, ow, c))
        for oy in range(oh):
            for ox in range(ow):
                y0, x0 = oy * s - t, ox * s - l
                p = x[:, max(y0, 0):min(y0 + k, h), max(x0, 0):min(x0 + k, w), :]
                out[:, oy, ox, :] = p.mean(axis=(1, 2)) if kind == "avg" else p.max(axis=(1, 2))
        return out

    x = rng.standard_normal((2, 5, 6, 3))
    f = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    # "same" with stride 2: rows 5 -> 3 (pads 1, 1), columns 6 -> 3 (pads 0, 1: odd pixel after).
    y, _ = run("conv2d", {"padding": "same", "stride_h": 2, "stride_w": 2},
               {"filter": f, "bias": b}, x)
    check("conv2d same stride 2", y, conv_ref(x, f, b, (2, 2), (1, 1, 0, 1)))
    y, _ = run("conv2d", {"pad_top": 2, "pad_left": 1, "pad_right": 2, "dilation_h": 2,
                          "output_min": -0.5, "output_max": 0.5}, {"filter": f}, x)
    check("conv2d explicit dilated clamp", y,
          np.clip(conv_ref(x, f, None, (1, 1), (2, 0, 1, 2), (2, 1)), -0.5, 0.5))
    y, _ = run("conv2d", {"padding": "valid"}, {"filter": f, "bias": b}, x)
    check("conv2d valid", y, conv_ref(x, f, b, (1, 1), (0, 0, 0, 0)))
    fd = rng.standard_normal((1, 3, 3, 3))
    bd = rng.standard_normal(3)
    y, _ = run("depthwise_conv2d", {"padding": "same", "stride_h": 2}, {"filter": fd, "bias": bd},
               x)
    check("depthwise_conv2d same", y, conv_ref(x, fd, bd, (2, 1), (1, 1, 1, 1), depthwise=True))
    ff = rng.standard_normal((7, 5 * 6 * 3))
    bf = rng.standard_normal(7)
    y, _ = run("fully_connected", {}, {"filter": ff, "bias": bf}, x)
    check("fully_connected NHWC", y.reshape(2, 7), x.reshape(2, -1) @ ff.T + bf)
    sc, bb, sl = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3)
    y, _ = run("scale_bias", {}, {"scale": sc, "bias": bb}, x)
    check("scale_bias", y, x * sc + bb)
    y, _ = run("prelu", {}, {"slope": sl}, x)
    check("prelu", y, np.where(x >= 0, x, x * sl))
    y, _ = run("relu", {}, {}, x)
    check("relu", y, np.maximum(x, 0))
    y, _ = run("relu6", {}, {}, 5 * x)
    check("relu6", y, np.clip(5 * x, 0, 6))
    for kind in ("avg", "max"):
        y, _ = run(kind + "_pool2d", {"kernel_h": 3, "kernel_w": 3, "stride_h": 2, "stride_w": 2,
                                      "pad_top": 1, "pad_bottom": 1, "pad_left": 1,
                                      "pad_right": 1}, {}, -np.abs(x))
        check(kind + "_pool2d padded", y, pool_ref(-np.abs(x), 3, 2, (1, 1, 1, 1), kind))
        y, _ = run(kind + "_pool2d", {"kernel_h": 2, "kernel_w": 2, "stride_h": 2, "stride_w": 2,
                                      "padding": "same"}, {}, x)
        check(kind + "_pool2d same", y, pool_ref(x, 2, 2, (0, 1, 0, 0), kind))
    y, _ = run("global_avg_pool", {}, {}, x)
    check("global_avg_pool", y, x.mean(axis=(1, 2), keepdims=True))
    y, _ = run("pad", {"pad_top": 1, "pad_right": 2, "pad_channels_before": 1,
                       "pad_channels_after": 2, "value": 0.5}, {}, x)
    check("pad", y, np.pad(x, ((0, 0), (1, 0), (0, 2), (1, 2)), constant_values=0.5))
    y, _ = run("concat", {}, {}, x, inputs=[0, 0])
    check("concat", y, np.concatenate([x, x], axis=3))
    y, _ = run("add", {"output_max": 1.0}, {}, x, inputs=[0, 0])
    check("add clamp", y, np.minimum(2 * x, 1.0))
    y, _ = run("reshape", {"height": 3, "width": 10, "channels": 3}, {}, x)
    check("reshape NHWC order", y, x.reshape(2, 3, 10, 3))
    y, _ = run("l2_normalize", {"epsilon": 5.0}, {}, x)
    check("l2_normalize epsilon", y, x / np.sqrt(np.maximum((x * x).sum(-1, keepdims=True), 5.0)))
    gm, bt = rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    bn = {"scale": gm, "bias": bt, "mean": rm, "variance": rv}
    y, g = run("batch_norm", {"momentum": 0.2, "epsilon": 1e-3}, bn, x, training=True)
    mu, var, m = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2)), x.size // 3
    check("batch_norm training", y, (x - mu) / np.sqrt(var + 1e-3) * gm + bt)
    check("batch_norm running mean", g.buffers[("n", "mean")].numpy(), 0.8 * rm + 0.2 * mu)
    check("batch_norm running var", g.buffers[("n", "variance")].numpy(),
          0.8 * rv + 0.2 * var * m / (m - 1))
    y, _ = run("batch_norm", {}, bn, x, training=False)
    check("batch_norm eval", y, (x - rm) / np.sqrt(rv + 1e-5) * gm + bt)
    y, _ = run("dropout", {"rate": 0.5}, {}, x, training=False)
    check("dropout eval", y, x)
    ea = torch.tensor([[3.0, 0.0], [0.0, 0.0], [1.0, 1.0], [0.5, 0.5]], dtype=torch.float64)
    eb = torch.tensor([[0.0, 4.0], [1.0, 0.0], [1.0, -1.0], [0.5, 0.5]], dtype=torch.float64)
    loss, _ = contrastive(ea, eb, torch.tensor([0, 1, 1, 1]), 1.5)
    check("contrastive loss", np.array(loss.item()), np.array((25.0 + 0.25 + 0.0 + 2.25) / 4))
    if failures:
        print("FAILED: " + ", ".join(failures))
        return 1
    print("all ops match")
    return 0


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        torch.set_num_threads(1)
        return self_test()
    if len(argv) != 3:
        sys.stderr.write("usage: /usr/bin/python3 torch_graph.py REQUEST.json RESULT.json\n")
        return 1
    try:
        with open(argv[1]) as f:
            req = json.load(f)
        # A list of requests runs in one process (importing torch takes seconds).
        if isinstance(req, list):
            result = [run_request(r) for r in req]
        else:
            result = run_request(req)
        with open(argv[2], "w") as f:
            json.dump(result, f)
    except RequestError as e:
        sys.stderr.write("%s\n" % e)
        return 1
    except (KeyError, ValueError, TypeError, OSError) as e:
        sys.stderr.write("cannot run torch reference (%s): %s: %s\n" %
                         (argv[1], type(e).__name__, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
