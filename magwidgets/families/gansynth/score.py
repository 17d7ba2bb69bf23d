"""Playing a score with GANSynth as ``gansynth_generate --midi_file`` does (Magenta's
``generate_util``): notes in note-seq's read order, instruments spaced evenly in time, each
note's latent a spherical interpolation between its two neighbouring instruments, and the
notes enveloped, normalised and mixed.

Magenta's quirks that change the sound are kept: the clip's length is taken from the *last
note read* (not the latest), so later notes extrapolate past the last instrument; each note is
divided by its maximum (not its absolute maximum); the mix is cut to whole seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from note_seq.protobuf import music_pb2

from magwidgets.errors import GenerationError

MIN_SCORE_PITCH = 36  # load_midi's window (inclusive); the model itself plays 24..84
MAX_SCORE_PITCH = 84
FIRST_INSTRUMENT_TIME = -0.0001  # seconds: get_random_instruments' first instrument
MAX_NOTE_SECONDS = 3.0  # longer notes are cut to this (MAX_NOTE_LENGTH)
MAX_VELOCITY = 127.0
ATTACK_SECONDS = 0.010
RELEASE_SECONDS = 0.3


@dataclass(frozen=True)
class ScoreNotes:
    """The notes Magenta's ``load_midi`` keeps, in the sequence's order."""

    pitches: np.ndarray
    velocities: np.ndarray
    start_times: np.ndarray
    end_times: np.ndarray

    @property
    def total_time(self) -> float:
        """Magenta's clip time: the end of the last note in read order."""
        return float(self.end_times[-1])


def score_notes(sequence: music_pb2.NoteSequence, label: str) -> ScoreNotes:
    """``load_midi``'s notes: those with pitch 36..84, in order; ``label`` names the score
    in errors."""
    notes = list(sequence.notes)
    pitches = np.array([n.pitch for n in notes], dtype=np.int64)
    keep = (pitches >= MIN_SCORE_PITCH) & (pitches <= MAX_SCORE_PITCH)
    if not keep.any():
        found = f"pitches {sorted(set(pitches.tolist()))}" if notes else "no notes"
        raise GenerationError(f"{label}: no note with a pitch in {MIN_SCORE_PITCH}.."
                              f"{MAX_SCORE_PITCH} (what GANSynth plays from a score); "
                              f"it has {found}")
    columns = [np.array([getattr(n, field) for n in notes])[keep]
               for field in ("velocity", "start_time", "end_time")]
    return ScoreNotes(pitches[keep], *columns)


def instrument_count(total_time: float, seconds_per_instrument: float) -> int:
    """``get_random_instruments``' count, int(total / seconds), refused below two (where
    Magenta fails: an IndexError for none, NaN latents for one)."""
    if not seconds_per_instrument > 0:
        raise GenerationError(f"seconds_per_instrument must be > 0, got {seconds_per_instrument}")
    count = int(total_time / seconds_per_instrument)
    if count < 2:
        raise GenerationError(
            f"the score lasts {total_time:g} s (the end of its last note in read order), "
            f"shorter than two instruments of {seconds_per_instrument:g} s; use "
            f"seconds_per_instrument <= {total_time / 2:g}")
    return count


def instrument_times(total_time: float, count: int) -> np.ndarray:
    """The instruments' times, evenly from just before 0 to the clip time."""
    return np.linspace(FIRST_INSTRUMENT_TIME, total_time, count)


def slerp(start: np.ndarray, end: np.ndarray, t: float) -> np.ndarray:
    """Magenta's spherical linear interpolation (float64; t outside 0..1 extrapolates)."""
    omega = np.arccos(np.dot(np.squeeze(start / np.linalg.norm(start)),
                             np.squeeze(end / np.linalg.norm(end))))
    sin_omega = np.sin(omega)
    return np.sin((1.0 - t) * omega) / sin_omega * start + np.sin(t * omega) / sin_omega * end


def note_latents(start_times: np.ndarray, z_instruments: np.ndarray,
                 times: np.ndarray) -> np.ndarray:
    """``get_z_notes``: each note's z between the instruments around its start."""
    latents = []
    for t in start_times:
        index = int(np.searchsorted(times, t, side="left")) - 1
        if index == times.size - 1:  # past the last instrument: extrapolate the last pair
            index -= 1
        fraction = (t - times[index]) / (times[index + 1] - times[index])
        latents.append(slerp(z_instruments[index], z_instruments[index + 1], fraction))
    return np.vstack(latents)


def envelope(seconds: float, sample_rate: int) -> np.ndarray:
    """``get_envelope``: linear 10 ms attack, sustain, linear 0.3 s release after the note."""
    sustain = int(sample_rate * min(seconds, MAX_NOTE_SECONDS))
    attack, release = int(sample_rate * ATTACK_SECONDS), int(sample_rate * RELEASE_SECONDS)
    shape = np.ones(sustain + release)
    shape[:attack] = np.linspace(0.0, 1.0, attack)
    shape[sustain:sustain + release] = np.linspace(1.0, 0.0, release)
    return shape


def combine_notes(audio_notes: np.ndarray, notes: ScoreNotes, sample_rate: int) -> np.ndarray:
    """``combine_notes``: each note enveloped, divided by its maximum, scaled by velocity,
    added at its start; the mix divided by its maximum and by 2 (float64)."""
    seconds = int(notes.end_times.max() + MAX_NOTE_SECONDS)
    clip = np.zeros(seconds * sample_rate)
    for audio, start, end, velocity in zip(audio_notes, notes.start_times, notes.end_times,
                                           notes.velocities):
        shape = envelope(end - start, sample_rate)
        note = audio[:len(shape)] * shape
        note /= note.max()
        note *= velocity / MAX_VELOCITY
        first = int(start * sample_rate)
        clip[first:first + len(shape)] += note
    clip /= clip.max()
    clip /= 2.0
    return clip
