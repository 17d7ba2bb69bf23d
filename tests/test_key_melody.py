"""The fast key-melody encoder gives exactly note-seq's input vectors."""

from __future__ import annotations

import random

import note_seq
import pytest

from magwidgets.families.melody_rnn.key_melody import FastKeyMelodyEncoderDecoder


@pytest.mark.parametrize("lookback_distances", [None, [], [8]])
def test_same_vectors_as_note_seq_at_every_position(lookback_distances):
    ranges = dict(min_note=48, max_note=84, lookback_distances=lookback_distances)
    reference = note_seq.KeyMelodyEncoderDecoder(**ranges)
    fast = FastKeyMelodyEncoderDecoder(**ranges)
    generator = random.Random(0)
    for _ in range(40):
        length = generator.randint(1, 70)
        pitches = generator.sample(range(48, 84), generator.randint(1, 8))
        melody = note_seq.Melody([generator.choice(pitches + [-2, -2, -1]) for _ in range(length)])
        for position in range(length):
            assert fast.events_to_input(melody, position) == \
                reference.events_to_input(melody, position), (list(melody), position)
    assert fast.get_inputs_batch([melody], full_length=True) == \
        reference.get_inputs_batch([melody], full_length=True)
