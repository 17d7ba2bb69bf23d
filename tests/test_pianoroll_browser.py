"""The exported pianoroll opened in a real headless Chromium (Debian package ``chromium``).

These tests fail, rather than skip, when Chromium is missing: CI installs it.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from google.protobuf import text_format
from PIL import Image

from browser import evaluate_until, voila_server

from magwidgets.errors import RenderError
from magwidgets.render.pianoroll_figure import CHROMIUM_FLAGS, CHROMIUM_PACKAGE, PianoRoll
from test_pianoroll import BAR, trio

WINDOW = (1200, 900)  # pixels, larger than the figure below
FIGURE = (1000, 760)  # tall enough for every row label of the trio
RENDER_BUDGET = "--virtual-time-budget=5000"  # ms of virtual time for BokehJS to draw
WHITE = 250  # channel value above which a pixel counts as background
# Read in the Voilà page: the playhead, the primer's end and the chord texts BokehJS holds.
PROBE = """(() => {
  if (document.body.innerText.includes("Could not create a view")) return "view error";
  const found = [];
  for (const doc of (window.Bokeh ? Bokeh.documents : [])) {
    for (const model of doc.all_models) {
      const kind = model.constructor.__name__;
      if (kind === "Span") found.push("playhead " + model.location);
      if (kind === "ColumnDataSource" && model.data.x && model.data.right)
        found.push("primer " + Array.from(model.data.right));
      if (kind === "ColumnDataSource" && model.data.time && model.data.text)
        found.push("chords " + Array.from(model.data.text));
    }
  }
  return found.sort().join("; ");
})()"""


def _open(chromium: str, page: Path, profile: Path, *action: str) -> subprocess.CompletedProcess:
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               f"--window-size={WINDOW[0]},{WINDOW[1]}", RENDER_BUDGET, *action, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _roll() -> PianoRoll:
    return PianoRoll(trio(), primer_end=BAR, width=FIGURE[0], height=FIGURE[1])


def _note_pixels(pixels: np.ndarray) -> tuple[int, int]:
    """Pixels of the orange drum notes and of the blue melody notes (alpha-blended)."""
    red, green, blue = (pixels[..., channel].astype(int) for channel in range(3))
    orange = (red > 200) & (green > 70) & (green < 150) & (blue < 100)
    steel_blue = (blue > 150) & (red < 110) & (green > 100) & (green < 170)
    return int(orange.sum()), int(steel_blue.sum())


def test_exported_html_draws_the_plot_canvas(chromium, tmp_path):
    roll = _roll()
    page = roll.to_html(tmp_path / "roll.html")
    dom = _open(chromium, page, tmp_path / "profile", "--dump-dom")
    assert f'data-root-id="{roll.figure.id}"' in dom.stdout, dom.stderr[-2000:]
    assert 'class="bk-Figure"' in dom.stdout  # BokehJS built the figure's view

    shot = tmp_path / "shot.png"
    done = _open(chromium, page, tmp_path / "profile", f"--screenshot={shot}")
    assert shot.is_file(), done.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    plot = pixels[:FIGURE[1], :FIGURE[0]]
    drawn = np.any(plot < WHITE, axis=-1).mean()
    assert drawn > 0.3, f"only {drawn:.0%} of the plot area is drawn"
    orange, blue = _note_pixels(plot)
    assert orange > 1000 and blue > 1000, (orange, blue)
    assert np.all(pixels[FIGURE[1] + 20:, :] >= WHITE)  # nothing below the figure


def test_to_png_is_the_figure(chromium, tmp_path):
    roll = _roll()
    image = Image.open(roll.to_png(tmp_path / "roll.png"))
    assert image.format == "PNG" and image.size == FIGURE
    pixels = np.asarray(image.convert("RGB"))
    orange, blue = _note_pixels(pixels)
    assert orange > 1000 and blue > 1000, (orange, blue)


def test_to_svg_has_notes_and_labels(chromium, tmp_path):
    roll = _roll()
    text = roll.to_svg(tmp_path / "roll.svg").read_text()
    root = ElementTree.fromstring(text)
    assert root.tag.endswith("svg")
    labels = {element.text for element in root.iter() if element.tag.endswith("text")}
    assert {"C", "Am", "F", "G7", "kick", "snare", "C5", "primer"} <= labels
    assert text.count("<path") + text.count("<rect") > len(roll.sequence.notes)


def test_export_without_chromium_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr("shutil.which", lambda command: None)
    with pytest.raises(RenderError, match=f"apt-get install {CHROMIUM_PACKAGE}"):
        _roll().to_png(tmp_path / "roll.png")


@pytest.fixture()
def voila_page(tmp_path) -> Iterator[str]:
    """A Voilà server (on this machine only) showing a roll, then updating it in a later cell."""
    (tmp_path / "trio.textproto").write_text(text_format.MessageToString(trio()))
    with voila_server(tmp_path, [
            "from magwidgets.render.pianoroll_figure import PianoRoll\n"
            "roll = PianoRoll('trio.textproto', primer_end=2.0)\nroll",
            "roll.update('trio.textproto', primer_end=4.0)\nroll.set_playhead(6.0)"]) as url:
        yield url


def test_voila_shows_the_widget_with_later_updates(chromium, voila_page, tmp_path):
    wanted = "chords C,Am,F,G7; playhead 6; primer 4"
    assert evaluate_until(chromium, tmp_path / "profile", voila_page, wanted, PROBE) == wanted
