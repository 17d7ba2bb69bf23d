"""Incremental (fast-generation) decoding: one sample per step, per-layer queues of past
activations, weights laid out once at load time.

Per layer, the dilated conv's two past taps (t-2d, t-d) only need activations at least d steps
old, so they are computed for a block of K = min(d, 64) future steps in one matrix product
(their weights stream from memory once per block, not once per sample); per sample only the
current tap and the fused residual+skip product remain. The sigmoid gate is computed as
0.5 (1 + tanh(z / 2)), with the halves folded into the weights, so one ``tanh`` serves both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps
from math import gcd
from typing import TypeVar

import numpy as np
from threadpoolctl import ThreadpoolController

from magwidgets.families.nsynth.audio import inv_mu_law
from magwidgets.families.nsynth.checkpoint import (
    HOP_LENGTH,
    QUANTIZATION_CHANNELS,
    Sizes,
)
from magwidgets.families.nsynth.network import Weights

MAX_BLOCK = 64  # past-tap products are computed for at most this many steps at once
MAX_PANEL = 32  # columns per weight panel (see ``panels``; 32 measured fastest at batch 1 and 8)
REPORT_EVERY = 256  # samples between calls of ``on_progress`` (progress bars, cancelling)
_AUDIO_OF_CLASS = inv_mu_law(np.arange(QUANTIZATION_CHANNELS) - 128)
Function = TypeVar("Function", bound=Callable)


@cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def one_blas_thread(function: Function) -> Function:
    """Run ``function`` with one BLAS thread: a step's matrix-vector products only lose to
    thread hand-offs, and on a shared machine (a class of kernels) so do the encoder's."""

    @wraps(function)
    def limited(*args, **kwargs):
        with _controller().limit(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return limited  # type: ignore[return-value]


@dataclass(frozen=True)
class Layer:
    """One residual layer's weights in the fast layout (P = panels of ``panel`` columns)."""

    dilation: int
    block: int  # K: steps whose past-tap products are computed together
    current: np.ndarray  # f32[2W/P, W, P]: tap t (gate half scaled by 1/2)
    past: np.ndarray  # f32[2, 2W/P, W, P]: taps t-2d, t-d (gate half scaled by 1/2)
    res_skip: np.ndarray  # f32[(W+S)/P, W, P]: res | skip, scaled by 1/2
    res_skip_bias: np.ndarray  # f32[(W+S)/P, 1, P]


def panels(matrix: np.ndarray, panel: int) -> np.ndarray:
    """``f32[..., in, out]`` as ``f32[..., out/P, in, P]``: column panels, each contiguous.

    ``x @ panels`` then runs one small product per panel inside NumPy: for a batch of rows,
    OpenBLAS's small-matrix kernels read the weights once, where one [B, in] x [in, out]
    product would first copy ("pack") the whole matrix (3x slower at batch 8).
    """
    *lead, rows, cols = matrix.shape
    split = matrix.reshape(*lead, rows, cols // panel, panel)
    return np.ascontiguousarray(np.moveaxis(split, -2, -3))


@dataclass(frozen=True)
class FastDecoder:
    """The decoder's weights laid out for one-sample steps."""

    sizes: Sizes
    panel: int  # P: columns per weight panel (divides W and S)
    start: np.ndarray  # f32[3, W]: startconv taps t-2, t-1, t
    start_bias: np.ndarray  # f32[W]
    skip_start: np.ndarray  # f32[S/P, W, P]
    skip_start_bias: np.ndarray  # f32[S/P, 1, P]
    layers: tuple[Layer, ...]
    cond: np.ndarray  # f32[16, L * 2W + S]: every cond_map, then cond_map_out1
    cond_bias: np.ndarray  # f32[L * 2W + S]: cond and dilated-conv biases, then out1's
    out1: np.ndarray  # f32[S, S]
    logits: np.ndarray  # f32[S, 256]
    logits_bias: np.ndarray  # f32[256]

    @classmethod
    def from_weights(cls, weights: Weights, sizes: Sizes, panel: int = MAX_PANEL
                     ) -> FastDecoder:
        """Lay Magenta's variables out for :func:`generate` (halves folded in, taps split,
        columns in panels of ``gcd(panel, W, S)``)."""
        width, panel = sizes.width, gcd(panel, sizes.width, sizes.skip_width)
        arena = _Arena(sizes)
        gate_scale = np.ones(2 * width, np.float32)
        gate_scale[:width] = 0.5  # sigmoid(z) = (1 + tanh(z / 2)) / 2
        layers, cond, cond_bias = [], [], []
        for i in range(sizes.layers):
            name = str(i + 1)
            kernel = weights[f"dilatedconv_{name}/W"][0] * gate_scale
            res_skip = np.concatenate([weights[f"res_{name}/W"][0, 0],
                                       weights[f"skip_{name}/W"][0, 0]], axis=1)
            bias = np.concatenate([weights[f"res_{name}/biases"], weights[f"skip_{name}/biases"]])
            dilation = sizes.dilation(i)
            layers.append(Layer(dilation, min(dilation, MAX_BLOCK),
                                arena.put(panels(kernel[2], panel)), panels(kernel[:2], panel),
                                arena.put(panels(0.5 * res_skip, panel)),
                                bias.reshape(-1, 1, panel)))
            cond.append(weights[f"cond_map_{name}/W"][0, 0] * gate_scale)
            cond_bias.append((weights[f"cond_map_{name}/biases"]
                              + weights[f"dilatedconv_{name}/biases"]) * gate_scale)
        cond.append(weights["cond_map_out1/W"][0, 0])
        cond_bias.append(weights["cond_map_out1/biases"] + weights["out1/biases"])
        return cls(sizes, panel, weights["startconv/W"][0, :, 0], weights["startconv/biases"],
                   panels(weights["skip_start/W"][0, 0], panel),
                   weights["skip_start/biases"].reshape(-1, 1, panel), tuple(layers),
                   np.concatenate(cond, axis=1), np.concatenate(cond_bias),
                   weights["out1/W"][0, 0], weights["logits/W"][0, 0], weights["logits/biases"])

    def weight_bytes_per_sample(self) -> dict[str, int]:
        """Bytes of weights a step reads: ``plain`` (every tap every step, as Magenta's fast
        graph) and ``blocked`` (this engine: past taps once per block)."""
        fixed = sum(a.nbytes for a in (self.start, self.skip_start, self.out1, self.logits))
        per_step = sum(layer.current.nbytes + layer.res_skip.nbytes for layer in self.layers)
        past = [layer.past.nbytes for layer in self.layers]
        blocked = sum(p // layer.block for p, layer in zip(past, self.layers))
        return {"plain": fixed + per_step + sum(past), "blocked": fixed + per_step + blocked}


class _Arena:
    """One allocation for the weights every step reads, in the order it reads them: large
    enough for NumPy to back it with huge pages, which streams ~10% faster than many 2 MB
    arrays."""

    def __init__(self, sizes: Sizes) -> None:
        per_layer = sizes.width * (2 * sizes.width) + sizes.width * (sizes.width + sizes.skip_width)
        self._free = np.empty(sizes.layers * per_layer, np.float32)

    def put(self, array: np.ndarray) -> np.ndarray:
        """A copy of ``array`` in the arena's next free place."""
        view, self._free = np.split(self._free, [array.size])
        view = view.reshape(array.shape)
        view[...] = array
        return view


def _to_panels(rows: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``f32[B, n * P]`` into ``out: f32[n, B, P]``."""
    out[...] = rows.reshape(rows.shape[0], out.shape[0], out.shape[2]).transpose(1, 0, 2)
    return out


def _to_rows(chunks: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``f32[n, B, P]`` into ``out: f32[B, n * P]``."""
    out.reshape(out.shape[0], chunks.shape[0], chunks.shape[2])[...] = chunks.transpose(1, 0, 2)
    return out


@one_blas_thread
def generate(decoder: FastDecoder, encodings: np.ndarray, uniforms: np.ndarray, *,
             keep_probs: int = 0, on_progress: Callable[[int], bool] | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``encodings: f32[B, F, 16]`` into classes ``int[B, F * 512]``, step t drawing
    class ``searchsorted(cumsum(p_t), uniforms[:, t], side='left')`` (Magenta's sampler).

    Returns the classes and the pmfs of the first ``keep_probs`` steps ``f32[B, n, 256]``.
    ``on_progress(done)`` is called every 256 samples; when it returns False the run stops
    there and the classes so far are returned (all state is local: an exception leaves none).
    Activations live in panels ``[n, B, P]`` (as the products give them), the rows of
    layer inputs ``[B, W]`` in each layer's ring of past inputs.
    """
    sizes, layers, panel = decoder.sizes, decoder.layers, decoder.panel
    batch, frames, _ = encodings.shape
    total, width = frames * HOP_LENGTH, sizes.width
    n_res, n_gate = width // panel, 2 * width // panel
    rings = [np.zeros((2 * layer.dilation + layer.block, batch, width), np.float32)
             for layer in layers]
    pasts = [np.zeros((n_gate, layer.block, batch, panel), np.float32) for layer in layers]
    z = np.empty((n_gate, batch, panel), np.float32)
    res_skip = np.empty((n_res + sizes.skip_width // panel, batch, panel), np.float32)
    l = np.empty((n_res, batch, panel), np.float32)
    gate_rows, skip_rows = np.empty((batch, width), np.float32), np.empty(
        (batch, sizes.skip_width), np.float32)
    inputs = np.zeros((batch, 3), np.float32)  # startconv inputs at t-2, t-1, t
    classes = np.zeros((batch, total), np.int64)
    probs = np.zeros((batch, min(keep_probs, total), QUANTIZATION_CHANNELS), np.float32)
    rows = np.arange(batch)
    for t in range(total):
        if t % HOP_LENGTH == 0:  # this frame's conditioning, all layers at once
            frame_cond = encodings[:, t // HOP_LENGTH] @ decoder.cond + decoder.cond_bias
            layer_cond = np.ascontiguousarray(frame_cond[:, :len(layers) * 2 * width].reshape(
                batch, -1, panel).transpose(1, 0, 2))  # f32[L * 2W/P, B, P]
        start = inputs @ decoder.start + decoder.start_bias
        s = np.matmul(start, decoder.skip_start) + decoder.skip_start_bias
        _to_panels(start, l)
        for i, (layer, ring, past) in enumerate(zip(layers, rings, pasts)):
            k, d = t % layer.block, layer.dilation
            if k == 0:  # past taps for the next `block` steps, in one product per tap
                size, span = layer.block, len(ring)
                oldest, older = (t - 2 * d) % span, (t - d) % span
                flat = past.reshape(n_gate, size * batch, panel)
                np.matmul(ring[oldest:oldest + size].reshape(size * batch, width),
                          layer.past[0], out=flat)
                flat += ring[older:older + size].reshape(size * batch, width) @ layer.past[1]
                past += layer_cond[i * n_gate:(i + 1) * n_gate, None]
            current = _to_rows(l, ring[t % len(ring)])
            np.matmul(current, layer.current, out=z)
            z += past[:, k]
            np.tanh(z, out=z)
            gate = z[:n_res]
            gate += 1
            gate *= z[n_res:]
            np.matmul(_to_rows(gate, gate_rows), layer.res_skip, out=res_skip)
            res_skip += layer.res_skip_bias
            l += res_skip[:n_res]
            s += res_skip[n_res:]
        out = np.maximum(_to_rows(s, skip_rows), 0) @ decoder.out1
        out += frame_cond[:, len(layers) * 2 * width:]
        logits = np.maximum(out, 0, out=out) @ decoder.logits + decoder.logits_bias
        pmf = np.exp(logits - logits.max(axis=1, keepdims=True))
        pmf /= pmf.sum(axis=1, keepdims=True)
        if t < len(probs[0]):
            probs[:, t] = pmf
        cdf = np.cumsum(pmf, axis=1)
        chosen = np.minimum((cdf < uniforms[:, t, None]).sum(axis=1), QUANTIZATION_CHANNELS - 1)
        classes[rows, t] = chosen
        inputs[:, :2] = inputs[:, 1:]
        inputs[:, 2] = (chosen - 128) / np.float32(128)
        if on_progress is not None and (t + 1) % REPORT_EVERY == 0 and not on_progress(t + 1):
            return classes[:, :t + 1], probs
    return classes, probs


def class_audio(classes: np.ndarray) -> np.ndarray:
    """The float32 samples of mu-law classes 0..255 (Magenta's ``inv_mu_law_numpy(c - 128)``)."""
    return _AUDIO_OF_CLASS[classes]
