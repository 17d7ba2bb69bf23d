"""``HierarchicalLstmDecoder`` (non-autoregressive, as in Magenta's ``hierdec-*`` configs):
a conductor LSTM turns z into one embedding per bar, and a core decoder plays each bar from
its embedding, fed the last step of the bar before. For the trio the core is a
``SplitMultiOutLstmDecoder``: melody, bass and drums decoders that share the embedding."""

from __future__ import annotations

import numpy as np

from magwidgets.engine.lstm import COMPUTE_DTYPE
from magwidgets.families.music_vae.network import (
    Decoder,
    dense,
    initial_state,
    stack_step,
    stacked_cells,
)

_CONDUCTOR = "decoder/hierarchical_level_0/"


class SplitDecoder:
    """Several core decoders (``core_decoder/core_decoder_<i>/decoder``), each sampling its
    own part of the output from the same embedding; records are stacked on a last axis."""

    def __init__(self, weights: dict[str, np.ndarray], count: int):
        self.parts = [Decoder(weights, f"core_decoder/core_decoder_{i}/decoder")
                      for i in range(count)]

    @property
    def output_depths(self) -> list[int]:
        return [part.output_depth for part in self.parts]

    @property
    def z_size(self) -> int:
        return self.parts[0].z_size

    def run(self, z: np.ndarray, length: int, temperature: float, rng: np.random.Generator,
            start: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        starts = (np.split(start, np.cumsum(self.output_depths)[:-1], axis=1)
                  if start is not None else [None] * len(self.parts))
        results = [part.run(z, length, temperature, rng, s)
                   for part, s in zip(self.parts, starts)]
        return (np.stack([records for records, _ in results], axis=-1),
                np.concatenate([last for _, last in results], axis=1))


class HierarchicalDecoder:
    """The conductor (``decoder/hierarchical_level_0``, fed zeros: autoregression disabled)
    over ``core``, one core call of ``bar_steps`` per conductor step."""

    def __init__(self, weights: dict[str, np.ndarray], core: Decoder | SplitDecoder,
                 bar_steps: int):
        self.cells = stacked_cells(weights, _CONDUCTOR)
        if not self.cells:
            raise KeyError(_CONDUCTOR + "cell_0/lstm_cell/kernel")
        self.initial = dense(weights, _CONDUCTOR + "initial_state")
        self.core = core
        self.bar_steps = bar_steps

    @property
    def z_size(self) -> int:
        return self.initial[0].shape[0]

    def __call__(self, z: np.ndarray, length: int, temperature: float,
                 rng: np.random.Generator) -> np.ndarray:
        """Sampled outputs for ``length`` steps (a whole number of bars)."""
        state = initial_state(z, self.initial, self.cells)
        zeros = np.zeros((z.shape[0], 1), COMPUTE_DTYPE)
        bars, last = [], None
        for _ in range(length // self.bar_steps):
            embedding = stack_step(self.cells, zeros, state)
            records, last = self.core.run(embedding, self.bar_steps, temperature, rng, last)
            bars.append(records)
        return np.concatenate(bars, axis=1)
