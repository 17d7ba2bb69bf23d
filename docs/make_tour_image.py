"""Draw docs/tour.png: the drums and melody that `make demo` generates, as simple pianorolls.

Run from the repository root: `python docs/make_tour_image.py`. (A stand-in until the Bokeh
pianoroll lands; it uses Pillow, which Bokeh already installs.)
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

import magwidgets as mw

FIXTURES = Path("tests/fixtures/magenta-oracle/rnn")
WIDTH, ROLL_HEIGHT, MARGIN, LABEL = 1000, 180, 12, 70
DRUM_NAMES = {36: "kick", 38: "snare", 42: "closed hat", 46: "open hat", 45: "low tom",
              48: "mid tom", 50: "high tom", 49: "crash", 51: "ride"}


def _roll(draw: ImageDraw.ImageDraw, sequence, top: int, rows: list[int], names: dict[int, str],
          colour: tuple[int, int, int], title: str, primer_end: float) -> None:
    seconds = max(sequence.total_time, 1e-6)
    row_height = ROLL_HEIGHT / len(rows)
    scale = (WIDTH - LABEL - MARGIN) / seconds
    draw.rectangle([LABEL, top, LABEL + primer_end * scale, top + ROLL_HEIGHT], fill=(236, 236, 236))
    for beat in range(int(seconds / 0.5) + 1):
        x = LABEL + beat * 0.5 * scale
        draw.line([x, top, x, top + ROLL_HEIGHT], fill=(200, 200, 200) if beat % 4 else (120, 120, 120))
    for index, row in enumerate(rows):
        if row in names:
            draw.text((4, top + ROLL_HEIGHT - (index + 1) * row_height), names[row], fill=(60, 60, 60))
    for note in sequence.notes:
        index = rows.index(note.pitch) if note.pitch in rows else None
        if index is None:
            continue
        y = top + ROLL_HEIGHT - (index + 1) * row_height
        draw.rectangle([LABEL + note.start_time * scale, y + 1,
                        LABEL + note.end_time * scale - 1, y + row_height - 1], fill=colour)
    draw.text((LABEL, top - 14), title, fill=(0, 0, 0))


def main() -> None:
    drums = mw.load_model(FIXTURES / "drum_kit" / "model.mag")
    melody = mw.load_model(FIXTURES / "attention_rnn" / "model.mag")
    beat = drums.generate_with_score(FIXTURES / "drum_kit" / "primer.mid", steps=64, seed=1)
    tune = melody.generate_with_score(FIXTURES / "attention_rnn" / "primer.mid", steps=64,
                                      temperature=0.9, beam_size=2, branch_factor=2, seed=1)
    image = Image.new("RGB", (WIDTH, 2 * ROLL_HEIGHT + 4 * MARGIN + 28), "white")
    draw = ImageDraw.Draw(image)
    seconds_per_step = 60.0 / 120 / 4
    _roll(draw, beat.sequence, MARGIN + 14, sorted(DRUM_NAMES), DRUM_NAMES, (214, 96, 77),
          "drum_kit: primer (grey) + 64 generated steps", beat.primer_steps * seconds_per_step)
    pitches = sorted({n.pitch for n in tune.sequence.notes})
    rows = list(range(pitches[0], pitches[-1] + 1))
    names = {p: f"{['C','C#','D','D#','E','F','F#','G','G#','A','A#','B'][p % 12]}{p // 12 - 1}"
             for p in rows if p % 12 == 0 or p in (pitches[0], pitches[-1])}
    _roll(draw, tune.sequence, 2 * MARGIN + ROLL_HEIGHT + 42, rows, names, (66, 133, 244),
          "attention_rnn: primer (grey) + 64 generated steps, beam 2 x 2",
          tune.primer_steps * seconds_per_step)
    image.save("docs/tour.png")


if __name__ == "__main__":
    main()
