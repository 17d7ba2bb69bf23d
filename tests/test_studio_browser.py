"""The Studio dashboard (notebooks/studio.ipynb) served by Voilà and used in headless Chromium.

Like a student would: open the page, pick each of the five tools, move a slider, press the
button, and check that new pianorolls and playable audio appear with no error; then feed it
bad input and check it says why and keeps working. The page may not fetch anything from
outside this machine. Screenshots go to the test artifacts (``MAGWIDGETS_ARTIFACTS``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from voila.paths import collect_template_paths

from browser import (VOILA_TIMEOUT, artifacts_folder, audio_sources, click_button, history_text,
                     offline_page, open_tabs, serve_notebook, set_slider, shown_text, wait_for)

STUDIO = Path(__file__).parent.parent / "notebooks" / "studio.ipynb"
ERROR_MARK = "⚠"  # how the widgets start an error message
SCREEN = {"width": 1280, "height": 1700}  # tall enough for a tool and its first result


@dataclass(frozen=True)
class Tool:
    tabs: tuple[str, ...]  # tab titles to click, outermost first
    slider: str  # the slider's label
    value: str  # typed into its readout
    button: str
    views: int  # result views expected after the click
    history: str  # text the new history entry holds (shows the slider took effect)


TOOLS = {
    "continue-melody": Tool(("Continue", "Melody"), "variations", "2", "Generate", 2,
                            "primer: notes"),
    "continue-drums": Tool(("Continue", "Drums"), "length (bars)", "1", "Generate", 1,
                           "1 bar,"),
    "generate": Tool(("Generate", "Melody"), "samples", "3", "Sample", 3, "3 samples"),
    "interpolate": Tool(("Interpolate",), "temperature", "0.8", "Interpolate", 1,
                        "interpolation A → B"),
    "groove": Tool(("Groove",), "temperature", "1.3", "Groove", 1, "temperature 1.3"),
    "drumify": Tool(("Drumify",), "temperature", "0.8", "Drumify", 1, "temperature 0.8"),
}


@pytest.fixture(scope="module")
def studio(chromium) -> Iterator[tuple[Any, list[str]]]:
    """The Studio open in one browser page for the whole module (Voilà starts once), and
    the list of requests it tried to send off this machine."""
    template = nbformat.read(STUDIO, as_version=4).metadata["voila"]["template"]
    try:  # the offline template the notebook names must be where Voilà looks
        collect_template_paths(["voila"], template, prune=True)
    except ValueError:
        pytest.fail(f"Voilà template '{template}' is not installed: `make setup` copies "
                    f"notebooks/templates/{template} into the environment")
    log = artifacts_folder() / "studio-voila.log"
    with serve_notebook(STUDIO, log=log) as url, offline_page() as (page, outside):
        page.set_viewport_size(SCREEN)
        page.goto(url, timeout=VOILA_TIMEOUT * 1000)
        page.locator("canvas").first.wait_for(timeout=VOILA_TIMEOUT * 1000)
        yield page, outside


@pytest.mark.parametrize("name", list(TOOLS))
def test_each_tool_makes_music(studio, name):
    page, _ = studio
    tool = TOOLS[name]
    open_tabs(page, tool.tabs)
    before_canvases = page.locator("canvas:visible").count()
    before_history = history_text(page)
    set_slider(page, tool.slider, tool.value)
    click_button(page, tool.button)

    def done() -> bool:
        sources = audio_sources(page)
        return (history_text(page) != before_history and tool.history in history_text(page)
                and len(sources) == tool.views and all(sources))

    wait_for(page, done, f"{tool.button} in {'/'.join(tool.tabs)} to show {tool.views} results")
    wait_for(page, lambda: page.locator("canvas:visible").count() > before_canvases,
              "new pianoroll canvases", timeout=10)
    assert all(source.startswith("blob:") for source in audio_sources(page))
    page.screenshot(path=artifacts_folder() / f"studio-{name}.png", full_page=True)
    shown = shown_text(page)
    assert ERROR_MARK not in shown and "unexpected error" not in shown, shown[-2000:]


def test_interpolation_slider_scrubs_between_the_ends(studio):
    page, _ = studio
    open_tabs(page, ("Interpolate",))
    if "interpolation" not in history_text(page):
        click_button(page, "Interpolate")
        wait_for(page, lambda: "interpolation" in history_text(page), "an interpolation")
    first = audio_sources(page)
    set_slider(page, "A → B", "1")
    wait_for(page, lambda: "1.00 of the way from A to B" in shown_text(page), "the end point B")
    wait_for(page, lambda: audio_sources(page) != first, "the audio of point B")


def test_bad_input_is_explained_and_the_dashboard_keeps_working(studio, tmp_path):
    page, _ = studio
    # A text file uploaded as the primer: refused, with its name in the message.
    open_tabs(page, ("Continue", "Melody"))
    click_button(page, "MIDI file")
    with page.expect_file_chooser() as chooser:
        page.locator(".widget-upload:visible", has_text="MIDI file").first.click()
    chooser.value.set_files(files=[{"name": "notes.mid", "mimeType": "audio/midi",
                                    "buffer": b"these are my notes, not a MIDI file"}])
    wait_for(page, lambda: ERROR_MARK in shown_text(page) and "notes.mid" in shown_text(page),
              "the upload to be refused")
    before = history_text(page)
    click_button(page, "Generate")
    wait_for(page, lambda: shown_text(page).count(ERROR_MARK) >= 2, "Generate to refuse it")
    assert history_text(page) == before
    # A 50 MB upload reaches the kernel (notebooks/voila.json raises Tornado's 10 MiB
    # websocket message cap) and is refused by its size.
    huge = tmp_path / "huge.mid"
    huge.write_bytes(bytes(50 * 1024 * 1024))
    with page.expect_file_chooser() as chooser:
        page.locator(".widget-upload:visible", has_text="MIDI file").first.click()
    chooser.value.set_files(files=[huge])
    wait_for(page, lambda: "huge.mid" in shown_text(page) and "MB" in shown_text(page),
             "the 50 MB upload to be refused")
    # Back to typed notes: the same tool works again.
    click_button(page, "notes")
    click_button(page, "Generate")
    wait_for(page, lambda: history_text(page) != before, "a new result after the refusal")

    # An empty melody where Interpolate needs one: refused, then fixed.
    open_tabs(page, ("Interpolate",))
    first_notes = page.locator(".widget-text:visible", has=page.locator("label", has_text="Notes"))
    melody = first_notes.first.locator("input")
    typed = melody.input_value()
    melody.fill("")
    melody.press("Enter")
    before = history_text(page)
    click_button(page, "Interpolate")
    wait_for(page, lambda: "has no notes" in shown_text(page), "the empty melody to be refused")
    melody.fill(typed)
    melody.press("Enter")
    click_button(page, "Interpolate")
    wait_for(page, lambda: history_text(page) != before and ERROR_MARK not in shown_text(page),
              "an interpolation once the melody is back")
    page.screenshot(path=artifacts_folder() / "studio-after-bad-input.png", full_page=True)


def test_nothing_was_fetched_from_outside_this_machine(studio):
    _, outside = studio
    assert outside == []
