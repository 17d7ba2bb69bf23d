"""Where a model's input comes from: nothing, an uploaded MIDI file, the drum grid, typed or
clicked notes, or the last result shown.

An upload is read as soon as it arrives, and the line under the picker says what it holds
(or why it was refused), so a wrong file is caught before anyone presses Generate.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
from note_seq.protobuf import music_pb2
from traitlets import Instance, Int, TraitError, Unicode, observe, validate

from magwidgets.errors import MagwidgetsError, PrimerError
from magwidgets.widgets.drum_grid import DrumGrid
from magwidgets.widgets.melody_entry import MelodyEntry
from magwidgets.widgets.uploads import midi_from_upload

NONE, MIDI, GRID, NOTES, LAST = "none", "midi", "grid", "notes", "last"
SOURCE_LABELS = {NONE: "none", MIDI: "MIDI file", GRID: "drum grid", NOTES: "notes",
                 LAST: "last result"}
ERROR_STYLE = "color:#b00020"


def error_html(message: object) -> str:
    """A one-line error message for an ``HTML`` widget."""
    return f'<span style="{ERROR_STYLE}">⚠ {html.escape(str(message))}</span>'


class PrimerInput(widgets.VBox):
    """A source picker (``source``) over an upload, a drum grid or a melody entry.

    ``sequence(qpm, last)`` gives the chosen input as a NoteSequence (None for "none").
    """

    source = Unicode(NONE, help="Where the input comes from: " + ", ".join(SOURCE_LABELS))
    uploaded = Instance(music_pb2.NoteSequence, allow_none=True,
                        help="The last uploaded MIDI file, read")
    which = Int(1, min=1, help="For 'last result': which of its sequences (1 = the first)")

    def __init__(self, sources: tuple[str, ...], *, label: str = "Primer",
                 **kwargs: Any) -> None:
        self.sources = sources
        super().__init__(**kwargs)
        self.picker = widgets.ToggleButtons(
            options=[(SOURCE_LABELS[s], s) for s in sources], description=label,
            style={"button_width": "auto"})
        self.upload = widgets.FileUpload(accept=".mid,.midi", multiple=False,
                                         description="MIDI file")
        self.upload.observe(self._read_upload, "value")
        self.message = widgets.HTML()
        self.which_box = widgets.BoundedIntText(min=1, max=2**31 - 1, description="sequence #",
                                                layout={"width": "180px"})
        widgets.link((self, "which"), (self.which_box, "value"))
        self._grid: DrumGrid | None = None
        self._notes: MelodyEntry | None = None
        self.source = sources[0]
        self._show_panel()
        widgets.link((self, "source"), (self.picker, "value"))

    @validate("source")
    def _check_source(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] not in self.sources:
            raise TraitError(f"source must be one of {list(self.sources)}, "
                             f"got {proposal['value']!r}")
        return str(proposal["value"])

    # The grid and the keyboard are made when first shown or used: a dashboard of several
    # widgets would otherwise send hundreds of unused buttons to the browser at start.
    @property
    def grid(self) -> DrumGrid:
        """The drum grid editor."""
        if self._grid is None:
            self._grid = DrumGrid()
        return self._grid

    @property
    def notes(self) -> MelodyEntry:
        """The typed-notes entry and its keyboard."""
        if self._notes is None:
            self._notes = MelodyEntry()
        return self._notes

    @observe("source")
    def _show_panel(self, change: dict[str, Any] | None = None) -> None:
        panels = {MIDI: self.upload, LAST: self.which_box}
        if self.source == GRID:
            panels[GRID] = self.grid
        elif self.source == NOTES:
            panels[NOTES] = self.notes
        panel = panels.get(self.source)
        self.children = (self.picker, *([panel] if panel else []), self.message)

    def _read_upload(self, change: dict[str, Any]) -> None:
        if not change["new"]:
            return
        self.source = MIDI
        try:
            self.uploaded = midi_from_upload(change["new"])
        except MagwidgetsError as err:
            self.uploaded = None
            self.message.value = error_html(err)
            return
        sequence = self.uploaded
        tempo = f", {sequence.tempos[0].qpm:g} qpm" if sequence.tempos else ""
        self.message.value = html.escape(
            f"{sequence.filename}: {len(sequence.notes)} notes, "
            f"{sequence.total_time:.1f} s{tempo}")

    def sequence(self, qpm: float, shown: Sequence[music_pb2.NoteSequence] = ()
                 ) -> music_pb2.NoteSequence | None:
        """The chosen input (None for "none"): the grid and typed notes are made at
        ``qpm``; "last result" is sequence ``which`` of ``shown`` (the result on display).

        Raises:
            PrimerError: the chosen source is empty or its upload was refused.
        """
        if self.source == NONE:
            return None
        if self.source == MIDI:
            if self.upload.value and self.uploaded is None:
                return midi_from_upload(self.upload.value)  # raises the refusal again
            if self.uploaded is None:
                raise PrimerError("no MIDI file yet: upload one, or choose another input")
            sequence = self.uploaded
        elif self.source == GRID:
            sequence = self.grid.to_sequence(qpm)
        elif self.source == NOTES:
            sequence = self.notes.to_sequence(qpm)
        else:
            if not shown:
                raise PrimerError("there is no result yet to take as input: make one first")
            if self.which > len(shown):
                count = f"{len(shown)} sequence{'s' if len(shown) > 1 else ''}"
                raise PrimerError(f"the result on display has {count}; sequence "
                                  f"#{self.which} does not exist (pick another in the history)")
            sequence = shown[self.which - 1]
        if not sequence.notes:
            raise PrimerError(f"the {SOURCE_LABELS[self.source]} input has no notes: add "
                              "some, or choose another input")
        copy = music_pb2.NoteSequence()
        copy.CopyFrom(sequence)
        return copy
