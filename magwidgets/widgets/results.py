"""The output area every model widget shares: a status line, a progress bar, one view per
result item (a pianoroll + player for notes, a waveform + spectrogram + player for audio, both
for a transcription), and a history of recent results to show again.

Views are made once and then updated in place, so showing a new result never adds outputs.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
from note_seq.protobuf import music_pb2
from traitlets import Instance

from magwidgets.io.waveform import Waveform
from magwidgets.render.pianoroll_figure import load_bokehjs
from magwidgets.widgets.primer_input import error_html
from magwidgets.widgets.view import AudioView, SequenceView

Music = music_pb2.NoteSequence | Waveform | tuple[Waveform, music_pb2.NoteSequence]
"""One item of a result: notes, audio, or audio with its notes (a transcription)."""

HISTORY_SIZE = 12  # results kept to show again
HIDDEN, SHOWN = "none", ""  # CSS display values


@dataclass(frozen=True, eq=False)  # compared by identity: each run is its own result
class Result:
    """What one press of an action button made: its items (each a NoteSequence, a Waveform
    or a ``(Waveform, NoteSequence)`` pair) and how they were made."""

    title: str  # the history entry, e.g. "drum_kit, 2 bars, temperature 1.0"
    items: tuple[Music, ...] = field(repr=False)
    captions: tuple[str, ...]  # one line per item (seed, log-likelihood ...)
    primer_end: float | None = None  # seconds; shaded as the primer in the rolls
    name: str = "magwidgets"  # MIDI downloads are called "<name>-<k>.mid"

    @property
    def sequences(self) -> tuple[music_pb2.NoteSequence, ...]:
        """The notes of the items that have notes (a transcription's too)."""
        return tuple(item if isinstance(item, music_pb2.NoteSequence) else item[1]
                     for item in self.items if not isinstance(item, Waveform))

    @property
    def waveforms(self) -> tuple[Waveform, ...]:
        """The audio of the items that are audio."""
        return tuple(item if isinstance(item, Waveform) else item[0]
                     for item in self.items if not isinstance(item, music_pb2.NoteSequence))


class ResultsPanel(widgets.VBox):
    """Status line, progress bar, result views and history (``history`` dropdown)."""

    current = Instance(Result, allow_none=True, help="The result on display")

    def __init__(self, view_options: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Views appear later, from a button callback, where output has nowhere to go; BokehJS
        # must already be on the page, so it is loaded now, with the cell that builds us.
        load_bokehjs()
        self.view_options = view_options or {}
        self.results: list[Result] = []  # newest first
        self._entries: list[tuple[str, Result]] = []  # history labels, numbered by run
        self._runs = 0
        self.views: list[SequenceView | AudioView] = []
        self.captions: list[widgets.HTML] = []
        self.status = widgets.HTML()
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="Working",
                                            layout=widgets.Layout(display=HIDDEN))
        self.history = widgets.Dropdown(options=[], description="History",
                                        layout=widgets.Layout(width="100%"))
        self.history.observe(self._pick_from_history, "value")
        self.outputs = widgets.VBox()
        self.children = (self.status, self.progress, self.outputs, self.history)

    def shown_sequences(self) -> tuple[music_pb2.NoteSequence, ...]:
        """The sequences on display (none before the first result)."""
        return self.current.sequences if self.current is not None else ()

    def add(self, result: Result) -> None:
        """Show ``result`` and put it first in the history (oldest entries drop out)."""
        self._runs += 1
        self._entries = [(f"{self._runs}. {result.title}", result), *self._entries]
        del self._entries[HISTORY_SIZE:]
        self.results = [item for _, item in self._entries]
        self.history.options = self._entries
        self.show(result)

    def _pick_from_history(self, change: dict[str, Any]) -> None:
        if change["new"] is not None and change["new"] is not self.current:
            self.show(change["new"])

    def show(self, result: Result) -> None:
        """Display ``result`` in the views, making more views only when needed (a result
        not in the history, such as a point scrubbed to, is shown without adding it)."""
        for position, (item, caption) in enumerate(zip(result.items, result.captions)):
            filename = f"{result.name}-{position + 1}.mid"
            kind = SequenceView if isinstance(item, music_pb2.NoteSequence) else AudioView
            if position < len(self.views) and isinstance(self.views[position], kind):
                self.views[position].player.filename = filename
                self._update_view(self.views[position], item, result.primer_end)
            else:
                view = self._make_view(item, filename, result.primer_end)
                if position < len(self.views):
                    self.views[position] = view
                else:
                    self.views.append(view)
                    self.captions.append(widgets.HTML())
            self.captions[position].value = f"<b>{html.escape(caption)}</b>"
        count = len(result.items)
        self.outputs.children = tuple(
            part for pair in zip(self.captions[:count], self.views[:count]) for part in pair)
        self.current = result
        if result in self.results:
            self.history.value = result

    def _make_view(self, item: Music, filename: str, primer_end: float | None
                   ) -> SequenceView | AudioView:
        options = dict(self.view_options)
        options["player_options"] = {**options.get("player_options", {}), "filename": filename}
        if isinstance(item, music_pb2.NoteSequence):
            return SequenceView(item, primer_end=primer_end, **options)
        waveform, sequence = (item, None) if isinstance(item, Waveform) else item
        return AudioView(waveform, sequence, player_options=options["player_options"])

    @staticmethod
    def _update_view(view: SequenceView | AudioView, item: Music,
                     primer_end: float | None) -> None:
        if isinstance(view, SequenceView):
            view.update(item, primer_end=primer_end)
        elif isinstance(item, Waveform):
            view.update(item)
        else:
            view.update(*item)

    @contextlib.contextmanager
    def busy(self, steps: int, what: str = "Generating") -> Iterator[widgets.IntProgress]:
        """Show the progress bar for ``steps`` steps (advance it with ``.value += 1``);
        the status says ``what`` meanwhile and is cleared when the work succeeds."""
        self.status.value = html.escape(f"{what}…")
        self.progress.description = what
        self.progress.max, self.progress.value = max(1, steps), 0
        self.progress.layout.display = SHOWN
        try:
            yield self.progress
        finally:
            self.progress.layout.display = HIDDEN
        self.status.value = ""

    def show_error(self, message: object) -> None:
        """One readable line in the status, never a traceback."""
        self.status.value = error_html(message)

    def show_info(self, message: str) -> None:
        self.status.value = html.escape(message)
