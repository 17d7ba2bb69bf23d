"""Drums RNN's configs: ``one_drum`` (every hit is one drum) and ``drum_kit`` (nine drums)."""

from __future__ import annotations

import note_seq

from magwidgets.families.event_rnn.config import RnnConfig, config_table

DRUM_KIT_COUNTER_BITS = 6
ONE_DRUM_DEFAULT_PITCH = 39  # hand clap: what one_drum's single "drum" decodes to


def _one_drum_encoder():
    all_pitches = [ONE_DRUM_DEFAULT_PITCH] + [
        p for p in range(note_seq.MIN_MIDI_PITCH, note_seq.MAX_MIDI_PITCH + 1)
        if p != ONE_DRUM_DEFAULT_PITCH
    ]
    return note_seq.OneHotEventSequenceEncoderDecoder(
        note_seq.MultiDrumOneHotEncoding([all_pitches]))


CONFIGS = config_table("drums_rnn",
    RnnConfig(
        id="one_drum",
        description="Drums RNN with 2-state encoding.",
        make_encoder=_one_drum_encoder,
        steps_per_quarter=2,
    ),
    RnnConfig(
        id="drum_kit",
        description="Drums RNN with multiple drums and binary counters.",
        make_encoder=lambda: note_seq.LookbackEventSequenceEncoderDecoder(
            note_seq.MultiDrumOneHotEncoding(), lookback_distances=[],
            binary_counter_bits=DRUM_KIT_COUNTER_BITS),
        default_attention_length=32,
    ),
)
