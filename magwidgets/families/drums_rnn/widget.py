"""The Drums RNN widget."""

from __future__ import annotations

from magwidgets.families.event_rnn.widget import EventRNNWidget


class DrumsRNNWidget(EventRNNWidget):
    """Drums RNN (``drum_kit``, ``one_drum``): continues a drum pattern from the grid, a
    MIDI file or the last result."""

    primer_sources = ("none", "grid", "midi", "last")
    family = "drums_rnn"
    model_kind = "drums_rnn models (drum_kit, one_drum)"
