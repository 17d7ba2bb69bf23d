"""The Melody RNN widget."""

from __future__ import annotations

from magwidgets.families.event_rnn.widget import EventRNNWidget


class MelodyRNNWidget(EventRNNWidget):
    """Melody RNN (``basic_rnn``, ``mono_rnn``, ``lookback_rnn``, ``attention_rnn``):
    continues one melodic line."""

    family = "melody_rnn"
    model_kind = "melody_rnn models (basic_rnn, mono_rnn, lookback_rnn, attention_rnn)"
