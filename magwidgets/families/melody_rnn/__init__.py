"""Melody RNN (Magenta's ``melody_rnn``): continues a monophonic melody."""

from magwidgets.families.event_rnn import event_rnn_family
from magwidgets.families.melody_rnn.configs import CONFIGS
from magwidgets.families.melody_rnn.hub import HUB_MODELS
from magwidgets.families.melody_rnn.model import MelodyRNN

FAMILY = event_rnn_family(
    "melody_rnn", "Melody RNN", CONFIGS, MelodyRNN, HUB_MODELS,
    summary="continues a melody, one note at a time",
    widget="magwidgets.families.melody_rnn.widget:MelodyRNNWidget")

__all__ = ["CONFIGS", "FAMILY", "MelodyRNN"]
