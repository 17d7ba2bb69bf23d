"""A Bokeh pianoroll that is built once and then only has its data replaced.

``PianoRoll(music)`` draws a NoteSequence (or PrettyMIDI / MIDI file) with note names on
the pitch rows, named drum rows below them, a beat/bar grid with alternating bar shading,
a bar axis on top, chord symbols above the roll, a shaded primer and a movable playhead.
``update()`` swaps the data of the same models, so a jupyter_bokeh widget showing it
changes in place. Exports need no network: HTML embeds BokehJS inline, and PNG/SVG are
rendered by a headless Chromium (Debian package ``chromium``) from that HTML.

Memory: notes are kept as columnar NumPy arrays (a 50,000-note, 30-minute sequence is a
few MB); only the first ``MAX_NOTES_DRAWN`` notes by start time are drawn, with a message.
"""

from __future__ import annotations

import base64
import functools
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, cast

import numpy as np
from bokeh.embed import file_html
from bokeh.models import ColumnDataSource, FixedTicker, HoverTool, LinearAxis, NoOverlap, Range1d
from bokeh.models.annotations import Label, Span
from bokeh.plotting import figure as bokeh_figure
from bokeh.resources import INLINE
from jupyter_bokeh import BokehModel
from note_seq.protobuf import music_pb2

from magwidgets.errors import RenderError
from magwidgets.io.sequences import SequenceLike, to_note_sequence
from magwidgets.render import pianoroll_data as data
from magwidgets.validation import check_number

DEFAULT_WIDTH = 1000  # pixels
ROW_HEIGHT = 18  # pixels per row when the height is chosen automatically
MIN_HEIGHT, MAX_HEIGHT = 260, 760  # pixels, bounds of the automatic height
FRAME_MARGIN = 110  # pixels taken by the title, the two time axes and the toolbar
DEFAULT_WINDOW_BARS = 8  # bars visible before the user zooms or pans
EMPTY_WINDOW_BARS = 8  # bars of grid drawn for an empty sequence
NOTE_HEIGHT = 0.8  # rows; the rest is a gap between neighbouring rows
PRIMER_COLOR, PRIMER_ALPHA = "#f5c542", 0.22
PRIMER_TEXT_COLOR = "#9c7a00"
SUSTAIN_COLOR, SUSTAIN_ALPHA = "#6a51a3", 0.35
PLAYHEAD_COLOR, PLAYHEAD_WIDTH = "#d62728", 2  # pixels
EMPTY_MESSAGE = "no notes"
# Wheel zoom is offered but not active, so the roll does not trap the page's scrolling.
TOOLS = "xpan,xwheel_zoom,box_zoom,reset,save"
CHROMIUM_COMMANDS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_PACKAGE = "chromium"  # Debian/Ubuntu package that provides /usr/bin/chromium
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars")
WINDOW_MARGIN = 100  # pixels of browser window around the figure when exporting
RENDER_BUDGET_MS = 5000  # virtual time Chromium gives the page to draw before dumping it
CHROMIUM_TIMEOUT_S = 120
EXPORT_ID = "magwidgets-export"
# Runs inside the exported page: once Bokeh is idle, ask the plot view for a PNG or SVG
# (the same call bokeh.io.export_svg makes through Selenium) and put it, base64, in the DOM.
EXPORT_SCRIPT = """<script>
(function () {
  function attempt() {
    const doc = window.Bokeh && Bokeh.documents[0];
    if (doc && doc.is_idle) {
      for (const view of Bokeh.index) {
        if (view.model.id !== "%(id)s") continue;
        const layer = view.export("%(kind)s");
        const out = document.createElement("pre");
        out.id = "%(out)s";
        out.textContent = "%(kind)s" === "svg"
          ? btoa(unescape(encodeURIComponent(layer.ctx.get_serialized_svg(true))))
          : layer.canvas.toDataURL("image/png").split(",")[1];
        document.body.appendChild(out);
        return;
      }
    }
    setTimeout(attempt, 50);
  }
  attempt();
})();
</script>"""


@functools.cache
def _load_bokehjs_inline() -> None:
    from bokeh.io import output_notebook

    output_notebook(resources=INLINE, hide_banner=True)


def load_bokehjs() -> None:
    """Load BokehJS into the running notebook or Voilà page, inline (no CDN), once.

    Voilà cannot create a ``BokehModel`` view before BokehJS is on the page, and
    classrooms are often offline. Outside IPython this does nothing.
    """
    from IPython import get_ipython

    if get_ipython() is not None:
        _load_bokehjs_inline()


def find_chromium() -> str:
    """Path of a Chromium/Chrome executable, for PNG/SVG export.

    Raises:
        RenderError: none is on PATH (names the package to install).
    """
    for command in CHROMIUM_COMMANDS:
        path = shutil.which(command)
        if path:
            return path
    raise RenderError(
        f"PNG/SVG export needs a headless Chromium: expected one of {', '.join(CHROMIUM_COMMANDS)} "
        f"on PATH, found none (on Debian/Ubuntu: apt-get install {CHROMIUM_PACKAGE})")


class PianoRollWidget(BokehModel):  # type: ignore[misc]  # jupyter_bokeh has no type hints
    """A ``BokehModel`` whose full state is always the current document.

    Views that exist get every change as a document patch. A view made later (Voilà asks
    for widget state only after the notebook has run; a reloaded page) would get the first
    bundle, so after a change the bundle is rebuilt, without syncing, when state is asked.
    """

    _stale = False

    def _document_patched(self, event: Any) -> None:
        self._stale = True
        super()._document_patched(event)

    def get_state(self, key: Any = None, drop_defaults: bool = False) -> dict[str, Any]:
        wanted = key is None or key == "render_bundle" or (
            not isinstance(key, str) and "render_bundle" in key)
        if self._stale and wanted:
            # Set the stored value directly: assigning the trait would re-send the whole
            # document and make every live view draw itself again.
            self._trait_values["render_bundle"] = self._model_to_traits(self._model)
            self._stale = False
        state: dict[str, Any] = super().get_state(key, drop_defaults)
        return state


class ShownFigure:
    """A Bokeh ``figure`` built once, shown as one jupyter_bokeh widget that follows every
    later change of its data (the pianoroll's and the waveform view's shared surface)."""

    figure: Any
    _widget: PianoRollWidget | None = None

    def widget(self) -> PianoRollWidget:
        """This figure as a jupyter_bokeh widget (one per figure) that follows ``update``.

        Loads BokehJS inline first, so it also works in Voilà and offline.
        """
        if self._widget is None:
            load_bokehjs()
            self._widget = PianoRollWidget(self.figure)
        return self._widget

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())  # type: ignore[no-untyped-call]


def _check_positive_int(name: str, value: object) -> None:
    check_number(name, value, low=1, integer=True, error=RenderError)


def _check_time(name: str, value: object) -> None:
    check_number(f"{name} (seconds)", value, low=0.0, error=RenderError)


def _background(sequence: music_pb2.NoteSequence, layout: data.RowLayout, grid: data.Columns,
                end: float, primer_end: float | None) -> dict[str, data.Columns]:
    """Data of every source but the notes: row and bar shading, primer, pedal, grid, chords."""
    bottom, top = layout.bottom, layout.top

    def spanning(columns: data.Columns, key: str) -> data.Columns:
        count = len(columns[key])
        return {**columns, "bottom": [bottom] * count, "top": [top] * count}

    rows = data.row_shading(layout)
    sustain = data.sustain_regions(sequence, end)
    chords = data.chord_labels(sequence)
    primer = int(primer_end is not None and primer_end > 0)
    return {
        "rows": {**rows, "left": [0.0] * len(rows["y"]), "right": [end] * len(rows["y"])},
        "bars": spanning(data.bar_shading(sequence, end), "left"),
        "primer": {"left": [0.0] * primer, "right": [primer_end] * primer,
                   "bottom": [bottom] * primer, "top": [top] * primer,
                   "x": [(primer_end or 0.0) / 2] * primer, "y": [(bottom + top) / 2] * primer,
                   "text": ["primer"] * primer},
        "sustain": {**sustain, "y": [layout.sustain_y] * len(sustain["left"])},
        "grid": spanning(grid, "x"),
        "chords": {**chords, "y": [layout.chord_y] * len(chords["text"])},
    }


class PianoRoll(ShownFigure):
    """A pianoroll figure with note, grid, shading, chord and playhead layers.

    Args:
        music: NoteSequence, PrettyMIDI, MIDI/textproto path or None (an empty roll).
        color_by: "instrument" (a colour per instrument/program, drums apart) or
            "velocity"; velocity always sets the opacity too.
        primer_end: seconds; the region before it is shaded as the primer.
        window_bars: bars visible at first (zoom and pan show the rest).
        width, height: pixels; the height follows the number of rows when None.
        title: shown above the roll.
        max_notes: draw at most this many notes (the first by start time) and say so.

    ``sequence`` is the NoteSequence shown; ``playhead`` the Bokeh ``Span`` that
    ``set_playhead`` moves; ``message`` the Label for "no notes" and the note cap.
    """

    def __init__(self, music: SequenceLike = None, *, color_by: str = "instrument",
                 primer_end: float | None = None, window_bars: int = DEFAULT_WINDOW_BARS,
                 width: int = DEFAULT_WIDTH, height: int | None = None,
                 title: str | None = None, max_notes: int = data.MAX_NOTES_DRAWN) -> None:
        if color_by not in data.COLOR_MODES:
            raise RenderError(f"color_by must be one of {data.COLOR_MODES}, got {color_by!r}")
        _check_positive_int("window_bars", window_bars)
        _check_positive_int("max_notes", max_notes)
        self.color_by = color_by
        self.window_bars = window_bars
        self.max_notes = max_notes
        self._auto_height = height is None
        self._x_range, self._y_range = Range1d(start=0, end=1), Range1d(start=0, end=1)
        self._row_ticker, self._bar_ticker = FixedTicker(ticks=[]), FixedTicker(ticks=[])
        self.figure = bokeh_figure(
            width=width, height=height or MIN_HEIGHT, title=title, tools=TOOLS,
            active_drag="xpan", x_range=self._x_range, y_range=self._y_range,
            x_axis_label="time (seconds)", toolbar_location="right", output_backend="canvas")
        self.figure.grid.visible = False
        self._sources = {name: ColumnDataSource() for name in
                         ("rows", "bars", "primer", "sustain", "grid", "notes", "chords")}
        self._draw_layers()
        self.playhead = Span(location=0, dimension="height", line_color=PLAYHEAD_COLOR,
                             line_width=PLAYHEAD_WIDTH)
        self.message = Label(x=0, y=0, text="", text_align="center", text_baseline="middle",
                             text_font_size="16pt", text_color="#777777", visible=False)
        self.figure.add_layout(self.playhead)
        self.figure.add_layout(self.message)
        self.update(music, primer_end=primer_end)

    def _draw_layers(self) -> None:
        fig, src = self.figure, self._sources
        fig.hbar(y="y", height=1, left="left", right="right", fill_color="color",
                 fill_alpha=data.SHADE_ALPHA, line_color=None, source=src["rows"])
        fig.quad(left="left", right="right", bottom="bottom", top="top",
                 fill_color=data.BAR_SHADE_COLOR, fill_alpha=data.SHADE_ALPHA, line_color=None,
                 source=src["bars"])
        fig.quad(left="left", right="right", bottom="bottom", top="top", fill_color=PRIMER_COLOR,
                 fill_alpha=PRIMER_ALPHA, line_color=None, source=src["primer"])
        fig.text(x="x", y="y", text="text", text_align="center", text_baseline="middle",
                 text_font_size="20pt", text_font_style="bold", text_color=PRIMER_TEXT_COLOR,
                 text_alpha=0.5, source=src["primer"])
        fig.hbar(y="y", height=NOTE_HEIGHT, left="left", right="right", fill_color=SUSTAIN_COLOR,
                 fill_alpha=SUSTAIN_ALPHA, line_color=None, source=src["sustain"])
        fig.segment(x0="x", y0="bottom", x1="x", y1="top", line_color="color",
                    line_width="width", source=src["grid"])
        notes = fig.hbar(y="y", height=NOTE_HEIGHT, left="start", right="end",
                         fill_color="color", fill_alpha="alpha", line_color="color",
                         line_alpha=0.9, source=src["notes"])
        fig.text(x="time", y="y", text="text", text_baseline="middle", x_offset=3,
                 text_font_size="10pt", text_font_style="bold", text_color="#333333",
                 source=src["chords"])
        fig.add_tools(HoverTool(renderers=[notes], tooltips=[
            ("note", "@name"), ("velocity", "@velocity"), ("start", "@start{0.000} s"),
            ("end", "@end{0.000} s"), ("instrument", "@track"), ("part", "@part")]))
        fig.yaxis.ticker = self._row_ticker
        fig.yaxis.major_label_policy = NoOverlap(min_distance=0)
        fig.yaxis.major_label_text_font_size = "8pt"
        fig.xaxis.major_label_policy = NoOverlap(min_distance=8)
        self.bar_axis = LinearAxis(axis_label="bar", major_label_policy=NoOverlap(min_distance=8))
        self.bar_axis.ticker = self._bar_ticker  # type: ignore[assignment]  # stubs: BasicTicker
        fig.add_layout(self.bar_axis, "above")

    def update(self, music: SequenceLike, primer_end: float | None = None) -> None:
        """Show ``music`` instead: replaces the sources' data, axis ticks and ranges only.

        Raises:
            PrimerError: ``music`` is not a sequence, PrettyMIDI or readable file.
            RenderError: ``primer_end`` is negative or not finite.
        """
        if primer_end is not None:
            _check_time("primer_end", primer_end)
            primer_end = float(primer_end)
        sequence = to_note_sequence(music)
        layout = data.row_layout(sequence)
        min_bars = EMPTY_WINDOW_BARS if not sequence.notes else 1
        end = max(data.whole_bars_end(sequence, min_bars), primer_end or 0.0)
        notes = data.notes_to_columns(sequence, self.color_by, primer_end, layout, self.max_notes)
        grid = data.grid_lines(sequence, end)
        self.sequence, self._end = sequence, end
        for name, columns in _background(sequence, layout, grid, end, primer_end).items():
            self._sources[name].data = columns
        self._sources["notes"].data = notes
        labels = layout.labels()
        self._row_ticker.ticks = sorted(labels)
        self.figure.yaxis.major_label_overrides = {float(y): name for y, name in labels.items()}
        is_bar = np.asarray(grid["is_bar"])
        bar_starts = np.asarray(grid["x"])[is_bar].tolist()
        self._bar_ticker.ticks = bar_starts
        self.bar_axis.major_label_overrides = {
            x: str(bar) for x, bar in zip(bar_starts, np.asarray(grid["bar"])[is_bar].tolist())}
        window = min(self.window_bars * data.bar_seconds(sequence), end)
        self._x_range.update(start=0, end=window, bounds=(0, end), reset_start=0, reset_end=window)
        bottom, top = layout.bottom, layout.top
        self._y_range.update(start=bottom, end=top, bounds=(bottom, top), reset_start=bottom,
                             reset_end=top)
        if self._auto_height:
            self.figure.height = int(min(max((top - bottom) * ROW_HEIGHT + FRAME_MARGIN,
                                             MIN_HEIGHT), MAX_HEIGHT))
        self._show_message(len(sequence.notes), len(notes["start"]), window, bottom, top)

    def _show_message(self, total: int, drawn: int, window: float, bottom: float,
                      top: float) -> None:
        if total == 0:
            text, x, y, align = EMPTY_MESSAGE, window / 2, (bottom + top) / 2, "center"
        elif drawn < total:
            text, x, y, align = f"first {drawn:,} of {total:,} notes drawn", 0.0, top - 1, "left"
        else:
            self.message.visible = False
            return
        self.message.update(text=text, x=x, y=y, text_align=align, visible=True)

    def set_playhead(self, seconds: float, follow: bool = True) -> None:
        """Move the playhead (``self.playhead``, a Bokeh ``Span``) to ``seconds``.

        With ``follow``, a playhead leaving the visible window turns the page: the window
        keeps its width and starts at the playhead.

        Raises:
            RenderError: ``seconds`` is negative or not finite.
        """
        _check_time("playhead position", seconds)
        self.playhead.location = float(seconds)
        shown = cast(float, self._x_range.start), cast(float, self._x_range.end)
        if follow and not shown[0] <= seconds <= shown[1]:
            width = shown[1] - shown[0]
            start = max(min(seconds, self._end - width), 0.0)
            self._x_range.update(start=start, end=start + width)

    def html(self, title: str = "magwidgets pianoroll") -> str:
        """A standalone HTML page with BokehJS inline (works offline, no CDN).

        The figure stays free for ``bokeh.io.show()`` afterwards."""
        had_document = self.figure.document is not None
        page = file_html(self.figure, resources=INLINE, title=title)
        if not had_document and self.figure.document is not None:
            # file_html adds the figure to a new Document and leaves it there; a later
            # bokeh.io.show() would then fail ("Models must be owned by only a single document").
            self.figure.document.remove_root(self.figure)
        return page

    def to_html(self, path: str | Path, title: str = "magwidgets pianoroll") -> Path:
        """Write a standalone HTML page with BokehJS inline (works offline, no CDN)."""
        path = Path(path)
        path.write_text(self.html(title), encoding="utf-8")
        return path

    def _export(self, kind: str) -> bytes:
        chromium = find_chromium()
        script = EXPORT_SCRIPT % {"id": self.figure.id, "kind": kind, "out": EXPORT_ID}
        page = self.html("export")
        with tempfile.TemporaryDirectory(prefix="magwidgets-chromium-") as folder:
            html = Path(folder) / "roll.html"
            html.write_text(page.replace("</body>", script + "\n</body>"), encoding="utf-8")
            width, height = self.figure.width or DEFAULT_WIDTH, self.figure.height or MAX_HEIGHT
            size = f"--window-size={width + WINDOW_MARGIN},{height + WINDOW_MARGIN}"
            command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={Path(folder) / 'profile'}",
                       size, f"--virtual-time-budget={RENDER_BUDGET_MS}", "--dump-dom",
                       html.as_uri()]
            try:
                done = subprocess.run(command, capture_output=True, text=True,
                                      timeout=CHROMIUM_TIMEOUT_S, check=False)
            except subprocess.TimeoutExpired as err:
                raise RenderError(
                    f"{chromium} did not finish in {CHROMIUM_TIMEOUT_S} s") from err
        found = re.search(f'<pre id="{EXPORT_ID}">([A-Za-z0-9+/=]+)</pre>', done.stdout)
        if found is None:
            raise RenderError(
                f"{chromium} did not draw the pianoroll (exit {done.returncode}): "
                f"{done.stderr.strip()[-500:]}")
        return base64.b64decode(found.group(1))

    def to_png(self, path: str | Path) -> Path:
        """Write the plot as a PNG, drawn by headless Chromium (no Selenium needed)."""
        path = Path(path)
        path.write_bytes(self._export("png"))
        return path

    def to_svg(self, path: str | Path) -> Path:
        """Write the plot as an SVG, drawn by headless Chromium with Bokeh's SVG backend."""
        path = Path(path)
        path.write_bytes(self._export("svg"))
        return path


def pianoroll(music: SequenceLike = None, **options: Any) -> bokeh_figure:
    """The Bokeh figure of ``PianoRoll(music, **options)`` (see ``PianoRoll`` for options)."""
    return PianoRoll(music, **options).figure

