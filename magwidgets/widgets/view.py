"""``show``: a view of one piece of music, updated in place — a pianoroll and a player for a
NoteSequence, a waveform and spectrogram with a player for audio, both for audio with notes."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
from note_seq.protobuf import music_pb2

from magwidgets.io.sequences import SequenceLike, to_note_sequence
from magwidgets.io.waveform import Waveform
from magwidgets.render.pianoroll_figure import PianoRoll
from magwidgets.render.waveform_figure import WaveformPlot
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


class AudioView(widgets.VBox):
    """A model's audio: its waveform and spectrogram above a player whose playhead they
    follow; with ``sequence`` (a transcription) its pianoroll too, in sync with the audio."""

    def __init__(self, waveform: Waveform, sequence: music_pb2.NoteSequence | None = None,
                 *, player_options: dict[str, Any] | None = None,
                 **pianoroll_options: Any) -> None:
        self.plot = WaveformPlot(waveform)
        self.pianoroll_options = pianoroll_options
        self.pianoroll: PianoRoll | None = None
        self.player = Player(None, **(player_options or {}))
        self.player.clock.observe(self._follow_playback, "current_time")
        super().__init__()
        self.update(waveform, sequence)

    def _follow_playback(self, change: dict[str, Any]) -> None:
        self.plot.set_playhead(change["new"])
        if self.pianoroll is not None:
            self.pianoroll.set_playhead(change["new"])

    def update(self, waveform: Waveform, sequence: music_pb2.NoteSequence | None = None) -> None:
        """Show new audio (and notes) in the same plots and player."""
        self.plot.update(waveform)
        parts: list[widgets.Widget] = [self.plot.widget()]
        if sequence is not None:
            if self.pianoroll is None:
                self.pianoroll = PianoRoll(sequence, **self.pianoroll_options)
            else:
                self.pianoroll.update(sequence)
            parts.append(self.pianoroll.widget())
        self.player.update_audio(waveform, sequence)
        self.children = (*parts, self.player)


def view_for(music: Any, **options: Any) -> SequenceView | AudioView:
    """The view that shows ``music``: audio (a ``Waveform``, or a ``(Waveform, NoteSequence)``
    pair) gets an ``AudioView``, anything else ``to_note_sequence`` reads a SequenceView."""
    if isinstance(music, Waveform):
        return AudioView(music, player_options=options.get("player_options"))
    if isinstance(music, tuple) and len(music) == 2 and isinstance(music[0], Waveform):
        return AudioView(music[0], music[1], **options)
    return SequenceView(music, **options)


def show(music: Any, **options: Any) -> SequenceView | AudioView:
    """Display ``music``: a pianoroll, an audio player and a MIDI download for a NoteSequence,
    PrettyMIDI object or MIDI path; a waveform, spectrogram and player for a ``Waveform``;
    both for a ``(Waveform, NoteSequence)`` pair. ``options`` go to the view (``primer_end``,
    ``player_options`` and pianoroll options). Returns the view, whose ``update()`` changes
    what it shows in place.
    """
    from IPython.display import display

    view = view_for(music, **options)
    display(view)
    return view
