"""Performance RNN (Magenta's ``performance_rnn``): expressive piano in 10 ms steps."""

from magwidgets.families.event_rnn import event_rnn_family
from magwidgets.families.performance_rnn.configs import CONFIGS
from magwidgets.families.performance_rnn.hub import HUB_MODELS
from magwidgets.families.performance_rnn.model import PerformanceRNN

FAMILY = event_rnn_family(
    "performance_rnn", "Performance RNN", CONFIGS, PerformanceRNN, HUB_MODELS,
    summary="plays expressive piano: timing and loudness in 10 ms steps",
    widget="magwidgets.families.performance_rnn.widget:PerformanceRNNWidget")

__all__ = ["CONFIGS", "FAMILY", "PerformanceRNN"]
