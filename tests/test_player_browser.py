"""In a real Voilà page in headless Chromium, ``mw.show``'s playhead follows the audio."""

from __future__ import annotations

from typing import Iterator

import pytest
from google.protobuf import text_format

from browser import evaluate_until, voila_server
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
    with voila_server(tmp_path, [
            "import magwidgets as mw\n"
            "view = mw.show('melody.textproto', player_options={'backend': 'builtin'})"]) as url:
        yield url


def test_playhead_follows_the_playing_audio(chromium, voila_show, tmp_path):
    answer = evaluate_until(chromium, tmp_path / "profile", voila_show, "playhead follows",
                            PLAY_AND_PROBE, flags=AUTOPLAY)
    assert answer == "playhead follows"
