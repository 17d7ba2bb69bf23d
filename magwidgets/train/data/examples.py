"""Training examples, stored compactly, and padding them into batches.

Most encoder inputs are one-hot rows (259 wide for polyphony, 518 for drum_kit), so a data
set held as dense float32 would take gigabytes. ``SparseRows`` keeps only the non-zero
entries; ``np.asarray(rows)`` gives the dense float32 array back.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np


class SparseRows:
    """A [length, width] float32 matrix kept as its non-zero entries."""

    __slots__ = ("shape", "_rows", "_cols", "_values")
    dtype = np.dtype(np.float32)

    def __init__(self, dense: np.ndarray) -> None:
        dense = np.asarray(dense, dtype=np.float32)
        self.shape = dense.shape
        index_type = np.min_scalar_type(max(self.shape))  # uint16 for any real example
        self._rows, self._cols = (index.astype(index_type) for index in np.nonzero(dense))
        self._values = dense[self._rows, self._cols]

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        dense = np.zeros(self.shape, dtype=dtype or np.float32)
        dense[self._rows, self._cols] = self._values
        return dense


class Example(NamedTuple):
    """One training sequence: ``inputs`` [T, input_size] (``np.asarray`` gives float32;
    int [T] for index-input configs) and ``targets`` (event-RNN: the next-event class
    labels, int [T]; MusicVAE: the decoder's targets, class indices [T] or GrooVAE's
    [T, 27] hits/velocities/offsets)."""

    inputs: SparseRows | np.ndarray
    targets: np.ndarray


def pad_batch(examples: Sequence[Example], length: int | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(inputs, targets, mask) padded with zeros to ``length`` steps (default: the longest);
    ``mask`` is 1.0 on real steps. Longer examples are cut to ``length``."""
    length = length or max(len(example.targets) for example in examples)
    inputs = [np.asarray(example.inputs)[:length] for example in examples]
    targets = [np.asarray(example.targets)[:length] for example in examples]
    batch_inputs = np.zeros((len(examples), length, *inputs[0].shape[1:]), inputs[0].dtype)
    batch_targets = np.zeros((len(examples), length, *targets[0].shape[1:]), targets[0].dtype)
    mask = np.zeros((len(examples), length), np.float32)
    for row, (x, y) in enumerate(zip(inputs, targets)):
        batch_inputs[row, :len(x)] = x
        batch_targets[row, :len(y)] = y
        mask[row, :len(y)] = 1.0
    return batch_inputs, batch_targets, mask
