"""Drums RNN (Magenta's ``drums_rnn``): continues a drum pattern."""

from magwidgets.families.drums_rnn.configs import CONFIGS
from magwidgets.families.drums_rnn.hub import HUB_MODELS
from magwidgets.families.drums_rnn.model import DrumsRNN
from magwidgets.families.event_rnn import event_rnn_family

FAMILY = event_rnn_family(
    "drums_rnn", "Drums RNN", CONFIGS, DrumsRNN, HUB_MODELS,
    summary="continues a drum pattern (kick, snare, hi-hats, toms, cymbals)",
    widget="magwidgets.families.drums_rnn.widget:DrumsRNNWidget")

__all__ = ["CONFIGS", "DrumsRNN", "FAMILY"]
