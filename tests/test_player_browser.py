"""In a real Voilà page in headless Chromium, ``mw.show``'s playhead follows the audio."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import nbformat
import pytest
from google.protobuf import text_format

from test_pianoroll_browser import VOILA_TIMEOUT, _evaluate_until, _free_port, chromium  # noqa: F401
from test_player import _melody

# Start the player (Chromium runs with autoplay allowed: nobody clicks in a headless browser)
# and report once the pianoroll's playhead has moved with it.
AUTOPLAY = ("--autoplay-policy=no-user-gesture-required",)
PLAY_AND_PROBE = """(() => {
  const audio = document.querySelector(".magwidgets-player audio");
  if (!audio) return "no player";
  if (!audio.currentSrc) return "no audio source";
  if (audio.paused && !audio.ended) { audio.muted = true; audio.play(); }
  const spans = [];
  for (const doc of (window.Bokeh ? Bokeh.documents : []))
    for (const model of doc.all_models)
      if (model.constructor.__name__ === "Span") spans.push(model.location);
  if (spans.length !== 1) return "spans: " + spans;
  return spans[0] > 0.5 ? "playhead follows" : "playhead " + spans[0] + " at audio " + audio.currentTime;
})()"""


@pytest.fixture()
def voila_show(tmp_path) -> Iterator[str]:
    """A Voilà server on loopback whose notebook calls ``mw.show`` on a 4-second melody."""
    (tmp_path / "melody.textproto").write_text(text_format.MessageToString(_melody()))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import magwidgets as mw\n"
        "view = mw.show('melody.textproto', player_options={'backend': 'builtin'})")])
    nbformat.write(notebook, tmp_path / "show.ipynb")
    port = _free_port()
    voila = Path(sys.executable).with_name("voila")
    server = subprocess.Popen([str(voila), "show.ipynb", "--no-browser", f"--port={port}",
                               "--Voila.ip=127.0.0.1"], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + VOILA_TIMEOUT
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
                break
            except OSError:
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_playhead_follows_the_playing_audio(chromium, voila_show, tmp_path):  # noqa: F811
    answer = _evaluate_until(chromium, tmp_path / "profile", voila_show, "playhead follows",
                             expression=PLAY_AND_PROBE, flags=AUTOPLAY)
    assert answer == "playhead follows"
