"""The WaveNet autoencoder over whole sounds, in NumPy: the non-causal encoder (Magenta's
``fastgen.encode``) and the teacher-forced decoder (``Config.build``'s softmax).

Weights keep Magenta's names; a conv ``W`` is ``[1, taps, in, out]`` with tap 0 the oldest.
"""

from __future__ import annotations

import numpy as np

from magwidgets.families.nsynth.audio import mu_law
from magwidgets.families.nsynth.checkpoint import HOP_LENGTH, Sizes

Weights = dict[str, np.ndarray]


def conv(x: np.ndarray, weights: Weights, name: str, dilation: int = 1,
         causal: bool = True) -> np.ndarray:
    """``x: f32[B, T, C]`` convolved with ``name/W: [1, 3, C, O]`` (+ bias) -> ``f32[B, T, O]``.

    Causal taps are t-2d, t-d, t; non-causal ones t-d, t, t+d; zeros outside the signal.
    """
    kernel, d, length = weights[f"{name}/W"][0], dilation, x.shape[1]
    if kernel.shape[0] == 1:
        return x @ kernel[0] + weights[f"{name}/biases"]
    y = x @ kernel[2 if causal else 1] + weights[f"{name}/biases"]
    if causal:
        for tap, shift in ((1, d), (0, 2 * d)):
            if shift < length:
                y[:, shift:] += x[:, :-shift] @ kernel[tap]
    elif d < length:
        y[:, d:] += x[:, :-d] @ kernel[0]
        y[:, :-d] += x[:, d:] @ kernel[2]
    return y


def encode(weights: Weights, sizes: Sizes, audio: np.ndarray) -> np.ndarray:
    """``audio: f32[B, T]`` (T a multiple of 512) -> encodings ``f32[B, T // 512, 16]``."""
    x = (mu_law(audio).astype(np.float32) / np.float32(128))[..., None]
    en = conv(x, weights, "ae_startconv", causal=False)
    for i in range(sizes.ae_layers):
        d = conv(np.maximum(en, 0), weights, f"ae_dilatedconv_{i + 1}", sizes.dilation(i),
                 causal=False)
        en += conv(np.maximum(d, 0, out=d), weights, f"ae_res_{i + 1}")
    en = conv(en, weights, "ae_bottleneck")
    batch, length, width = en.shape
    return en.reshape(batch, length // HOP_LENGTH, HOP_LENGTH, width).mean(axis=2)


def upsample(frames: np.ndarray, length: int) -> np.ndarray:
    """``f32[B, F, C]`` per frame -> ``f32[B, length, C]`` per sample (sample t: frame t // 512)."""
    return np.repeat(frames, HOP_LENGTH, axis=1)[:, :length]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in float32 as TensorFlow computes it."""
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def teacher_forced(weights: Weights, sizes: Sizes, encodings: np.ndarray,
                   audio: np.ndarray) -> np.ndarray:
    """p(class of sample t | true samples < t, encoding frame t // 512) for ``audio: f32[B, T]``
    and ``encodings: f32[B, ceil(T / 512), 16]`` -> ``f32[B, T, 256]``."""
    batch, length = audio.shape
    q = mu_law(audio).astype(np.float32) / np.float32(128)
    x = np.zeros((batch, length, 1), np.float32)
    x[:, 1:, 0] = q[:, :-1]
    l = conv(x, weights, "startconv")
    s = conv(l, weights, "skip_start")
    for i in range(sizes.layers):
        name = str(i + 1)
        cond = encodings @ weights[f"cond_map_{name}/W"][0, 0] + weights[f"cond_map_{name}/biases"]
        z = conv(l, weights, f"dilatedconv_{name}", sizes.dilation(i))
        z += upsample(cond, length)
        with np.errstate(over="ignore"):  # exp overflow is a sigmoid of exactly 0
            gate = 1 / (1 + np.exp(-z[..., :sizes.width])) * np.tanh(z[..., sizes.width:])
        l += conv(gate, weights, f"res_{name}")
        s += conv(gate, weights, f"skip_{name}")
    cond = encodings @ weights["cond_map_out1/W"][0, 0] + weights["cond_map_out1/biases"]
    s = conv(np.maximum(s, 0), weights, "out1") + upsample(cond, length)
    return softmax(conv(np.maximum(s, 0), weights, "logits"))
