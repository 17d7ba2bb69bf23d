"""Draw docs/pianoroll.png: the Bokeh pianoroll of a 4-bar drum + melody example.

Run from the repository root: `python docs/make_pianoroll_screenshot.py`. Needs Debian's
`chromium` (headless, offline). The notes are written here, not generated: the bundled test
models have random weights, so what they play would not show what the roll looks like.
"""

from __future__ import annotations

from pathlib import Path

from note_seq.protobuf import music_pb2

from magwidgets.render.pianoroll_figure import PianoRoll

OUT = Path(__file__).parent / "pianoroll.png"
QPM = 120.0
BEAT = 60.0 / QPM  # seconds per quarter note
BAR = 4 * BEAT
PRIMER_BARS = 1
PLAYHEAD = 5.25  # seconds, as if the player were in bar 3
CHORDS = ("C", "G", "C", "G7")
# (pitch, beats) per note of the melody, Ode to Joy's first phrase in C.
MELODY = [(64, 1), (64, 1), (65, 1), (67, 1), (67, 1), (65, 1), (64, 1), (62, 1),
          (60, 1), (60, 1), (62, 1), (64, 1), (64, 1.5), (62, 0.5), (62, 2)]
MELODY_VELOCITIES = (96, 80, 88, 104, 110, 92, 84, 76, 90, 72, 84, 100, 112, 70, 86)
KICK, SNARE, CLOSED_HAT, OPEN_HAT, LOW_TOM, MID_TOM, HIGH_TOM, CRASH, RIDE = (
    36, 38, 42, 46, 45, 48, 50, 49, 51)
DRUM_HIT = 0.1  # seconds each drum note lasts
EIGHTH, SIXTEENTH = BEAT / 2, BEAT / 4


def _drums(sequence: music_pb2.NoteSequence) -> None:
    def hit(pitch: int, time: float, velocity: int = 100) -> None:
        sequence.notes.add(pitch=pitch, start_time=time, end_time=time + DRUM_HIT,
                           velocity=velocity, instrument=9, is_drum=True)

    for bar in range(4):
        start = bar * BAR
        for beat in (0, 2):
            hit(KICK, start + beat * BEAT, 110)
        for beat in (1, 3):
            hit(SNARE, start + beat * BEAT, 100)
        cymbal = RIDE if bar == 2 else CLOSED_HAT
        for eighth in range(8 if bar < 3 else 6):
            hit(cymbal, start + eighth * EIGHTH, 90 if eighth % 2 == 0 else 55)
    hit(CRASH, 0.0, 120)
    hit(KICK, BAR + 2.5 * BEAT, 90)
    hit(OPEN_HAT, 2 * BAR - EIGHTH, 80)
    for index, pitch in enumerate((HIGH_TOM, HIGH_TOM, MID_TOM, LOW_TOM)):
        hit(pitch, 3 * BAR + 3 * BEAT + index * SIXTEENTH, 95 + 5 * index)


def example() -> music_pb2.NoteSequence:
    """Four bars at 120 qpm in 4/4: melody on piano, a drum groove with a tom fill, chords."""
    sequence = music_pb2.NoteSequence(ticks_per_quarter=220, total_time=4 * BAR)
    sequence.tempos.add(qpm=QPM)
    sequence.time_signatures.add(numerator=4, denominator=4)
    time = 0.0
    for (pitch, beats), velocity in zip(MELODY, MELODY_VELOCITIES):
        sequence.notes.add(pitch=pitch, start_time=time, end_time=time + beats * BEAT * 0.95,
                           velocity=velocity, instrument=0, program=0)
        time += beats * BEAT
    for bar, chord in enumerate(CHORDS):
        sequence.text_annotations.add(
            time=bar * BAR, text=chord,
            annotation_type=music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL)
    _drums(sequence)
    return sequence


def main() -> None:
    roll = PianoRoll(example(), primer_end=PRIMER_BARS * BAR,
                     title="4 bars of drums + melody: primer shaded, then the generated part")
    roll.set_playhead(PLAYHEAD)
    roll.to_png(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
