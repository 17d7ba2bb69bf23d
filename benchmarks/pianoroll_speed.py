"""Time to build and to update the Bokeh pianoroll for 2,000 notes.

Measures, as the median of several runs after one warm-up:
  - build: ``PianoRoll(sequence)`` (all models plus the first data),
  - update: ``roll.update(other_sequence)`` (new data into the same models),
  - widget update: the same with a jupyter_bokeh ``BokehModel`` attached, so the cost
    includes serialising the document patch that would go to the browser,
  - columns: ``notes_to_columns`` alone (the pure NumPy part),
  - playhead move: ``set_playhead`` on the widget roll (what an audio player calls often).
Sequences are a trio (melody, bass, drums, chords) of random notes at 120 qpm.

Target: an update under 200 ms. Usage: ``python benchmarks/pianoroll_speed.py [--check]``;
with ``--check`` the exit code is 1 when the target fails.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
from note_seq.protobuf import music_pb2

from magwidgets.render.pianoroll_figure import PianoRoll
from magwidgets.render.pianoroll_data import notes_to_columns

NOTES = 2_000
REPEATS = 9
TARGET_UPDATE_MS = 200.0
NOTES_PER_SECOND = 8  # dense for a trio: 2,000 notes last about 4 minutes
CHORD_SYMBOL = music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL
CHORDS = ("C", "Am", "F", "G7")
BAR_SECONDS = 2.0  # 4/4 at 120 qpm


def trio(seed: int, notes: int = NOTES) -> music_pb2.NoteSequence:
    """``notes`` random notes split over melody, bass and drums, with a chord per bar."""
    rng = np.random.default_rng(seed)
    sequence = music_pb2.NoteSequence()
    sequence.tempos.add(qpm=120)
    starts = np.sort(rng.uniform(0, notes / NOTES_PER_SECOND, notes))
    tracks = rng.integers(0, 3, notes)
    for start, track in zip(starts, tracks):
        is_drum = bool(track == 2)
        pitch = int(rng.choice([36, 38, 42, 46, 49]) if is_drum else
                    rng.integers(60, 84) if track == 0 else rng.integers(36, 52))
        sequence.notes.add(pitch=pitch, velocity=int(rng.integers(40, 128)), start_time=start,
                           end_time=start + float(rng.uniform(0.1, 0.6)), instrument=int(track),
                           program=0 if track == 0 else 33, is_drum=is_drum)
    sequence.total_time = max(n.end_time for n in sequence.notes)
    for bar in range(int(sequence.total_time // BAR_SECONDS) + 1):
        sequence.text_annotations.add(time=bar * BAR_SECONDS, text=CHORDS[bar % len(CHORDS)],
                                      annotation_type=CHORD_SYMBOL)
    return sequence


def median_ms(run: Callable[[int], object]) -> float:
    """Median wall time of ``run(i)`` in milliseconds, after one warm-up call."""
    run(-1)
    times = []
    for index in range(REPEATS):
        start = time.perf_counter()
        run(index)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the target fails")
    check = parser.parse_args().check
    sequences = [trio(seed) for seed in range(2)]
    roll = PianoRoll(sequences[0])
    widget_roll = PianoRoll(sequences[0])
    widget = widget_roll.widget()
    sent: list[object] = []
    widget.send = lambda content, buffers=None: sent.append(content)  # no kernel: keep messages

    results = {
        "build": median_ms(lambda i: PianoRoll(sequences[i % 2])),
        "update": median_ms(lambda i: roll.update(sequences[i % 2])),
        "widget update": median_ms(lambda i: widget_roll.update(sequences[i % 2])),
        "columns": median_ms(lambda i: notes_to_columns(sequences[i % 2])),
        "playhead move": median_ms(lambda i: widget_roll.set_playhead(1.0 + i % 2)),
    }
    print(f"pianoroll, {NOTES:,} notes ({len(sequences[0].text_annotations)} chords, "
          f"{sequences[0].total_time:.0f} s), median of {REPEATS} runs:")
    for name, ms in results.items():
        print(f"  {name:<14} {ms:8.1f} ms")
    if not sent:
        raise RuntimeError("the widget sent no document patch: the widget timing is meaningless")
    worst = max(results["update"], results["widget update"])
    ok = worst < TARGET_UPDATE_MS
    print(f"target: update under {TARGET_UPDATE_MS:.0f} ms -> {'met' if ok else 'MISSED'} "
          f"({worst:.1f} ms)")
    return 1 if check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
