"""The builtin synthesizer: NumPy tones and drums, so music is heard without FluidSynth.

Pitched notes are additive harmonic tones whose upper harmonics fade faster than the
fundamental (harmonic k decays with time constant tau / k) and settle to a sustain level
while held; the GM program picks one of three timbres (struck, bass, held). Drum notes
(``is_drum``) play one of the 9 Magenta drum classes as a pitch-swept sine plus decaying
noise. The sustain pedal (control 64) lengthens notes, as ``note_seq`` applies it; pitch
bends and other controls are ignored.

Each voice is computed ``BLOCK_SAMPLES`` at a time and added into the caller's buffer, so
working memory does not grow with the length of a note or of the piece. Noise comes from a
fixed seed: the same sequence always gives the same samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

import numpy as np
from note_seq import sequences_lib
from note_seq.drums_encoder_decoder import DEFAULT_DRUM_TYPE_PITCHES
from note_seq.protobuf import music_pb2

BLOCK_SAMPLES = 1 << 16  # samples of one voice computed at once (bounds working memory)
NOISE_SEED = 0
SUSTAIN_CONTROL = 64  # MIDI control number of the sustain (damper) pedal
MIN_VELOCITY, MAX_VELOCITY = 1, 127  # inclusive
VELOCITY_EXPONENT = 2.0  # amplitude = (velocity / 127) ** 2, about 40 dB over the range
A4_PITCH, A4_HZ = 69, 440.0
SEMITONES_PER_OCTAVE = 12
DECAY_REFERENCE_PITCH = 60  # timbre decay times are given for middle C ...
DECAY_HALVING_SEMITONES = 24  # ... and halve every two octaves up
ATTACK_SECONDS = 0.005  # linear fade-in of pitched notes, against clicks
RELEASE_SECONDS = 0.12  # linear fade-out after the (pedal-extended) note end
DRUM_SILENCE_TIME_CONSTANTS = 6.9  # a drum voice stops after this many decays (-60 dB)
GM_FAMILY_SIZE = 8  # General MIDI groups programs in families of 8


@dataclass(frozen=True)
class Timbre:
    """How a pitched note sounds: harmonic amplitudes and envelope."""

    harmonics: tuple[float, ...]  # amplitude of harmonics 1, 2, 3 ...
    decay_seconds: float  # decay time constant of the fundamental at middle C
    sustain: float  # level (0..1) the tone settles to while the note is held


STRUCK = Timbre((1.0, 0.5, 0.3, 0.2, 0.12, 0.08), decay_seconds=0.9, sustain=0.1)
BASS = Timbre((1.0, 0.7, 0.3, 0.12), decay_seconds=0.7, sustain=0.25)
HELD = Timbre((1.0, 0.45, 0.3, 0.18, 0.1, 0.06), decay_seconds=0.5, sustain=0.6)
# GM families (program // 8) that sound struck or plucked: piano, chromatic percussion,
# guitar, ethnic, percussive; bass is its own; every other family is held (organ, strings ...).
TIMBRE_BY_FAMILY = {0: STRUCK, 1: STRUCK, 3: STRUCK, 4: BASS, 13: STRUCK, 14: STRUCK}


@dataclass(frozen=True)
class DrumVoice:
    """One drum class: a sine swept from ``start_hz`` to ``end_hz`` plus decaying noise."""

    start_hz: float
    end_hz: float
    sweep_seconds: float  # time constant of the pitch sweep
    tone_decay_seconds: float
    tone_level: float
    noise_decay_seconds: float
    noise_level: float
    noise_hz: float  # noise is smoothed over 1 / noise_hz seconds (a low-pass); 0: full band
    brightness: float  # share of differentiated (high-passed) noise, 0..1

    @property
    def seconds(self) -> float:
        """How long the hit rings before it is inaudible."""
        return DRUM_SILENCE_TIME_CONSTANTS * max(self.tone_decay_seconds, self.noise_decay_seconds)


# In the order of note_seq's DEFAULT_DRUM_TYPE_PITCHES (Magenta's 9 drum classes).
DRUM_VOICES = (
    DrumVoice(150.0, 50.0, 0.04, 0.18, 1.0, 0.01, 0.3, 2000.0, 0.0),  # kick
    DrumVoice(220.0, 180.0, 0.02, 0.06, 0.45, 0.09, 0.8, 6000.0, 0.0),  # snare
    DrumVoice(0.0, 0.0, 1.0, 0.0, 0.0, 0.025, 0.6, 0.0, 1.0),  # closed hi-hat
    DrumVoice(0.0, 0.0, 1.0, 0.0, 0.0, 0.22, 0.5, 0.0, 1.0),  # open hi-hat
    DrumVoice(130.0, 90.0, 0.08, 0.25, 0.9, 0.02, 0.2, 3000.0, 0.0),  # low tom
    DrumVoice(180.0, 125.0, 0.08, 0.22, 0.9, 0.02, 0.2, 3000.0, 0.0),  # mid tom
    DrumVoice(240.0, 170.0, 0.08, 0.2, 0.9, 0.02, 0.2, 3000.0, 0.0),  # high tom
    DrumVoice(0.0, 0.0, 1.0, 0.0, 0.0, 0.6, 0.5, 0.0, 0.8),  # crash cymbal
    DrumVoice(3200.0, 3200.0, 1.0, 0.4, 0.12, 0.45, 0.35, 0.0, 0.9),  # ride cymbal
)
SNARE_CLASS = 1  # drum pitches outside every class play as a snare
DRUM_CLASS_BY_PITCH = {
    pitch: drum_class
    for drum_class, pitches in enumerate(DEFAULT_DRUM_TYPE_PITCHES)
    for pitch in pitches
}


def render_builtin(sequence: music_pb2.NoteSequence, sample_rate: int, out: np.ndarray) -> None:
    """Add the sound of ``sequence`` into ``out`` (float32, ``sample_rate`` Hz, from time 0).

    Sound past the end of ``out`` is dropped. The result is not normalised.
    """
    rng = np.random.default_rng(NOISE_SEED)
    for note in sorted(_with_sustain(sequence).notes, key=lambda n: (n.start_time, n.pitch)):
        start = round(note.start_time * sample_rate)
        if start >= len(out):
            break
        velocity = min(max(note.velocity, MIN_VELOCITY), MAX_VELOCITY)
        gain = (velocity / MAX_VELOCITY) ** VELOCITY_EXPONENT
        sound: Callable[[np.ndarray], np.ndarray]
        if note.is_drum:
            voice = DRUM_VOICES[DRUM_CLASS_BY_PITCH.get(note.pitch, SNARE_CLASS)]
            stop = start + round(voice.seconds * sample_rate)
            sound = partial(_drum, voice, sample_rate=sample_rate, rng=rng)
        elif note.end_time >= note.start_time:
            stop = round((note.end_time + RELEASE_SECONDS) * sample_rate)
            held = note.end_time - note.start_time
            sound = partial(_tone, note.pitch, _timbre(note.program), held, sample_rate=sample_rate)
        else:
            continue
        for first in range(start, min(stop, len(out)), BLOCK_SAMPLES):
            last = min(first + BLOCK_SAMPLES, stop, len(out))
            out[first:last] += gain * sound(np.arange(first - start, last - start) / sample_rate)


def _with_sustain(sequence: music_pb2.NoteSequence) -> music_pb2.NoteSequence:
    """``sequence`` with notes held on while the sustain pedal is down."""
    if not any(cc.control_number == SUSTAIN_CONTROL for cc in sequence.control_changes):
        return sequence
    unquantized = music_pb2.NoteSequence()
    unquantized.CopyFrom(sequence)
    unquantized.ClearField("quantization_info")  # times are kept; note_seq refuses steps here
    return sequences_lib.apply_sustain_control_changes(unquantized, SUSTAIN_CONTROL)


def _timbre(program: int) -> Timbre:
    return TIMBRE_BY_FAMILY.get(program // GM_FAMILY_SIZE, HELD)


def _tone(
    pitch: int, timbre: Timbre, held: float, seconds: np.ndarray, sample_rate: int
) -> np.ndarray:
    """A harmonic tone at ``seconds`` after its onset, held ``held`` seconds then released."""
    hz = A4_HZ * 2.0 ** ((pitch - A4_PITCH) / SEMITONES_PER_OCTAVE)
    tau = timbre.decay_seconds * 2.0 ** (-(pitch - DECAY_REFERENCE_PITCH) / DECAY_HALVING_SEMITONES)
    theta = (2 * np.pi * ((hz * seconds) % 1.0)).astype(np.float32)
    sine, twice_cosine = np.sin(theta), 2 * np.cos(theta)
    decay = np.exp(-seconds / tau).astype(np.float32)
    previous, current, decay_k = np.zeros_like(sine), sine, decay
    total = np.zeros_like(sine)
    for k, amplitude in enumerate(timbre.harmonics, start=1):
        if k * hz >= sample_rate / 2:
            break  # above Nyquist: it would alias
        if k > 1:  # sin(k x) = 2 cos(x) sin((k-1) x) - sin((k-2) x)
            previous, current = current, twice_cosine * current - previous
            decay_k = decay_k * decay
        total += amplitude * current * (timbre.sustain + (1 - timbre.sustain) * decay_k)
    attack = np.minimum(seconds / ATTACK_SECONDS, 1.0)
    release = np.clip(1.0 - (seconds - held) / RELEASE_SECONDS, 0.0, 1.0)
    return total * (attack * release / sum(timbre.harmonics)).astype(np.float32)


def _drum(
    voice: DrumVoice, seconds: np.ndarray, sample_rate: int, rng: np.random.Generator
) -> np.ndarray:
    """One drum hit at ``seconds`` after its onset."""
    taps = max(1, round(sample_rate / voice.noise_hz)) if voice.noise_hz else 1
    noise = rng.standard_normal(len(seconds) + taps)
    running = np.cumsum(noise)
    smooth = (running[taps:] - running[:-taps]) / np.sqrt(taps)  # moving sum, unit power
    colored = (1 - voice.brightness) * smooth + voice.brightness * np.diff(noise[taps - 1:]) / 2
    hit = voice.noise_level * colored * np.exp(-seconds / voice.noise_decay_seconds)
    if voice.tone_level > 0:
        sweep = voice.sweep_seconds * (1 - np.exp(-seconds / voice.sweep_seconds))
        cycles = voice.end_hz * seconds + (voice.start_hz - voice.end_hz) * sweep
        tone = np.sin(2 * np.pi * cycles) * np.exp(-seconds / voice.tone_decay_seconds)
        hit += voice.tone_level * tone
    return hit.astype(np.float32)
