"""A Bokeh view of audio, built once and then only given new data: the amplitude envelope over
a spectrogram, with a playhead on both (the audio twin of ``PianoRoll``)."""

from __future__ import annotations

from typing import Any

from bokeh.layouts import column
from bokeh.models import ColumnDataSource, LinearColorMapper, Range1d, Span
from bokeh.plotting import figure as bokeh_figure

from magwidgets.io.waveform import Waveform
from magwidgets.render import waveform_data as data
from magwidgets.render.pianoroll_figure import ShownFigure

DEFAULT_WIDTH = 1000  # pixels
ENVELOPE_HEIGHT, SPECTROGRAM_HEIGHT = 140, 220
_PALETTE = "Viridis256"


class WaveformPlot(ShownFigure):
    """``WaveformPlot(waveform)``: ``figure`` (a Bokeh layout), ``update(waveform)``,
    ``set_playhead(seconds)`` and ``widget()`` for notebooks and Voilà."""

    def __init__(self, waveform: Waveform, *, width: int = DEFAULT_WIDTH) -> None:
        self.time_range = Range1d(0.0, 1.0)
        self.envelope = ColumnDataSource({"time": [], "low": [], "high": []})
        self.image = ColumnDataSource({"image": [], "x": [], "y": [], "dw": [], "dh": []})
        top = bokeh_figure(width=width, height=ENVELOPE_HEIGHT, x_range=self.time_range,
                           toolbar_location=None, title="Waveform", y_axis_label="amplitude")
        top.varea(x="time", y1="low", y2="high", source=self.envelope, fill_color="#3b6ea8")
        bottom = bokeh_figure(width=width, height=SPECTROGRAM_HEIGHT, x_range=self.time_range,
                              toolbar_location=None, title="Spectrogram",
                              x_axis_label="seconds", y_axis_label="Hz")
        mapper = LinearColorMapper(palette=_PALETTE, low=data.MIN_DB, high=0.0)
        bottom.image(image="image", x="x", y="y", dw="dw", dh="dh", source=self.image,
                     color_mapper=mapper)
        self.playheads = [Span(location=0.0, dimension="height", line_color="#d62728",
                               line_width=2) for _ in range(2)]
        for plot, playhead in zip((top, bottom), self.playheads):
            plot.add_layout(playhead)
        self.spectrogram_plot = bottom
        self.figure = column(top, bottom)
        self.update(waveform)

    def update(self, waveform: Waveform) -> None:
        """Draw ``waveform`` in the same figure (a widget showing it changes in place)."""
        rate = waveform.sample_rate or 1
        seconds = max(len(waveform) / rate, 1.0 / rate)
        self.envelope.data = data.envelope(waveform, rate)
        self.image.data = {"image": [data.spectrogram(waveform, rate)], "x": [0.0],
                           "y": [0.0], "dw": [seconds], "dh": [rate / 2.0]}
        self.spectrogram_plot.y_range.start, self.spectrogram_plot.y_range.end = 0.0, rate / 2
        self.time_range.start, self.time_range.end = 0.0, seconds
        self.set_playhead(0.0)

    def set_playhead(self, seconds: float) -> None:
        """Move the playhead on both plots to ``seconds``."""
        for playhead in self.playheads:
            playhead.location = float(seconds)



def waveform_figure(waveform: Waveform, **options: Any):
    """The Bokeh layout of ``WaveformPlot(waveform, **options)``."""
    return WaveformPlot(waveform, **options).figure
