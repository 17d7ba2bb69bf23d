"""A drum step-sequencer grid: Magenta's 9 drum classes × 16 sixteenth steps per bar.

Click a cell to toggle a hit. ``cells`` (rows of booleans, kick first) is the state on both
sides; ``to_sequence(qpm)`` turns it into a drum NoteSequence a drum model can continue.
"""

from __future__ import annotations

from typing import Any

import anywidget
import note_seq
from note_seq.protobuf import music_pb2
from traitlets import Bool, Int, List, TraitError, Unicode, observe, validate

DRUM_ROWS = (  # (label, General MIDI pitch): Magenta's drum classes, in its order
    ("kick", 36), ("snare", 38), ("closed hi-hat", 42), ("open hi-hat", 46),
    ("low tom", 45), ("mid tom", 48), ("high tom", 50), ("crash", 49), ("ride", 51))
STEPS_PER_QUARTER = 4  # sixteenth notes, as the drum models count
STEPS_PER_BAR = 4 * STEPS_PER_QUARTER  # 4/4
MAX_BARS = 4
HIT_VELOCITY = 100
DRUM_CHANNEL = 9  # General MIDI channel 10

_ESM = """
function render({ model, el }) {
  const table = document.createElement("div");
  table.className = "magwidgets-drum-grid";
  el.appendChild(table);
  const draw = () => {
    const cells = model.get("cells"), labels = model.get("labels");
    const per_beat = model.get("steps_per_quarter");
    table.replaceChildren();
    cells.forEach((row, r) => {
      const line = document.createElement("div");
      line.style.cssText = "display:flex;align-items:center;gap:2px;margin:1px 0";
      const name = document.createElement("span");
      name.textContent = labels[r];
      name.style.cssText = "width:90px;font-size:11px;text-align:right;padding-right:4px";
      line.appendChild(name);
      row.forEach((on, s) => {
        const cell = document.createElement("button");
        cell.className = "magwidgets-drum-cell" + (on ? " on" : "");
        cell.title = labels[r] + ", step " + (s + 1);
        const beat = Math.floor(s / per_beat) % 2 === 0;
        cell.style.cssText = "width:20px;height:18px;padding:0;border:1px solid #999;" +
          "border-radius:3px;cursor:pointer;background:" +
          (on ? "#d9534f" : (beat ? "#f4f4f4" : "#dddddd")) +
          (s % (per_beat * 4) === 0 && s ? ";margin-left:6px" : "");
        cell.addEventListener("click", () => {
          const next = model.get("cells").map((cols) => cols.slice());
          next[r][s] = !next[r][s];
          model.set("cells", next);
          model.save_changes();
        });
        line.appendChild(cell);
      });
      table.appendChild(line);
    });
  };
  model.on("change:cells", draw);
  draw();
}
export default { render };
"""


def empty_cells(bars: int) -> list[list[bool]]:
    """An empty grid of ``bars`` bars."""
    return [[False] * (bars * STEPS_PER_BAR) for _ in DRUM_ROWS]


class DrumGrid(anywidget.AnyWidget):
    """Click-to-toggle drum grid; ``cells[row][step]`` is True where a drum is hit."""

    _esm = _ESM
    bars = Int(1, min=1, max=MAX_BARS, help="Length of the grid in bars of 4/4").tag(sync=True)
    cells = List(List(Bool()), help="One row per drum class (kick first), one cell per "
                 "sixteenth step").tag(sync=True)
    labels = List(Unicode(), [label for label, _ in DRUM_ROWS],
                  help="Row names shown left of the grid").tag(sync=True)
    steps_per_quarter = Int(STEPS_PER_QUARTER, help="Steps per beat, for the shading").tag(
        sync=True)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cells", empty_cells(kwargs.get("bars", 1)))
        super().__init__(**kwargs)

    @validate("cells")
    def _check_cells(self, proposal: dict[str, Any]) -> list[list[bool]]:
        cells = proposal["value"]
        steps = self.bars * STEPS_PER_BAR
        if len(cells) != len(DRUM_ROWS) or any(len(row) != steps for row in cells):
            raise TraitError(f"cells must be {len(DRUM_ROWS)} rows of {steps} steps "
                             f"({self.bars} bars), got {len(cells)} rows of "
                             f"{sorted({len(row) for row in cells})} steps")
        return [[bool(on) for on in row] for row in cells]

    @observe("bars")
    def _resize(self, change: dict[str, Any]) -> None:
        steps = change["new"] * STEPS_PER_BAR
        self.cells = [(row + [False] * steps)[:steps] for row in self.cells]

    def toggle(self, row: int, step: int) -> None:
        """Switch one cell on or off, as a click does."""
        cells = [list(cols) for cols in self.cells]
        cells[row][step] = not cells[row][step]
        self.cells = cells

    def clear(self) -> None:
        """Switch every cell off."""
        self.cells = empty_cells(self.bars)

    def to_sequence(self, qpm: float) -> music_pb2.NoteSequence:
        """The grid as a drum NoteSequence at ``qpm``: one sixteenth-long hit per cell on."""
        step = 60.0 / qpm / STEPS_PER_QUARTER
        sequence = music_pb2.NoteSequence(ticks_per_quarter=note_seq.STANDARD_PPQ)
        sequence.tempos.add(qpm=qpm)
        sequence.time_signatures.add(numerator=4, denominator=4)
        for (_, pitch), row in zip(DRUM_ROWS, self.cells):
            for index, on in enumerate(row):
                if on:
                    sequence.notes.add(pitch=pitch, velocity=HIT_VELOCITY, is_drum=True,
                                       instrument=DRUM_CHANNEL, start_time=index * step,
                                       end_time=(index + 1) * step)
        sequence.notes.sort(key=lambda note: (note.start_time, note.pitch))
        sequence.total_time = self.bars * STEPS_PER_BAR * step
        return sequence
