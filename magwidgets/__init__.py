"""magwidgets: Google Magenta's music models on current Python, in NumPy, for Jupyter.

>>> import magwidgets as mw
>>> model = mw.load_model("drum_kit_rnn.mag")
>>> sequence = model.generate(steps=32, temperature=1.0, seed=0)
>>> mw.show(sequence)  # pianoroll + audio player + MIDI download, in a notebook
"""

import contextlib as _contextlib
import io as _io
import warnings as _warnings

# note-seq imports pydub, which warns at import about an ffmpeg (and, on Python 3.11-3.12, the
# audioop module) that magwidgets never uses; pretty_midi imports pyfluidsynth, which prints
# where it found libfluidsynth to stdout whenever the CI variable is set. Quiet exactly those.
with _warnings.catch_warnings(), _contextlib.redirect_stdout(_io.StringIO()):
    _warnings.filterwarnings("ignore", message="Couldn't find ffmpeg", category=RuntimeWarning)
    _warnings.filterwarnings("ignore", message="'audioop' is deprecated",
                             category=DeprecationWarning)
    import note_seq  # noqa: F401
    import pretty_midi  # noqa: F401

from magwidgets import hub
from magwidgets.errors import (
    BundleError,
    GenerationError,
    MagwidgetsError,
    PrimerError,
    RenderError,
    SynthesisError,
)
from magwidgets.families import EVENT_RNN_CONFIGS as CONFIGS
from magwidgets.families import FAMILIES
from magwidgets.families.drums_rnn import DrumsRNN
from magwidgets.families.drums_rnn.widget import DrumsRNNWidget
from magwidgets.families.event_rnn import EventRNN, Generation
from magwidgets.families.gansynth import GANSynth
from magwidgets.families.gansynth.widget import GANSynthWidget
from magwidgets.families.improv_rnn import ImprovRNN
from magwidgets.families.improv_rnn.widget import ImprovRNNWidget
from magwidgets.families.melody_rnn import MelodyRNN
from magwidgets.families.melody_rnn.widget import MelodyRNNWidget
from magwidgets.families.music_transformer import MusicTransformer
from magwidgets.families.music_vae import MusicVAE
from magwidgets.families.music_vae.widget import GrooVAEWidget, MusicVAEWidget
from magwidgets.families.nsynth import NSynth
from magwidgets.families.onsets_frames import OnsetsAndFrames
from magwidgets.families.onsets_frames.widget import TranscriptionWidget
from magwidgets.families.performance_rnn.widget import PerformanceRNNWidget
from magwidgets.families.polyphony_rnn import PolyphonyRNN
from magwidgets.families.polyphony_rnn.widget import PolyphonyRNNWidget
from magwidgets.io import to_note_sequence
from magwidgets.loading import load_model
from magwidgets.render import PianoRoll, Waveform, find_soundfont, pianoroll, synthesize
from magwidgets.starter import starter_models
from magwidgets.widgets import Player, SequenceView, show

__version__ = "0.1.0"

__all__ = [
    "CONFIGS",
    "BundleError",
    "DrumsRNN",
    "DrumsRNNWidget",
    "EventRNN",
    "FAMILIES",
    "GenerationError",
    "GrooVAEWidget",
    "Generation",
    "ImprovRNN",
    "ImprovRNNWidget",
    "MagwidgetsError",
    "MelodyRNN",
    "MelodyRNNWidget",
    "MusicVAE",
    "MusicVAEWidget",
    "GANSynth",
    "GANSynthWidget",
    "MusicTransformer",
    "NSynth",
    "OnsetsAndFrames",
    "TranscriptionWidget",
    "PerformanceRNNWidget",
    "PianoRoll",
    "Player",
    "PolyphonyRNN",
    "PolyphonyRNNWidget",
    "PrimerError",
    "RenderError",
    "SequenceView",
    "SynthesisError",
    "Waveform",
    "find_soundfont",
    "hub",
    "starter_models",
    "load_model",
    "pianoroll",
    "show",
    "synthesize",
    "to_note_sequence",
]
