"""Improv RNN (Magenta's ``improv_rnn``): a melody over a chord progression."""

from magwidgets.families.event_rnn import event_rnn_family
from magwidgets.families.improv_rnn.configs import CONFIGS
from magwidgets.families.improv_rnn.hub import HUB_MODELS
from magwidgets.families.improv_rnn.model import ImprovRNN

FAMILY = event_rnn_family(
    "improv_rnn", "Improv RNN", CONFIGS, ImprovRNN, HUB_MODELS,
    summary="improvises a melody over chords",
    widget="magwidgets.families.improv_rnn.widget:ImprovRNNWidget")

__all__ = ["CONFIGS", "FAMILY", "ImprovRNN"]
