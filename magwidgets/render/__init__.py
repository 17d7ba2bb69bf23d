"""Seeing and hearing music: Bokeh pianorolls and audio rendering."""

from magwidgets.render.audio import Waveform, find_soundfont, synthesize, to_wav_bytes
from magwidgets.render.pianoroll_figure import PianoRoll, PianoRollWidget, load_bokehjs, pianoroll

__all__ = ["PianoRoll", "PianoRollWidget", "Waveform", "find_soundfont", "load_bokehjs",
           "pianoroll", "synthesize", "to_wav_bytes"]
