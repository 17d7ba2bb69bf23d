"""Jupyter widgets: the audio player and the pianoroll + player view."""

from magwidgets.widgets.player import Player
from magwidgets.widgets.view import SequenceView, show

__all__ = ["Player", "SequenceView", "show"]
