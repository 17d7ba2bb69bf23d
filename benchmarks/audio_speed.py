"""Speed of rendering music to WAV with each audio backend.

Renders 16 bars at 120 qpm (32 s) of a band like the models' output (a piano melody with
sustain pedal, block chords on strings, a fingered bass, and a drum kit on channel 10 with
kick, snare, hi-hats and crash) with ``synthesize(..., backend=...)`` then ``to_wav_bytes``,
and reports the median wall time of several runs after one warm-up, and how many times
faster than real time that is. FluidSynth's time includes creating the synth and loading
the soundfont, as every ``synthesize`` call does.

Target: FluidSynth at least 20x faster than real time; the builtin synth is reported too.

Usage: ``python benchmarks/audio_speed.py [--check] [--sample-rate HZ]``; with ``--check``
the exit code is 1 when FluidSynth is missing or misses the target (otherwise it is a
report and always exits 0).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

# magwidgets first: it imports note-seq without pydub's irrelevant ffmpeg warning.
from magwidgets.errors import MagwidgetsError
from magwidgets.render.audio import DEFAULT_SAMPLE_RATE, find_soundfont, synthesize, to_wav_bytes
from note_seq.protobuf import music_pb2  # isort: skip

TARGET_SPEEDUP = 20.0  # FluidSynth, times faster than real time
BARS = 16
BEATS_PER_BAR = 4
QPM = 120.0
SECONDS_PER_BEAT = 60.0 / QPM
SIXTEENTH = SECONDS_PER_BEAT / 4
REPEATS = 7
SUSTAIN_CONTROL = 64
KICK, SNARE, CLOSED_HAT, CRASH = 36, 38, 42, 49
PIANO, STRINGS, FINGERED_BASS = 0, 48, 33
CHORDS = [(60, 64, 67), (57, 60, 64), (53, 57, 60), (55, 59, 62)]  # C, Am, F, G


def band(bars: int = BARS) -> music_pb2.NoteSequence:
    """``bars`` bars of melody, chords, bass and drums at ``QPM``."""
    seq = music_pb2.NoteSequence()
    seq.tempos.add(qpm=QPM)
    bar_seconds = BEATS_PER_BAR * SECONDS_PER_BEAT

    def add(pitch, start, length, velocity, program=0, instrument=0, is_drum=False):
        seq.notes.add(pitch=pitch, start_time=start, end_time=start + length, velocity=velocity,
                      program=program, instrument=instrument, is_drum=is_drum)

    for bar in range(bars):
        start = bar * bar_seconds
        chord = CHORDS[bar % len(CHORDS)]
        seq.control_changes.add(time=start, control_number=SUSTAIN_CONTROL, control_value=127)
        seq.control_changes.add(time=start + bar_seconds - SIXTEENTH,
                                control_number=SUSTAIN_CONTROL, control_value=0)
        for step in range(0, 16, 2):  # eighth-note melody over the chord
            pitch = chord[(step // 2) % 3] + 12 + (2 if step % 6 == 4 else 0)
            add(pitch, start + step * SIXTEENTH, 2 * SIXTEENTH, 70 + (step * 7) % 40, PIANO)
        for pitch in chord:
            add(pitch, start, bar_seconds, 60, STRINGS, instrument=1)
        for beat in range(BEATS_PER_BAR):
            add(chord[0] - 24, start + beat * SECONDS_PER_BEAT, SECONDS_PER_BEAT * 0.9, 90,
                FINGERED_BASS, instrument=2)
        for step in range(16):
            hits = [CLOSED_HAT] + ([KICK] if step % 8 == 0 else [])
            hits += [SNARE] if step % 8 == 4 else []
            hits += [CRASH] if step == 0 and bar % 4 == 0 else []
            for pitch in hits:
                add(pitch, start + step * SIXTEENTH, SIXTEENTH, 100 if step % 4 == 0 else 75,
                    instrument=9, is_drum=True)
    seq.total_time = bars * bar_seconds
    return seq


def measure(sequence: music_pb2.NoteSequence, backend: str, sample_rate: int) -> float:
    """Median seconds to render ``sequence`` to WAV bytes; raises if the backend is missing."""
    times = []
    for _ in range(REPEATS + 1):  # the first run warms up caches
        start = time.perf_counter()
        to_wav_bytes(synthesize(sequence, sample_rate=sample_rate, backend=backend))
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--sample-rate", type=int, default=DEFAULT_SAMPLE_RATE)
    args = parser.parse_args()
    sequence = band()
    seconds = sequence.total_time
    print(f"{BARS} bars at {QPM:.0f} qpm = {seconds:.1f} s of audio, {len(sequence.notes)} "
          f"notes, {args.sample_rate} Hz, median of {REPEATS} runs")
    try:
        print(f"soundfont: {find_soundfont()}")
    except MagwidgetsError as err:
        print(f"soundfont: {err}")
    passed = True
    for backend in ("fluidsynth", "builtin"):
        try:
            elapsed = measure(sequence, backend, args.sample_rate)
        except MagwidgetsError as err:
            print(f"{backend:>10}: unavailable ({err})")
            passed = False
            continue
        speedup = seconds / elapsed
        verdict = ""
        if backend == "fluidsynth":
            met = speedup >= TARGET_SPEEDUP
            passed = passed and met
            verdict = f"  target >= {TARGET_SPEEDUP:.0f}x: {'met' if met else 'MISSED'}"
        print(f"{backend:>10}: {elapsed * 1000:7.1f} ms  {speedup:6.0f}x real time{verdict}")
    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
