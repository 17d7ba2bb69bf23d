"""Seeing and hearing music: Bokeh pianorolls and audio rendering."""

from magwidgets.render.audio import Waveform, find_soundfont, synthesize, to_wav_bytes
from magwidgets.render.page import music_page, write_music_page
from magwidgets.render.pianoroll_figure import PianoRoll, PianoRollWidget, load_bokehjs, pianoroll

__all__ = ["PianoRoll", "PianoRollWidget", "Waveform", "find_soundfont", "load_bokehjs",
           "music_page", "pianoroll", "synthesize", "to_wav_bytes", "write_music_page"]
