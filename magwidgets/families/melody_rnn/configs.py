"""Melody RNN's configs: ``basic_rnn``, ``mono_rnn``, ``lookback_rnn``, ``attention_rnn``."""

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

CONFIGS = config_table("melody_rnn",
    RnnConfig(
        id="basic_rnn",
        description="Melody RNN with one-hot encoding.",
        make_encoder=lambda: note_seq.OneHotEventSequenceEncoderDecoder(melody_one_hot()),
    ),
    RnnConfig(
        id="mono_rnn",
        description="Monophonic RNN with one-hot encoding.",
        make_encoder=lambda: note_seq.OneHotEventSequenceEncoderDecoder(
            melody_one_hot(note_seq.MIN_MIDI_PITCH, note_seq.MAX_MIDI_PITCH + 1)),
        min_note=note_seq.MIN_MIDI_PITCH,
        max_note=note_seq.MAX_MIDI_PITCH + 1,
        transpose_to_key=None,
    ),
    RnnConfig(
        id="lookback_rnn",
        description="Melody RNN with lookback encoding.",
        make_encoder=lambda: note_seq.LookbackEventSequenceEncoderDecoder(melody_one_hot()),
    ),
    RnnConfig(
        id="attention_rnn",
        description="Melody RNN with lookback encoding and attention.",
        make_encoder=lambda: FastKeyMelodyEncoderDecoder(
            min_note=MELODY_MIN_NOTE, max_note=MELODY_MAX_NOTE),
        default_attention_length=40,
    ),
)
