"""Rendering music to audio: FluidSynth with a General MIDI soundfont, or the builtin synth.

``synthesize(music)`` returns a :class:`Waveform`: mono float32 samples, peak-normalised to
``TARGET_PEAK`` (never clipping), whose ``.backend`` says which synthesizer played
(``"fluidsynth"`` or ``"builtin"``) and ``.sample_rate`` its rate. Its length is exactly
``ceil(end * sample_rate)`` samples, ``end`` being the sequence's end (``total_time``, or
its last note-off if later), so the player's clock matches the pianoroll; release and
reverb tails past the end are cut.

FluidSynth plays each (instrument, program) on its own MIDI channel with that GM program,
all drum notes on channel 10 with the soundfont's drum kit (bank 128), and sends note
velocities, control changes (sustain pedal = 64) and pitch bends as they come. Drum notes
are those with ``is_drum`` (NoteSequences have no channels: note_seq sets ``is_drum`` for
channel-10 notes of MIDI files, and the drum models set it on their output).
With ``backend="auto"``, a missing libfluidsynth or a missing or corrupt soundfont gives
a one-line warning and the builtin synthesizer (``magwidgets.render.synth``) plays instead.

Long pieces: both backends stream, computing at most ``BLOCK_SAMPLES`` at a time into one
preallocated float32 buffer, so memory is that buffer plus a constant. The buffer is capped
at ``max_seconds`` (default ``MAX_SECONDS``, 10 minutes: 106 MB at 44.1 kHz); a longer
piece plays its first ``max_seconds`` with a warning, because a 30-minute piece would hold
318 MB (and a 159 MB WAV in the browser) on a shared classroom server. Pass a larger
``max_seconds`` to render more.
"""

from __future__ import annotations

import io
import math
import os
import sys
import warnings
import wave
from ctypes import c_int, c_void_p
from pathlib import Path
from typing import Any, Literal, Union, get_args

import numpy as np
import pretty_midi
from note_seq.protobuf import music_pb2

from magwidgets.errors import RenderError, SynthesisError
from magwidgets.io.sequences import SequenceLike, to_note_sequence
from magwidgets.io.waveform import Waveform
from magwidgets.render.synth import render_builtin
from magwidgets.validation import check_number

Backend = Literal["auto", "fluidsynth", "builtin"]
BACKENDS = get_args(Backend)
BACKEND_NAMES = {"fluidsynth": "FluidSynth", "builtin": "the built-in synthesizer"}  # for people
DEFAULT_SAMPLE_RATE = 44100  # Hz
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 8000, 96000  # Hz, inclusive: FluidSynth's range
MAX_SECONDS = 600.0  # default cap on the rendered length
TARGET_PEAK = 0.9  # peak amplitude after normalisation (full scale is 1.0)
BLOCK_SAMPLES = 1 << 14  # samples FluidSynth renders per call
PCM_FULL_SCALE = 32767  # 16-bit WAV
PCM_BYTES = 2
SOUNDFONT_ENV = "MAGWIDGETS_SOUNDFONT"
SOUNDFONT_MAGIC = (b"RIFF", b"sfbk")  # bytes 0-3 and 8-11 of every .sf2 / .sf3 file
SOUNDFONT_HEADER_BYTES = 12
MIDI_CHANNELS = 32  # FluidSynth channels used; 9, 25 ... are drum channels
DRUM_CHANNEL = 9  # General MIDI channel 10, counted from 0
DRUM_CHANNEL_PERIOD = 16  # channels 9 + 16 k are drum channels in FluidSynth
MELODIC_CHANNELS = tuple(c for c in range(MIDI_CHANNELS) if c % DRUM_CHANNEL_PERIOD != DRUM_CHANNEL)
MELODIC_BANK, DRUM_BANK = 0, 128
MIN_VELOCITY, MAX_VELOCITY = 1, 127  # velocity 0 would mean note-off to FluidSynth
NOTE_OFF, CONTROL, BEND, NOTE_ON = range(4)  # event kinds, in their order at equal times
SOUNDFONT_NAMES = (
    "sounds/sf2/FluidR3_GM.sf2",  # Debian/Ubuntu fluid-soundfont-gm
    "sounds/sf2/default-GM.sf2",
    "sounds/sf3/default-GM.sf3",
    "sounds/sf3/MuseScore_General.sf3",  # Debian musescore-general-soundfont(-small)
    "sounds/sf2/MuseScore_General.sf2",
    "sounds/sf2/TimGM6mb.sf2",
    "soundfonts/FluidR3_GM.sf2",  # Fedora, Arch
    "soundfonts/default.sf2",  # FluidSynth's own default (Homebrew, conda, Fedora)
)


def synthesize(
    music: SequenceLike,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    backend: Backend = "auto",
    soundfont: Union[str, Path, None] = None,
    max_seconds: float = MAX_SECONDS,
) -> Waveform:
    """Render ``music`` (anything ``to_note_sequence`` takes) to mono audio.

    Args:
        music: a NoteSequence, PrettyMIDI, MIDI / text-proto path, or None (empty).
        sample_rate: output rate in Hz, from 8000 to 96000.
        backend: ``"fluidsynth"``, ``"builtin"``, or ``"auto"`` (FluidSynth when it and a
            soundfont are there, else the builtin synth with a warning).
        soundfont: a .sf2/.sf3 file; default: see :func:`find_soundfont`.
        max_seconds: render at most this many seconds (a longer piece is cut, with a warning).

    Returns:
        A :class:`Waveform`; ``.backend`` names the synthesizer that played. An empty
        sequence gives zero samples.

    Raises:
        ValueError: a bad ``sample_rate``, ``backend`` or ``max_seconds``.
        SynthesisError: ``backend="fluidsynth"`` without libfluidsynth or a usable soundfont.
        PrimerError: ``music`` cannot be read.
    """
    _check_arguments(sample_rate, backend, max_seconds)
    sequence = to_note_sequence(music)
    end = max([sequence.total_time] + [note.end_time for note in sequence.notes])
    if end > max_seconds:
        warnings.warn(f"the music lasts {end:.1f} s; rendering its first {max_seconds:.1f} s "
                      "only (pass a larger max_seconds to render more)", stacklevel=2)
        end = max_seconds
    out = np.zeros(math.ceil(round(end * sample_rate, 6)), dtype=np.float32)
    played = "builtin"
    if backend != "builtin":
        try:
            _render_fluidsynth(sequence, sample_rate, soundfont, out)
            played = "fluidsynth"
        except SynthesisError as err:
            if backend == "fluidsynth":
                raise
            warnings.warn(f"{err}; playing with the builtin synthesizer instead", stacklevel=2)
    if played == "builtin":
        render_builtin(sequence, sample_rate, out)
    peak = max(float(out.max()), -float(out.min())) if len(out) else 0.0
    if peak > 0:
        out *= TARGET_PEAK / peak
    return Waveform(out, sample_rate, played)


def to_wav_bytes(waveform: Waveform) -> bytes:
    """``waveform`` as a 16-bit PCM mono WAV file (for ``ipywidgets.Audio`` or disk)."""
    if not isinstance(waveform, Waveform) or waveform.sample_rate <= 0:
        raise ValueError(f"expected a Waveform from synthesize(), got {type(waveform).__name__}"
                         + (" without a sample rate" if isinstance(waveform, Waveform) else ""))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(PCM_BYTES)
        writer.setframerate(waveform.sample_rate)
        for first in range(0, len(waveform), BLOCK_SAMPLES):
            block = np.asarray(waveform[first:first + BLOCK_SAMPLES])
            pcm = np.clip(np.rint(block * PCM_FULL_SCALE), -PCM_FULL_SCALE, PCM_FULL_SCALE)
            writer.writeframes(pcm.astype("<i2").tobytes())
    return buffer.getvalue()


def soundfont_candidates() -> list[Path]:
    """Where General MIDI soundfonts are usually installed, most preferred first.

    Under each of the Python, conda, Homebrew and system prefixes, then the macOS sound
    bank folder, then the small TimGM6mb.sf2 that ships with pretty_midi.
    """
    prefixes = [sys.prefix, os.environ.get("CONDA_PREFIX"), os.environ.get("HOMEBREW_PREFIX"),
                "/opt/homebrew", "/usr/local", "/usr"]
    shares = [Path(prefix) / "share" for prefix in dict.fromkeys(prefixes) if prefix]
    banks = Path.home() / "Library" / "Audio" / "Sounds" / "Banks"
    return ([share / name for share in shares for name in SOUNDFONT_NAMES]
            + [banks / "FluidR3_GM.sf2", banks / "MuseScore_General.sf2"]
            + [Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"])


def find_soundfont(explicit: Union[str, Path, None] = None) -> Union[Path, None]:
    """The soundfont to play with: ``explicit``, else ``$MAGWIDGETS_SOUNDFONT``, else the
    first of :func:`soundfont_candidates` that exists; None when there is none.

    Raises:
        SynthesisError: ``explicit`` or ``$MAGWIDGETS_SOUNDFONT`` names a missing file.
    """
    for chosen, origin in ((explicit, "soundfont argument"), (os.environ.get(SOUNDFONT_ENV),
                                                              f"${SOUNDFONT_ENV}")):
        if chosen:
            if not Path(chosen).is_file():
                raise SynthesisError(f"soundfont {chosen} ({origin}): no such file")
            return Path(chosen)
    return next((path for path in soundfont_candidates() if path.is_file()), None)


def _check_arguments(sample_rate: int, backend: str, max_seconds: float) -> None:
    check_number("sample_rate", sample_rate, low=MIN_SAMPLE_RATE, high=MAX_SAMPLE_RATE,
                 integer=True, error=RenderError)
    if backend not in BACKENDS:
        raise RenderError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    check_number("max_seconds", max_seconds, low=0.0, low_open=True, error=RenderError)


def _load_fluidsynth() -> Any:
    """The ``fluidsynth`` module (pyfluidsynth), imported only when audio is rendered."""
    try:
        import fluidsynth
    except (ImportError, OSError) as err:
        raise SynthesisError(
            f"FluidSynth is not available ({err}): install libfluidsynth3 (Debian/Ubuntu) or "
            "fluid-synth (Homebrew), and pyfluidsynth") from err
    return fluidsynth


def _check_soundfont(path: Path) -> None:
    try:
        with path.open("rb") as file:
            header = file.read(SOUNDFONT_HEADER_BYTES)
    except OSError as err:
        raise SynthesisError(f"{path}: cannot read this soundfont ({err})") from err
    if (header[:4], header[8:12]) != SOUNDFONT_MAGIC:
        raise SynthesisError(f"{path}: not a SoundFont (expected a RIFF 'sfbk' .sf2/.sf3 file)")


def _render_fluidsynth(sequence: music_pb2.NoteSequence, sample_rate: int,
                       soundfont: Union[str, Path, None], out: np.ndarray) -> None:
    """Play ``sequence`` on FluidSynth into ``out``; raises before writing if it cannot."""
    path = find_soundfont(soundfont)
    if path is None:
        raise SynthesisError(
            f"no General MIDI soundfont found: pass soundfont=, set ${SOUNDFONT_ENV}, or "
            "install one (Debian/Ubuntu: apt-get install fluid-soundfont-gm)")
    _check_soundfont(path)
    fluidsynth = _load_fluidsynth()
    write_float = fluidsynth.cfunc(
        "fluid_synth_write_float", c_int, ("synth", c_void_p, 1), ("len", c_int, 1),
        ("lout", c_void_p, 1), ("loff", c_int, 1), ("lincr", c_int, 1),
        ("rout", c_void_p, 1), ("roff", c_int, 1), ("rincr", c_int, 1))
    synth = fluidsynth.Synth(samplerate=float(sample_rate), channels=MIDI_CHANNELS,
                             **{"synth.dynamic-sample-loading": 1})
    try:
        sfid = synth.sfload(str(path))
        if sfid < 0:
            raise SynthesisError(f"{path}: FluidSynth cannot load this soundfont")
        events = _events(sequence, _select_programs(sequence, synth, sfid), sample_rate)
        stereo = np.zeros((BLOCK_SAMPLES, 2), dtype=np.float32)
        done = 0
        for sample, kind, channel, data1, data2 in events:
            if sample >= len(out):
                break
            done = _play_until(sample, done, synth, write_float, stereo, out)
            if kind == NOTE_ON:
                synth.noteon(channel, data1, data2)
            elif kind == NOTE_OFF:
                synth.noteoff(channel, data1)
            elif kind == CONTROL:
                synth.cc(channel, data1, data2)
            else:
                synth.pitch_bend(channel, data1)
        _play_until(len(out), done, synth, write_float, stereo, out)
    finally:
        synth.delete()


def _play_until(target: int, done: int, synth: Any, write_float: Any, stereo: np.ndarray,
                out: np.ndarray) -> int:
    """Render samples ``done`` to ``target`` block by block, left + right into ``out``."""
    pointer = stereo.ctypes.data
    for first in range(done, target, BLOCK_SAMPLES):
        count = min(BLOCK_SAMPLES, target - first)
        write_float(synth.synth, count, pointer, 0, 2, pointer, 1, 2)
        np.add(stereo[:count, 0], stereo[:count, 1], out=out[first:first + count])
    return max(done, target)


def _select_programs(sequence: music_pb2.NoteSequence, synth: Any,
                     sfid: int) -> dict[tuple[int, int, bool], int]:
    """A FluidSynth channel for each (instrument, program, is_drum), its preset selected.

    Drums share channel 10 with the drum kit; other tracks take the melodic channels in
    turn (sharing them when there are more than ``len(MELODIC_CHANNELS)``).
    """
    channels: dict[tuple[int, int, bool], int] = {}
    melodic = 0
    for note in sequence.notes:
        track = (note.instrument, note.program, note.is_drum)
        if track in channels:
            continue
        if note.is_drum:
            channel, bank = DRUM_CHANNEL, DRUM_BANK
        else:
            channel, bank = MELODIC_CHANNELS[melodic % len(MELODIC_CHANNELS)], MELODIC_BANK
            melodic += 1
        if synth.program_select(channel, sfid, bank, note.program) < 0:
            synth.program_select(channel, sfid, bank, 0)  # no such preset: the first one
        channels[track] = channel
    return channels


def _events(sequence: music_pb2.NoteSequence, channels: dict[tuple[int, int, bool], int],
            sample_rate: int) -> list[tuple[int, int, int, int, int]]:
    """MIDI events as (sample, kind, channel, data1, data2), in playing order."""
    by_instrument: dict[tuple[int, bool], set[int]] = {}
    for (instrument, _, is_drum), channel in channels.items():
        by_instrument.setdefault((instrument, is_drum), set()).add(channel)
    events: list[tuple[int, int, int, int, int]] = []
    for note in sequence.notes:
        channel = channels[note.instrument, note.program, note.is_drum]
        velocity = min(max(note.velocity, MIN_VELOCITY), MAX_VELOCITY)
        start, end = round(note.start_time * sample_rate), round(note.end_time * sample_rate)
        events += [(start, NOTE_ON, channel, note.pitch, velocity),
                   (end, NOTE_OFF, channel, note.pitch, 0)]
    for cc in sequence.control_changes:
        for channel in by_instrument.get((cc.instrument, cc.is_drum), ()):
            events.append((round(cc.time * sample_rate), CONTROL, channel, cc.control_number,
                           cc.control_value))
    for bend in sequence.pitch_bends:
        for channel in by_instrument.get((bend.instrument, bend.is_drum), ()):
            events.append((round(bend.time * sample_rate), BEND, channel, bend.bend, 0))
    return sorted(events, key=lambda event: event[:2])  # stable: keeps the CC order
