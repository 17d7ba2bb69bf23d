"""Magenta's event-RNN configs, keyed by the generator id written into ``.mag`` bundles.

Each entry states what Magenta's config of the same id states: the note-seq encoder, the
quantization resolution, the default attention length and, for melodies, the pitch range
and the key melodies are transposed into.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

import note_seq

from magwidgets.models.key_melody import FastKeyMelodyEncoderDecoder
from magwidgets.models.performance_controls import SETTINGS as PERFORMANCE_SETTINGS
from magwidgets.models.performance_controls import performance_encoder
from magwidgets.models.polyphony_encoding import PolyphonyOneHotEncoding

DEFAULT_STEPS_PER_QUARTER = 4  # sixteenth notes
MELODY_MIN_NOTE = 48  # inclusive, C3
MELODY_MAX_NOTE = 84  # exclusive, C6
MELODY_TRANSPOSE_TO_KEY = 0  # C major / A minor
DRUM_KIT_COUNTER_BITS = 6
ONE_DRUM_DEFAULT_PITCH = 39  # hand clap: what one_drum's single "drum" decodes to


@dataclass(frozen=True)
class RnnConfig:
    """An event-RNN configuration (the non-trainable part of a model)."""

    id: str
    family: str  # "drums_rnn", "melody_rnn", "polyphony_rnn", "improv_rnn", ...
    description: str
    make_encoder: Callable[[], Any]
    steps_per_quarter: int = DEFAULT_STEPS_PER_QUARTER
    default_attention_length: int = 0
    min_note: int = MELODY_MIN_NOTE
    max_note: int = MELODY_MAX_NOTE
    transpose_to_key: int | None = MELODY_TRANSPOSE_TO_KEY


def _one_drum_encoder():
    all_pitches = [ONE_DRUM_DEFAULT_PITCH] + [
        p for p in range(note_seq.MIN_MIDI_PITCH, note_seq.MAX_MIDI_PITCH + 1)
        if p != ONE_DRUM_DEFAULT_PITCH
    ]
    return note_seq.OneHotEventSequenceEncoderDecoder(
        note_seq.MultiDrumOneHotEncoding([all_pitches]))


def _melody_one_hot(min_note: int = MELODY_MIN_NOTE, max_note: int = MELODY_MAX_NOTE):
    return note_seq.MelodyOneHotEncoding(min_note=min_note, max_note=max_note)


def _triad_chords():
    """Improv RNN's chord input: root and triad kind (major/minor/aug/dim) one-hot."""
    return note_seq.OneHotEventSequenceEncoderDecoder(note_seq.TriadChordOneHotEncoding())


CONFIGS: dict[str, RnnConfig] = {
    config.id: config
    for config in (
        RnnConfig(
            id="one_drum",
            family="drums_rnn",
            description="Drums RNN with 2-state encoding.",
            make_encoder=_one_drum_encoder,
            steps_per_quarter=2,
        ),
        RnnConfig(
            id="drum_kit",
            family="drums_rnn",
            description="Drums RNN with multiple drums and binary counters.",
            make_encoder=lambda: note_seq.LookbackEventSequenceEncoderDecoder(
                note_seq.MultiDrumOneHotEncoding(), lookback_distances=[],
                binary_counter_bits=DRUM_KIT_COUNTER_BITS),
            default_attention_length=32,
        ),
        RnnConfig(
            id="basic_rnn",
            family="melody_rnn",
            description="Melody RNN with one-hot encoding.",
            make_encoder=lambda: note_seq.OneHotEventSequenceEncoderDecoder(_melody_one_hot()),
        ),
        RnnConfig(
            id="mono_rnn",
            family="melody_rnn",
            description="Monophonic RNN with one-hot encoding.",
            make_encoder=lambda: note_seq.OneHotEventSequenceEncoderDecoder(
                _melody_one_hot(note_seq.MIN_MIDI_PITCH, note_seq.MAX_MIDI_PITCH + 1)),
            min_note=note_seq.MIN_MIDI_PITCH,
            max_note=note_seq.MAX_MIDI_PITCH + 1,
            transpose_to_key=None,
        ),
        RnnConfig(
            id="lookback_rnn",
            family="melody_rnn",
            description="Melody RNN with lookback encoding.",
            make_encoder=lambda: note_seq.LookbackEventSequenceEncoderDecoder(_melody_one_hot()),
        ),
        RnnConfig(
            id="attention_rnn",
            family="melody_rnn",
            description="Melody RNN with lookback encoding and attention.",
            make_encoder=lambda: FastKeyMelodyEncoderDecoder(
                min_note=MELODY_MIN_NOTE, max_note=MELODY_MAX_NOTE),
            default_attention_length=40,
        ),
        RnnConfig(
            id="polyphony",
            family="polyphony_rnn",
            description="Polyphonic RNN",
            make_encoder=lambda: note_seq.OneHotEventSequenceEncoderDecoder(
                PolyphonyOneHotEncoding()),
        ),
        RnnConfig(
            id="basic_improv",
            family="improv_rnn",
            description="Basic melody-given-chords RNN with one-hot triad encoding for chords.",
            make_encoder=lambda: note_seq.ConditionalEventSequenceEncoderDecoder(
                _triad_chords(),
                note_seq.OneHotEventSequenceEncoderDecoder(_melody_one_hot())),
            transpose_to_key=None,
        ),
        RnnConfig(
            id="attention_improv",
            family="improv_rnn",
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
            family="improv_rnn",
            description="Melody-given-chords RNN with chord pitches encoding.",
            make_encoder=lambda: note_seq.ConditionalEventSequenceEncoderDecoder(
                note_seq.PitchChordsEncoderDecoder(),
                note_seq.OneHotEventSequenceEncoderDecoder(_melody_one_hot())),
            transpose_to_key=None,
        ),
    )
}

# Performance RNN (``performance_rnn``): time steps of 10 ms, not quarters; the settings
# (velocity bins, encoding, control signals) live in ``performance_controls``.
CONFIGS.update(
    (config_id, RnnConfig(id=config_id, family="performance_rnn",
                          description=settings.description,
                          make_encoder=functools.partial(performance_encoder, config_id),
                          transpose_to_key=None))
    for config_id, settings in PERFORMANCE_SETTINGS.items())
