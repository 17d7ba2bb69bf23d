"""Improv RNN's configs: melodies over a chord progression."""

from __future__ import annotations

import note_seq

from magwidgets.families.event_rnn.config import (
    MELODY_MAX_NOTE,
    MELODY_MIN_NOTE,
    RnnConfig,
    config_table,
    melody_one_hot,
)
from magwidgets.families.melody_rnn.key_melody import FastKeyMelodyEncoderDecoder


def _triad_chords():
    """Improv RNN's chord input: root and triad kind (major/minor/aug/dim) one-hot."""
    return note_seq.OneHotEventSequenceEncoderDecoder(note_seq.TriadChordOneHotEncoding())


CONFIGS = config_table("improv_rnn",
    RnnConfig(
        id="basic_improv",
        description="Basic melody-given-chords RNN with one-hot triad encoding for chords.",
        make_encoder=lambda: note_seq.ConditionalEventSequenceEncoderDecoder(
            _triad_chords(),
            note_seq.OneHotEventSequenceEncoderDecoder(melody_one_hot())),
        transpose_to_key=None,
    ),
    RnnConfig(
        id="attention_improv",
        description="Melody-given-chords RNN with one-hot triad encoding for chords, "
                    "attention, and binary counters.",
        make_encoder=lambda: note_seq.ConditionalEventSequenceEncoderDecoder(
            _triad_chords(),
            FastKeyMelodyEncoderDecoder(min_note=MELODY_MIN_NOTE, max_note=MELODY_MAX_NOTE)),
        default_attention_length=40,
        transpose_to_key=None,
    ),
    RnnConfig(
        id="chord_pitches_improv",
        description="Melody-given-chords RNN with chord pitches encoding.",
        make_encoder=lambda: note_seq.ConditionalEventSequenceEncoderDecoder(
            note_seq.PitchChordsEncoderDecoder(),
            note_seq.OneHotEventSequenceEncoderDecoder(melody_one_hot())),
        transpose_to_key=None,
    ),
)
