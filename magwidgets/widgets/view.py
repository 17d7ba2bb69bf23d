"""``show``: a pianoroll and a player for one piece of music, updated in place."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from magwidgets.io.sequences import SequenceLike, to_note_sequence
from magwidgets.render.pianoroll_figure import PianoRoll
from magwidgets.widgets.player import Player


class SequenceView(widgets.VBox):
    """Pianoroll (a jupyter_bokeh widget) above a ``Player``; its playhead follows the audio."""

    def __init__(self, music: SequenceLike = None, *, primer_end: float | None = None,
                 player_options: dict[str, Any] | None = None, **pianoroll_options: Any) -> None:
        sequence = to_note_sequence(music)
        self.pianoroll = PianoRoll(sequence, primer_end=primer_end, **pianoroll_options)
        self.player = Player(sequence, **(player_options or {}))
        self.player.clock.observe(self._follow_playback, "current_time")
        super().__init__(children=(self.pianoroll.widget(), self.player))

    def _follow_playback(self, change: dict[str, Any]) -> None:
        self.pianoroll.set_playhead(change["new"])

    def update(self, music: SequenceLike, primer_end: float | None = None) -> None:
        """Show new music in the same pianoroll and player (no new output is created)."""
        sequence = to_note_sequence(music)
        self.pianoroll.update(sequence, primer_end=primer_end)
        self.player.update(sequence)


def show(music: SequenceLike, **options: Any) -> SequenceView:
    """Display a pianoroll, an audio player and a MIDI download for ``music``.

    ``music`` is a NoteSequence, a PrettyMIDI object or a MIDI file path; ``options`` go to
    ``SequenceView`` (``primer_end``, ``player_options`` and pianoroll options). Returns the
    view, whose ``update()`` changes what it shows in place.
    """
    from IPython.display import display

    view = SequenceView(music, **options)
    display(view)
    return view
