"""MusicVAE training examples: the engine's own data converter for the config, so training
and inference read music the same way.

Melody, drums and trio configs: the converter's distinct input windows, each with its decoder
targets: class indices [T] (melody event; drum-set class of the 2^classes), [T, 3] for trio
(melody, bass, drums), or the multi-hot drum roll [T, classes] for NADE decoders. GrooVAE:
the converter's (input, target) pair of [T, 27] hit / velocity / offset windows, hop one
window; the input leaves out what the config must learn to add (humanize: velocities and
offsets; tap: all but one tapped channel). Every window is kept: Magenta's cap of 20 per
sequence never bites in its own training, on TFDS's Groove set already cut into 2-bar
sequences. No augmentation here (Magenta transposes
cat-mel examples by -5..+5 at random while training, which the trainer can do on the
one-hot tensors).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
from note_seq import sequences_lib
from note_seq.protobuf import music_pb2

from magwidgets.families.music_vae.assemble import make_converter
from magwidgets.families.music_vae.configs import VAEConfig
from magwidgets.families.music_vae.converters import (
    DrumsConverter,
    ExtractionFailure,
    GrooveConverter,
)
from magwidgets.train.data.examples import Example, SparseRows
from magwidgets.train.data.extract import Tally

GROOVE_TOO_SHORT = "shorter than one window"


class VaePipeline:
    """Turns one piece into (input window, target window) examples for a MusicVAE config."""

    index_inputs = False  # inputs are always rows of floats

    def __init__(self, config: VAEConfig) -> None:
        self.config = config
        self.converter = make_converter(config)
        self.input_size = self.converter.input_depth
        self.output_size = self.converter.output_depth

    def __call__(self, sequence: music_pb2.NoteSequence, training: bool,
                 tally: Tally) -> Iterator[tuple[Example, bool]]:
        """(example, augmented?) for each window; never augmented."""
        if isinstance(self.converter, GrooveConverter):
            yield from ((example, False) for example in self._groove(sequence, tally))
            return
        for part in sequences_lib.split_note_sequence_on_time_changes(sequence):
            if not part.notes:
                continue
            try:  # part by part, so that each reason is counted on its own
                windows = self.converter.to_tensors(part)
            except ExtractionFailure as failure:
                tally.drop(str(failure))
                continue
            for window in windows:
                yield Example(SparseRows(window.inputs), self._targets(window.inputs)), False

    def _targets(self, window: np.ndarray) -> np.ndarray:
        """The decoder's targets for an input window, as Magenta's converters pair them."""
        converter = self.converter
        if isinstance(converter, DrumsConverter):  # roll bits (+ NOR bit) in
            roll = window[:, :-1]
            if converter.roll_output:
                return roll.astype(np.float32)
            return np.array([converter.one_hot.encode_event(frozenset(
                np.flatnonzero(row).tolist())) for row in roll], np.int32)
        depths = getattr(converter, "output_depths", [converter.output_depth])
        blocks = np.split(window, np.cumsum(depths)[:-1], axis=1)  # one-hot part(s)
        indices = np.stack([block.argmax(axis=1) for block in blocks], axis=1).astype(np.int32)
        return indices[:, 0] if len(depths) == 1 else indices

    def _groove(self, sequence: music_pb2.NoteSequence, tally: Tally) -> list[Example]:
        converter, size = self.converter, self.converter.slice_steps
        examples = []
        for part in sequences_lib.split_note_sequence_on_time_changes(sequence):
            if not part.notes:
                continue
            try:
                inputs, targets = converter.full_tensors(part)
            except ExtractionFailure as failure:
                tally.drop(str(failure))
                continue
            starts = range(0, len(inputs) - size + 1, size)
            if not starts:
                tally.drop(f"{GROOVE_TOO_SHORT} ({converter.slice_bars} bars)")
            examples.extend(Example(inputs[i:i + size].astype(np.float32),
                                    targets[i:i + size].astype(np.float32)) for i in starts)
        return examples
