"""GANSynth's progressive-GAN generator (Magenta ``networks.generator``, final stage) in NumPy.

Every convolution is Magenta's ``custom_conv2d``: kernel x sqrt(2 / fan_in), + bias, leaky
ReLU (0.2), pixel norm; the weight scale is folded into the kernels once at load time. A 3x3
convolution is one BLAS product over the three column shifts of the padded input, with the
three row shifts summed afterwards; a 3x3 convolution of a nearest-neighbour x2 upscale is
computed on the small image, as four 2x2 convolutions (one per output phase), which does the
same sums in 16 multiply-adds per pixel instead of 36. Each layer is computed in bands of
rows, one per core, or several notes side by side, with single-threaded BLAS (``parallel``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from magwidgets.families.gansynth.parallel import (
    BAND_BYTES,
    blas_single_thread,
    map_notes,
    run_in_bands,
)

f32 = np.ndarray  # annotation alias: a float32 array (shapes in the docstrings)
LEAKY_SLOPE = np.float32(0.2)  # tf.nn.leaky_relu's default
PIXEL_NORM_EPS = np.float32(1.0e-8)
KERNEL = 3  # the generator's square kernel size (Magenta's kernel_size flag)
# For each output phase p (even or odd row/column of the x2 upscale), which 3x3 kernel taps
# fall on padded small-image offsets p and p+1.
_PHASE_TAPS = (((0,), (1, 2)), ((0, 1), (2,)))


def pixel_norm(x: f32) -> f32:
    """Magenta's ``layers.pixel_norm`` over the last axis (in place)."""
    mean_square = np.einsum("...c,...c->...", x, x)[..., np.newaxis] / np.float32(x.shape[-1])
    x *= 1.0 / np.sqrt(mean_square + PIXEL_NORM_EPS)
    return x


def _activate(x: f32, bias: f32) -> f32:
    """bias, leaky ReLU, pixel norm (in place): the tail of every generator convolution."""
    x += bias
    np.maximum(x, x * LEAKY_SLOPE, out=x)
    return pixel_norm(x)


def _gather(x: f32, row_start: int, row_stop: int, offsets: tuple[int, ...]) -> f32:
    """Rows ``row_start:row_stop`` of ``x`` [H, W, C] zero-padded by one on every side, with
    the padded columns ``c + o`` for each o in ``offsets`` side by side in the channel axis:
    [rows, W, len(offsets)*C]. Only the pad cells are zeroed."""
    height, width, channels = x.shape
    out = np.empty((row_stop - row_start, width, len(offsets) * channels), np.float32)
    first, last = max(row_start - 1, 0), min(row_stop - 1, height)  # image rows inside
    top = first - (row_start - 1)
    bottom = top + (last - first)
    out[:top] = 0.0
    out[bottom:] = 0.0
    for slot, offset in enumerate(offsets):
        channels_slice = slice(slot * channels, (slot + 1) * channels)
        low, high = max(0, 1 - offset), min(width, width + 1 - offset)
        out[top:bottom, low:high, channels_slice] = x[first:last,
                                                      low + offset - 1:high + offset - 1]
        out[top:bottom, :low, channels_slice] = 0.0
        out[top:bottom, high:, channels_slice] = 0.0
    return out


class _TapRows:
    """``gather(x, offsets) @ weight`` for padded rows band after band. Output rows
    ``s:e`` need padded rows ``s:e+2``; the two rows a band shares with the next are
    carried over, not computed twice."""

    def __init__(self, x: f32, offsets: tuple[int, ...], weight: f32, rows: int) -> None:
        self.x, self.offsets, self.weight = x, offsets, weight
        self.buffer = np.empty((rows + 2, x.shape[1], weight.shape[1]), np.float32)
        self.end = -1  # padded rows computed so far end here (-1: none yet)
        self.kept = 0  # rows of the last band

    def band(self, start: int, stop: int) -> f32:
        """The taps of padded rows ``start:stop+2``, as ``buffer[0:stop-start+2]``."""
        first = start
        if self.end == start + 2:
            self.buffer[0:2] = self.buffer[self.kept:self.kept + 2]
            first = start + 2
        shifted = _gather(self.x, first, stop + 2, self.offsets)
        target = self.buffer[first - start:stop + 2 - start]
        np.matmul(shifted.reshape(-1, shifted.shape[-1]), self.weight,
                  out=target.reshape(-1, self.weight.shape[1]))
        self.end, self.kept = stop + 2, stop - start
        return self.buffer


def _band_rows(x: f32, columns: int) -> int:
    """Rows per band so that a band's gathered input and taps stay in cache."""
    return max(1, BAND_BYTES // (4 * x.shape[1] * columns))


@dataclass(frozen=True)
class Conv3x3:
    """A 3x3 SAME ``custom_conv2d``: ``weight`` [3*C, 3*K] maps the three column shifts to
    the three row taps; ``bias`` [K]."""

    weight: np.ndarray
    bias: np.ndarray

    @classmethod
    def from_kernel(cls, kernel: np.ndarray, bias: np.ndarray) -> Conv3x3:
        """From Magenta's kernel [3, 3, C, K] (scaled here) and bias [K]."""
        rows, cols, channels, filters = kernel.shape
        scaled = kernel * np.float32(np.sqrt(2.0 / (rows * cols * channels)))
        weight = scaled.transpose(1, 2, 0, 3).reshape(cols * channels, rows * filters)
        return cls(np.ascontiguousarray(weight, dtype=np.float32), bias.astype(np.float32))

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """[H, W, C] -> [H, W, K]; work is split into bands of the input's rows."""
        return (*shape[:2], self.bias.size)

    def rows(self, x: f32, out: f32, start: int, stop: int) -> None:
        """Output rows ``start:stop`` (= input rows) into ``out``."""
        filters = self.bias.size
        step = _band_rows(x, sum(self.weight.shape))
        taps = _TapRows(x, (0, 1, 2), self.weight, min(step, stop - start))
        for first in range(start, stop, step):
            last = min(stop, first + step)
            count, buffer = last - first, taps.band(first, last)
            band = out[first:last]
            np.add(buffer[0:count, :, :filters], buffer[1:count + 1, :, filters:2 * filters],
                   out=band)
            band += buffer[2:count + 2, :, 2 * filters:]
            _activate(band, self.bias)


@dataclass(frozen=True)
class UpConv3x3:
    """Nearest x2 upscale then a 3x3 SAME ``custom_conv2d``, computed on the small image:
    ``weight[q]`` [2*C, 4*K] maps column phase q's two columns to (row phase, row tap)."""

    weight: np.ndarray
    bias: np.ndarray

    @classmethod
    def from_kernel(cls, kernel: np.ndarray, bias: np.ndarray) -> UpConv3x3:
        """From Magenta's kernel [3, 3, C, K] (scaled here) and bias [K]."""
        rows, cols, channels, filters = kernel.shape
        scaled = kernel.astype(np.float64) * np.sqrt(2.0 / (rows * cols * channels))
        weight = np.empty((2, 2 * channels, 2, 2, filters))
        for q, column_taps in enumerate(_PHASE_TAPS):
            for s, col_group in enumerate(column_taps):
                for p, row_taps in enumerate(_PHASE_TAPS):
                    for r, row_group in enumerate(row_taps):
                        tap = scaled[list(row_group)][:, list(col_group)].sum(axis=(0, 1))
                        weight[q, s * channels:(s + 1) * channels, p, r] = tap
        weight = weight.reshape(2, 2 * channels, 4 * filters).astype(np.float32)
        return cls(weight, bias.astype(np.float32))

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """[H, W, C] -> [2H, 2W, K]; work is split into bands of the input's rows."""
        return (2 * shape[0], 2 * shape[1], self.bias.size)

    def rows(self, x: f32, out: f32, start: int, stop: int) -> None:
        """The output rows made from input rows ``start:stop`` (2*start:2*stop) into ``out``."""
        height, width, _ = x.shape
        filters = self.bias.size
        phases = out.reshape(height, 2, width, 2, filters)
        step = _band_rows(x, 2 * sum(self.weight.shape[1:]))
        taps = [_TapRows(x, (q, q + 1), self.weight[q], min(step, stop - start))
                for q in range(2)]
        for first in range(start, stop, step):
            last = min(stop, first + step)
            count = last - first
            for q in range(2):
                buffer = taps[q].band(first, last).reshape(-1, width, 2, 2, filters)
                for p in range(2):
                    np.add(buffer[p:p + count, :, p, 0], buffer[p + 1:p + 1 + count, :, p, 1],
                           out=phases[first:last, p, :, q])
            _activate(out[2 * first:2 * last], self.bias)


def _to_rgb_scale(kernel: np.ndarray) -> np.float32:
    """``to_rgb`` keeps custom_conv2d's default He slope 1: sqrt(1 / fan_in)."""
    return np.float32(np.sqrt(1.0 / np.prod(kernel.shape[:-1])))


@dataclass(frozen=True)
class Generator:
    """The generator of a finished (final-stage) GANSynth: (z, pitch label) -> denormalised
    mel-IF spectrogram. Sizes come from the weight shapes."""

    start_weight: np.ndarray  # [latent + pitches, h*w*K]: block 1's VALID conv on a 1x1 input
    start_bias: np.ndarray  # [K]
    start_shape: tuple[int, int]  # (h, w) of block 1
    layers: tuple  # block 1's conv1, then each later block's (upscale conv0, conv1)
    rgb_weight: np.ndarray  # [C, 2] the last block's to_rgb (scaled)
    rgb_bias: np.ndarray  # [2]
    tanh: bool  # to_rgb activation: tanh (else linear)
    scale: np.ndarray  # [2] denormaliser: spectrogram = (t - offset) / scale per channel
    offset: np.ndarray  # [2]

    @classmethod
    def from_weights(cls, weights: dict[str, np.ndarray], blocks: int, *, tanh: bool,
                     scale: tuple[float, float], offset: tuple[float, float]) -> Generator:
        """From the EMA weights named ``block_<b>/<conv0|conv1|to_rgb>/<kernel|bias>``."""
        first = weights["block_1/conv0/kernel"]
        height, width, inputs, filters = first.shape
        # conv0 of block 1 sees the 1x1 input padded to (2h-1)x(2w-1): output (i, j) is the
        # input times kernel tap (h-1-i, w-1-j), a dense layer with the kernel flipped.
        flipped = first[::-1, ::-1] * np.float32(np.sqrt(2.0 / (height * width * inputs)))
        start = flipped.transpose(2, 0, 1, 3).reshape(inputs, height * width * filters)
        layers: list = [Conv3x3.from_kernel(weights["block_1/conv1/kernel"],
                                            weights["block_1/conv1/bias"])]
        for block in range(2, blocks + 1):
            layers.append(UpConv3x3.from_kernel(weights[f"block_{block}/conv0/kernel"],
                                                weights[f"block_{block}/conv0/bias"]))
            layers.append(Conv3x3.from_kernel(weights[f"block_{block}/conv1/kernel"],
                                              weights[f"block_{block}/conv1/bias"]))
        rgb = weights[f"block_{blocks}/to_rgb/kernel"]
        return cls(np.ascontiguousarray(start, dtype=np.float32),
                   weights["block_1/conv0/bias"].astype(np.float32), (height, width),
                   tuple(layers), (rgb[0, 0] * _to_rgb_scale(rgb)).astype(np.float32),
                   weights[f"block_{blocks}/to_rgb/bias"].astype(np.float32), tanh,
                   np.asarray(scale, dtype=np.float32), np.asarray(offset, dtype=np.float32))

    def _note(self, inputs: f32) -> f32:
        """One note: [latent + pitches] -> [time, mel, 2]."""
        x = pixel_norm(np.array(inputs, dtype=np.float32))
        x = _activate((x @ self.start_weight).reshape(*self.start_shape, -1), self.start_bias)
        with blas_single_thread():
            for layer in self.layers:
                out = np.empty(layer.output_shape(x.shape), dtype=np.float32)
                run_in_bands(partial(layer.rows, x, out), x.shape[0], x.nbytes + out.nbytes)
                x = out
        out = x @ self.rgb_weight + self.rgb_bias
        if self.tanh:
            np.tanh(out, out=out)
        out -= self.offset
        out /= self.scale
        return out

    @property
    def input_size(self) -> int:
        """latent size + number of pitch classes."""
        return self.start_weight.shape[0]

    def __call__(self, inputs: f32) -> f32:
        """[B, latent + pitches] (z then one-hot label) -> [B, time, mel, 2] float32."""
        return np.stack(map_notes(self._note, list(inputs)))
