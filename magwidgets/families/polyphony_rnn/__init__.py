"""Polyphony RNN (Magenta's ``polyphony_rnn``): continues or harmonizes polyphonic music."""

from magwidgets.families.event_rnn import event_rnn_family
from magwidgets.families.polyphony_rnn.configs import CONFIGS
from magwidgets.families.polyphony_rnn.hub import HUB_MODELS
from magwidgets.families.polyphony_rnn.model import PolyphonyRNN

FAMILY = event_rnn_family(
    "polyphony_rnn", "Polyphony RNN", CONFIGS, PolyphonyRNN, HUB_MODELS,
    summary="continues polyphonic music, or harmonizes a melody",
    widget="magwidgets.families.polyphony_rnn.widget:PolyphonyRNNWidget")

__all__ = ["CONFIGS", "FAMILY", "PolyphonyRNN"]
