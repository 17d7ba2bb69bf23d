"""The standalone music page: offline HTML with pianoroll, audio, MIDI; playhead follows."""

from __future__ import annotations

import re

import magwidgets as mw
from magwidgets.cli import main
from conftest import ORACLE, bundle_path
from browser import evaluate_until
from test_player import _melody
from test_player_browser import AUTOPLAY

PLAY_AND_PROBE = """(() => {
  const audio = document.querySelector(".magwidgets-player audio");
  if (!audio || !window.Bokeh || !Bokeh.documents.length) return "not drawn yet";
  if (audio.paused && !audio.ended) { audio.muted = true; audio.play(); }
  const span = Array.from(Bokeh.documents[0].all_models).find(m => m.constructor.__name__ === "Span");
  return span.location > 0.5 ? "playhead follows" : "playhead " + span.location;
})()"""


def test_page_is_self_contained(tmp_path):
    page = mw.render.write_music_page(tmp_path / "melody.html", _melody(), title="Tune",
                                      backend="builtin", filename="tune.mid").read_text()
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?://', page)
    assert page.count('<audio controls src="data:audio/wav;base64,') == 1
    assert 'download="tune.mid" href="data:audio/midi;base64,' in page
    assert "played by the built-in synthesizer" in page


def test_cli_writes_a_page_next_to_the_midi(tmp_path, capsys):
    page = tmp_path / "drums.html"
    assert main(["generate", str(bundle_path("drum_kit")), "--primer",
                 str(ORACLE / "drum_kit" / "primer.mid"), "--steps", "16", "--seed", "1",
                 "--out", str(tmp_path / "drums.mid"), "--html", str(page)]) == 0
    assert "pianoroll + player" in capsys.readouterr().out
    assert 'download="drums.mid"' in page.read_text()


def test_playhead_follows_the_audio_in_the_page(chromium, tmp_path):
    page = mw.render.write_music_page(tmp_path / "melody.html", _melody(), backend="builtin")
    answer = evaluate_until(chromium, tmp_path / "profile", page.as_uri(), "playhead follows",
                            PLAY_AND_PROBE, flags=AUTOPLAY)
    assert answer == "playhead follows"
