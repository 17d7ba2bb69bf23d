"""The layers of Onsets and Frames as NumPy float32 functions: convolution with BatchNorm
folded in (im2col + one BLAS matmul), max-pooling over frequency, and LSTM cells stepped
together (the input projection of a whole chunk in one matmul, one batched matmul a step).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

BATCH_NORM_EPSILON = 0.001  # tf_slim.batch_norm's default
NARROW_PATCHES = 64  # patch widths up to this go through one GEMM on full im2col patches


@dataclass(frozen=True)
class Conv:
    """A SAME-padded convolution + inference BatchNorm (folded) + ReLU + max-pool over
    frequency; ``kernel`` is laid out for im2col: f32[kh, kw * cin, cout] (one matrix per
    time tap)."""

    kernel: np.ndarray
    bias: np.ndarray  # f32[cout]
    size: tuple[int, int]  # (time, frequency) kernel size, both odd
    pool: int  # frequency pool size and stride (1: none)

    @classmethod
    def from_weights(cls, kernel: np.ndarray, beta: np.ndarray, mean: np.ndarray,
                     variance: np.ndarray, pool: int) -> Conv:
        """Fold ``(conv - mean) / sqrt(variance + eps) + beta`` (slim's BatchNorm without
        gamma) into the kernel [kh, kw, cin, cout] and a bias."""
        scale = 1.0 / np.sqrt(variance.astype(np.float64) + BATCH_NORM_EPSILON)
        folded = kernel.astype(np.float64) * scale
        bias = beta.astype(np.float64) - mean.astype(np.float64) * scale
        kh, kw, cin, cout = kernel.shape
        return cls(np.ascontiguousarray(folded.reshape(kh, kw * cin, cout), np.float32),
                   bias.astype(np.float32), (kh, kw), pool)

    @property
    def padding(self) -> tuple[int, int]:
        return self.size[0] // 2, self.size[1] // 2

    @property
    def channels(self) -> int:
        """Output channels."""
        return self.kernel.shape[2]


def concat_convs(convs: list[Conv]) -> Conv:
    """Several convolutions of the same input as one (their output channels side by side)."""
    return Conv(np.concatenate([c.kernel for c in convs], axis=2),
                np.concatenate([c.bias for c in convs]), convs[0].size, convs[0].pool)


class Workspace:
    """Scratch arrays kept from chunk to chunk (one workspace per thread): the big im2col
    temporaries are not allocated anew, so the kernel does not page-fault them in each time.
    Callers rewrite every cell they read, or leave cells that stay zero for that shape."""

    MAX_ARRAYS = 32  # distinct (name, shape) pairs kept; chunk shapes repeat, edge ones vary

    def __init__(self) -> None:
        self.arrays: dict[tuple, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A zero-initialised float32 array of ``shape`` the first time, then the same one."""
        key = (name, shape)
        if key not in self.arrays:
            if len(self.arrays) >= self.MAX_ARRAYS:
                self.arrays.clear()
            self.arrays[key] = np.zeros(shape, np.float32)
        return self.arrays[key]


def frequency_patches(x: np.ndarray, conv: Conv, pad: tuple[bool, bool],
                      workspace: Workspace) -> np.ndarray:
    """im2col over frequency: f32[rows, F, kw * C], the kw-bin neighbourhoods of each frame
    with SAME zero padding in frequency, and in time only at the recording's edges (``pad``:
    first frame, last frame); elsewhere the chunk's context frames take their place."""
    frames, bins, channels = x.shape
    (_, kw), (ph, pw) = conv.size, conv.padding
    top = ph * pad[0]
    patches = workspace.get("patches", (frames + top + ph * pad[1], bins, kw, channels))
    patches[:top] = 0.0  # time padding (frequency padding cells are never written)
    patches[top + frames:] = 0.0
    for dx in range(kw):
        f0, f1 = max(0, pw - dx), min(bins, bins + pw - dx)
        patches[top:top + frames, f0:f1, dx] = x[:, f0 + dx - pw:f1 + dx - pw]
    return patches.reshape(patches.shape[0], bins, kw * channels)


def conv_relu(x: np.ndarray, conv: Conv, pad: tuple[bool, bool], workspace: Workspace,
              name: str = "conv") -> np.ndarray:
    """relu(BN(conv(x))) f32[T', F, cout] for x f32[T, F, cin] (before pooling); T' = T
    less kh // 2 frames at each end that is not the recording's (see frequency_patches).
    One float32 GEMM per time tap on the frequency patches, summed (one GEMM on full patches
    when they are narrow, as for the 1-channel mel), then the bias. The result is
    ``workspace``'s array ``name`` of its shape, valid until the next call that uses it."""
    bins = x.shape[1]
    taps, width, _ = conv.kernel.shape
    patches = frequency_patches(x, conv, pad, workspace)
    frames = patches.shape[0] - taps + 1
    out = workspace.get(name, (frames * bins, conv.channels))
    if taps * width <= NARROW_PATCHES:
        full = workspace.get("full", (frames, bins, taps, width))
        for dy in range(taps):
            full[:, :, dy] = patches[dy:dy + frames]
        np.matmul(full.reshape(frames * bins, taps * width),
                  conv.kernel.reshape(taps * width, -1), out=out)
        out += conv.bias
    else:
        rows = patches.reshape(-1, width)  # tap dy of frame t is row block t + dy: a view
        tap = workspace.get("tap", out.shape)
        np.matmul(rows[:frames * bins], conv.kernel[0], out=out)
        for dy in range(1, taps):
            np.matmul(rows[dy * bins:(dy + frames) * bins], conv.kernel[dy], out=tap)
            out += tap
        out += conv.bias
    np.maximum(out, 0.0, out=out)
    return out.reshape(frames, bins, -1)


def max_pool(x: np.ndarray, pool: int) -> np.ndarray:
    """VALID max-pool over frequency, window = stride = ``pool``: f32[T, F // pool, C]."""
    if pool == 1:
        return x
    kept = x.shape[1] // pool * pool
    out = x[:, 0:kept:pool].copy()
    for offset in range(1, pool):
        np.maximum(out, x[:, offset:kept:pool], out=out)
    return out


@dataclass(frozen=True)
class Dense:
    """A fully connected layer: x @ kernel + bias."""

    kernel: np.ndarray  # f32[in, out]
    bias: np.ndarray  # f32[out]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = x @ self.kernel
        out += self.bias
        return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, float32, as 0.5 + 0.5 tanh(x / 2) (no overflow)."""
    out = np.tanh(np.float32(0.5) * x)
    out *= np.float32(0.5)
    out += np.float32(0.5)
    return out


@dataclass(frozen=True)
class LstmCell:
    """An LSTM cell (TF gate order i, j, f, o; forget bias already in ``bias``):
    z = [x, h] @ kernel + bias, c = c * sig(f) + sig(i) * tanh(j), h = tanh(c) * sig(o).
    The i, f, o columns are pre-halved so one tanh gives all four gates."""

    input_kernel: np.ndarray  # f32[in, 4u]
    recurrent_kernel: np.ndarray  # f32[u, 4u]
    bias: np.ndarray  # f32[4u]

    @classmethod
    def from_weights(cls, kernel: np.ndarray, bias: np.ndarray) -> LstmCell:
        units = bias.shape[0] // 4
        scale = np.full(4 * units, 0.5, np.float32)
        scale[units:2 * units] = 1.0  # j, the cell input, goes through tanh unscaled
        kernel = kernel * scale
        return cls(np.ascontiguousarray(kernel[:-units]), np.ascontiguousarray(kernel[-units:]),
                   bias * scale)

    @property
    def units(self) -> int:
        return self.recurrent_kernel.shape[0]


class LstmGroup:
    """Same-width LSTM cells run side by side over their own inputs (e.g. forward and
    backward directions of two stacks); the state carries over from one ``run`` to the
    next, so a long input can be fed chunk by chunk with exactly the same result."""

    def __init__(self, cells: list[LstmCell]):
        self.cells = cells
        self.units = cells[0].units
        self.recurrent = np.stack([cell.recurrent_kernel for cell in cells])  # [B, u, 4u]
        self.h = np.zeros((len(cells), 1, self.units), np.float32)
        self.c = np.zeros((len(cells), 1, self.units), np.float32)

    def run(self, inputs: list[np.ndarray]) -> np.ndarray:
        """Outputs f32[B, T, u] of each cell over its input f32[T, in_b] (all the same T)."""
        u, steps = self.units, inputs[0].shape[0]
        projected = np.stack([x @ cell.input_kernel + cell.bias
                              for x, cell in zip(inputs, self.cells)])  # [B, T, 4u]
        outputs = np.empty((len(self.cells), steps, u), np.float32)
        h, c, recurrent = self.h, self.c, self.recurrent
        gates = np.empty((len(self.cells), 1, 4 * u), np.float32)
        for t in range(steps):
            np.matmul(h, recurrent, out=gates)
            gates += projected[:, t:t + 1]
            np.tanh(gates, out=gates)
            gates[..., :u] += 1.0  # 2 sig(i); f and o likewise below, halves folded in
            gates[..., 2 * u:] += 1.0
            c *= gates[..., 2 * u:3 * u]
            c += gates[..., :u] * gates[..., u:2 * u]
            c *= 0.5
            h = np.tanh(c) * gates[..., 3 * u:]
            h *= 0.5
            outputs[:, t] = h[:, 0]
        self.h, self.c = h, c
        return outputs


@dataclass(frozen=True)
class Lstm:
    """A (possibly stacked, possibly bidirectional) LSTM: ``layers[k]`` holds the forward
    cell, and the backward one when bidirectional."""

    layers: tuple[tuple[LstmCell, ...], ...]

    @property
    def bidirectional(self) -> bool:
        return len(self.layers[0]) == 2

    @property
    def units(self) -> int:
        return self.layers[0][0].units


class LstmRunner:
    """LSTMs of one width and depth run side by side: the cells (every direction of every
    LSTM) of a layer are stepped together in one batched matmul, or split over the threads
    of ``pool`` (one batch each). The state carries over from one :meth:`run` to the next,
    so a unidirectional LSTM fed chunk by chunk gives exactly its whole-sequence output; a
    bidirectional one must get the whole sequence in one call (it runs it ``chunk`` frames
    at a time, the backward direction from the end)."""

    def __init__(self, lstms: list[Lstm], chunk: int, pool: ThreadPoolExecutor | None = None):
        self.lstms, self.chunk, self.pool = lstms, chunk, pool
        parts = pool._max_workers if pool is not None else 1
        self.groups = []  # per layer: (LstmGroup, the stream indices it runs)
        for k in range(len(lstms[0].layers)):
            cells = [cell for lstm in lstms for cell in lstm.layers[k]]
            split = [list(range(i, len(cells), parts)) for i in range(min(parts, len(cells)))]
            self.groups.append([(LstmGroup([cells[i] for i in part]), part) for part in split])

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """Outputs f32[T, u (x2 when bidirectional)] of each LSTM for inputs f32[T, in]."""
        for k, groups in enumerate(self.groups):
            streams = [x if d == 0 else x[::-1] for lstm, x in zip(self.lstms, inputs)
                       for d in range(len(lstm.layers[k]))]
            steps = streams[0].shape[0]
            out = np.empty((len(streams), steps, groups[0][0].units), np.float32)

            def advance(job: tuple[LstmGroup, list[int]], part: slice) -> None:
                group, indices = job
                out[indices, part] = group.run([streams[i][part] for i in indices])

            for start in range(0, steps, self.chunk):
                part = slice(start, start + self.chunk)
                if self.pool is None or len(groups) == 1:
                    for job in groups:
                        advance(job, part)
                else:
                    list(self.pool.map(advance, groups, [part] * len(groups)))
            inputs, index = [], 0
            for lstm in self.lstms:
                width = len(lstm.layers[k])
                inputs.append(np.concatenate([out[index], out[index + 1][::-1]], axis=1)
                              if width == 2 else out[index])
                index += width
        return inputs
