"""The index layouts and constant linear maps of ONNX's image operators (Conv, pooling, Pad), read exactly.

Why separate: these are pure functions of shapes and attributes (no exactness question beyond the
weights they place), so they are checked against onnxruntime on random attribute combinations
(checker/tests/test_conv.py) and the loader only composes their results.
"""
from __future__ import annotations

import math

import numpy as np

from .errors import InputError
from .sparse import Sparse


def spatial(attrs: dict, kernel, where: str, size):
    """strides, pads (begin..., end...), dilations, ceil_mode of a 2-D window op on an image of `size` (H, W);
    auto_pad SAME_UPPER/SAME_LOWER (without dilations, as onnxruntime): ONNX's pads, total
    (ceil(size / stride) - 1) stride + kernel - size, the odd one at the end (UPPER) or the beginning (LOWER)."""
    auto = attrs.get("auto_pad", b"NOTSET")
    strides, dilations = list(attrs.get("strides", [1, 1])), list(attrs.get("dilations", [1, 1]))
    pads = list(attrs.get("pads", [0, 0, 0, 0]))
    if len(kernel) != 2 or len(strides) != 2 or len(dilations) != 2 or len(pads) != 4 or min(strides + dilations) < 1 \
            or min(pads) < 0 or min(kernel) < 1 or auto not in (b"NOTSET", b"VALID", b"SAME_UPPER", b"SAME_LOWER") \
            or auto.startswith(b"SAME") and dilations != [1, 1]:
        raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{where}: only 2-D windows with positive strides, dilations and "
                         f"kernel and non-negative pads are supported (kernel {kernel}, pads {pads}), auto_pad "
                         f"NOTSET, VALID or SAME_* without dilations (auto_pad {auto.decode()})")
    if auto.startswith(b"SAME"):
        total = [max(0, (-(-n // s) - 1) * s + k - n) for n, k, s in zip(size, kernel, strides)]
        pads = [t - t // 2 if auto == b"SAME_LOWER" else t // 2 for t in total]
        pads += [t - p for t, p in zip(total, pads)]
    return strides, pads, dilations, attrs.get("ceil_mode", 0)


def windows(shape, kernel, strides, pads, dilations, ceil_mode=False):
    """For an (H, W) image: output size (OH, OW) and pos (OH*OW, KH*KW), the input index y*W + x each window
    position reads, -1 in the padding; also whether each position lies inside the padded image."""
    size, ys = [], []
    for i in range(2):
        span = (kernel[i] - 1) * dilations[i] + 1
        room = shape[i] + pads[i] + pads[i + 2] - span
        if room < 0:
            raise ValueError(f"window {span} larger than the padded input {shape[i] + pads[i] + pads[i + 2]}")
        out = (-(-room // strides[i]) if ceil_mode else room // strides[i]) + 1
        if ceil_mode and (out - 1) * strides[i] >= shape[i] + pads[i]:
            out -= 1  # the last window must start inside the image or its leading pad
        size.append(out)
        ys.append(np.arange(out)[:, None] * strides[i] - pads[i] + np.arange(kernel[i])[None, :] * dilations[i])
    y, x = ys[0][:, None, :, None], ys[1][None, :, None, :]  # (OH, 1, KH, 1), (1, OW, 1, KW)
    inside = (y >= 0) & (y < shape[0]) & (x >= 0) & (x < shape[1])
    padded = (y < shape[0] + pads[2]) & (x < shape[1] + pads[3])
    pos = np.where(inside, y * shape[1] + x, -1)
    return tuple(size), pos.reshape(size[0] * size[1], -1), padded.reshape(size[0] * size[1], -1)


def conv(shape, weight: np.ndarray, group: int, spatial_args) -> tuple[Sparse, tuple, int]:
    """The (N*M*OH*OW, N*C*H*W) map of a Conv without bias (entries of a row in input order), its output
    shape and its terms per output (C/group * KH * KW)."""
    n, c, h, w = shape
    m, cg = weight.shape[:2]
    if c != cg * group or m % group:
        raise ValueError(f"{c} input channels, weight {weight.shape} and group {group} do not match")
    (oh, ow), pos, _ = windows((h, w), weight.shape[2:], *spatial_args)
    o, k = pos.shape
    ni, mi, oi, ci, ki = np.ix_(range(n), range(m), range(o), range(cg), range(k))
    full = lambda v: np.broadcast_to(v, (n, m, o, cg, k))
    col = full(pos[oi, ki])
    keep = col >= 0
    rows, cols = full((ni * m + mi) * o + oi), full((ni * c + (mi // (m // group)) * cg + ci) * h * w) + col
    vals = full(weight.reshape(m, cg, k)[mi, ci, ki])
    return (Sparse.of((n * m * o, n * c * h * w), rows[keep], cols[keep], vals[keep]),
            (n, m, oh, ow), cg * k)


def pool(shape, kernel, spatial_args, count_include_pad: bool):
    """MaxPool's candidate input indices per output (-1 = padding), AveragePool's divisor per output, the output
    shape. (AveragePool's sums: a Conv of ones, one group per channel.)"""
    n, c, h, w = shape
    size, pos, padded = windows((h, w), kernel, *spatial_args)
    planes = np.arange(n * c)[:, None, None] * (h * w)
    cand = np.where(pos[None] >= 0, pos[None] + planes, -1).reshape(-1, pos.shape[1])
    return cand, np.tile((padded if count_include_pad else pos >= 0).sum(axis=1), n * c), (n, c, *size)


def pad_index(shape, pads) -> np.ndarray:
    """Index of each output entry of a constant Pad into the flattened input, -1 where the pad value goes
    (negative pads crop)."""
    idx = np.arange(math.prod(shape)).reshape(shape)
    r = len(shape)
    idx = idx[tuple(slice(max(-b, 0), d - max(-e, 0)) for b, e, d in zip(pads[:r], pads[r:], shape))]
    return np.pad(idx, [(max(b, 0), max(e, 0)) for b, e in zip(pads[:r], pads[r:])], constant_values=-1)
