"""Models: the NumPy event-RNN engine and the Magenta families built on it."""

from magwidgets.models.configs import CONFIGS, RnnConfig
from magwidgets.models.drums import DrumsRNN
from magwidgets.models.event_rnn import EventRNN, Generation
from magwidgets.models.loading import load_model
from magwidgets.models.improv import ImprovRNN
from magwidgets.models.melody import MelodyRNN
from magwidgets.models.music_vae import MusicVAE
from magwidgets.models.polyphony import PolyphonyRNN

__all__ = ["CONFIGS", "DrumsRNN", "EventRNN", "Generation", "ImprovRNN", "MelodyRNN", "MusicVAE",
           "PolyphonyRNN", "RnnConfig", "load_model"]
