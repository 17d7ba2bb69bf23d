"""The Onsets and Frames network as frozen arrays, built from canonical weights (sizes from
their shapes), and its two halves: the convolutional acoustic stacks, which see one chunk
of frames at a time, and the LSTMs, which carry their state from chunk to chunk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from magwidgets.errors import BundleError
from magwidgets.families.onsets_frames.layers import (
    Conv,
    Dense,
    Lstm,
    LstmCell,
    Workspace,
    concat_convs,
    conv_relu,
    max_pool,
    sigmoid,
)
from magwidgets.families.onsets_frames.mel import N_MELS

POOL_SIZES = (1, 2, 2)  # Magenta's pool_sizes: max-pool frequency after conv1 and conv2
PITCHES = 88  # MIDI 21..108, pitch index 0 = MIDI 21
LSTM_STACKS = ("onsets", "offsets")  # stacks whose fc_end feeds an LSTM before the head


@dataclass(frozen=True)
class Stack:
    """One acoustic stack: convolutions then ``fc_end`` (dense + ReLU)."""

    convs: tuple[Conv, ...]
    fc: Dense


@dataclass(frozen=True)
class Network:
    """All of Onsets and Frames' weights, laid out for NumPy at load time."""

    stacks: dict[str, Stack]  # onsets, offsets (absent in Magenta.js's uni), velocity, frame
    first_conv: Conv  # every stack's conv0 side by side: they all read the mel
    lstms: dict[str, Lstm]  # onsets, offsets, frame (the combined LSTM)
    heads: dict[str, Dense]  # onsets, offsets, velocity, activation, frame

    @property
    def bidirectional(self) -> bool:
        return self.lstms["frame"].bidirectional

    @property
    def has_offsets(self) -> bool:
        return "offsets" in self.stacks

    @property
    def context(self) -> int:
        """Frames each side that the convolutions see: chunks overlap by this much."""
        return sum(conv.padding[0] for conv in self.stacks["frame"].convs)

    @property
    def parameter_count(self) -> int:
        """Number of weights (BatchNorm statistics folded, so a little below Magenta's)."""
        arrays = [self.first_conv.kernel, self.first_conv.bias]
        for stack in self.stacks.values():
            arrays += [a for c in stack.convs[1:] for a in (c.kernel, c.bias)]
            arrays += [stack.fc.kernel, stack.fc.bias]
        for lstm in self.lstms.values():
            arrays += [a for layer in lstm.layers for cell in layer
                       for a in (cell.input_kernel, cell.recurrent_kernel, cell.bias)]
        arrays += [a for head in self.heads.values() for a in (head.kernel, head.bias)]
        return int(sum(a.size for a in arrays))

    def acoustic(self, mel: np.ndarray, pad: tuple[bool, bool],
                 workspace: Workspace) -> dict[str, np.ndarray]:
        """The conv stacks on a chunk of mel f32[T, 229]: fc_end outputs of the LSTM stacks,
        the velocity values and the activation probabilities, each f32[T', n]. ``pad``
        says which ends are the recording's (zero padded, as Magenta's SAME convolutions);
        any other end carries :attr:`context` frames that are used up (T' = T less them)."""
        names = list(self.stacks)
        first = conv_relu(mel[:, :, None], self.first_conv, pad, workspace, name="first")
        width = first.shape[2] // len(names)
        out = {}
        for index, name in enumerate(names):
            stack = self.stacks[name]
            x = max_pool(first[:, :, index * width:(index + 1) * width], stack.convs[0].pool)
            for conv in stack.convs[1:]:
                x = max_pool(conv_relu(x, conv, pad, workspace), conv.pool)
            fc = stack.fc(x.reshape(x.shape[0], -1))
            np.maximum(fc, 0.0, out=fc)
            out[name] = fc
        out["velocity"] = self.heads["velocity"](out["velocity"])
        out["activation"] = sigmoid(self.heads["activation"](out.pop("frame")))
        return out


def _conv_stack(weights: dict[str, np.ndarray], stack: str, source: Path) -> Stack:
    convs = []
    bins = N_MELS
    layer = 0
    while f"{stack}/conv{layer}/kernel" in weights:
        base = f"{stack}/conv{layer}"
        kernel = weights[f"{base}/kernel"]
        if kernel.ndim != 4 or kernel.shape[0] % 2 == 0 or kernel.shape[1] % 2 == 0:
            raise BundleError(f"{source}: {base}/weights has shape {kernel.shape}; expected "
                              "[time, frequency, in, out] with odd kernel sizes")
        pool = POOL_SIZES[layer] if layer < len(POOL_SIZES) else 1
        convs.append(Conv.from_weights(kernel, weights[f"{base}/beta"],
                                       weights[f"{base}/moving_mean"],
                                       weights[f"{base}/moving_variance"], pool))
        bins //= pool
        layer += 1
    fc = Dense(weights[f"{stack}/fc_end/kernel"], weights[f"{stack}/fc_end/bias"])
    flat = bins * convs[-1].channels
    if fc.kernel.shape[0] != flat:
        raise BundleError(f"{source}: {stack}/fc_end/weights has {fc.kernel.shape[0]} inputs; "
                          f"the convolutions give {flat} (pool sizes {list(POOL_SIZES)} over "
                          f"{N_MELS} mel bins), so the checkpoint's pool sizes are not Magenta's "
                          "default")
    return Stack(tuple(convs), fc)


def _lstm(weights: dict[str, np.ndarray], stack: str, inputs: int, source: Path) -> Lstm:
    layers = []
    while f"{stack}/lstm{len(layers)}/fw/kernel" in weights:
        base = f"{stack}/lstm{len(layers)}"
        cells = tuple(LstmCell.from_weights(weights[f"{base}/{d}/kernel"],
                                            weights[f"{base}/{d}/bias"])
                      for d in ("fw", "bw") if f"{base}/{d}/kernel" in weights)
        expected = inputs + cells[0].units
        if weights[f"{base}/fw/kernel"].shape[0] != expected:
            raise BundleError(f"{source}: the {stack} LSTM layer {len(layers)} kernel has "
                              f"{weights[f'{base}/fw/kernel'].shape[0]} rows; expected "
                              f"{expected} (inputs + units)")
        layers.append(cells)
        inputs = cells[0].units * len(cells)
    if not layers:
        raise BundleError(f"{source}: the '{stack}' stack has no LSTM; magwidgets runs "
                          "Onsets and Frames with onset, offset and combined LSTMs")
    return Lstm(tuple(layers))


def build_network(weights: dict[str, np.ndarray], source: Path) -> Network:
    """The network of canonical weights (``checkpoint.canonical_weights``).

    Raises:
        BundleError: shapes that do not fit together.
    """
    names = [s for s in ("onsets", "offsets", "velocity", "frame")
             if f"{s}/conv0/kernel" in weights]
    stacks = {name: _conv_stack(weights, name, source) for name in names}
    sizes = {(s.convs[0].size, s.convs[0].pool) for s in stacks.values()}
    if len(sizes) != 1:
        raise BundleError(f"{source}: the stacks' first convolutions differ in size")
    heads = {"onsets": "onsets/head", "offsets": "offsets/head", "velocity": "velocity/head",
             "activation": "frame/activation", "frame": "frame/head"}
    dense = {key: Dense(weights[f"{name}/kernel"], weights[f"{name}/bias"])
             for key, name in heads.items() if f"{name}/kernel" in weights}
    lstms = {name: _lstm(weights, name, stacks[name].fc.kernel.shape[1], source)
             for name in LSTM_STACKS if name in stacks}
    combined = PITCHES * (3 if "offsets" in stacks else 2)
    lstms["frame"] = _lstm(weights, "frame", combined, source)
    for key, head in dense.items():
        if head.kernel.shape[1] != PITCHES:
            raise BundleError(f"{source}: the {key} head has {head.kernel.shape[1]} outputs; "
                              f"expected {PITCHES} piano keys")
    return Network(stacks, concat_convs([s.convs[0] for s in stacks.values()]), lstms, dense)
