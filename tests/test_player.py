"""The player widget and ``show``: audio, MIDI download, backend caption, playhead link."""

from __future__ import annotations

import base64
import io
import re
import wave

import note_seq
import pytest
from note_seq.protobuf import music_pb2

import magwidgets as mw
from conftest import ORACLE, note_tuples, read_textproto


def _melody() -> music_pb2.NoteSequence:
    sequence = music_pb2.NoteSequence()
    sequence.tempos.add(qpm=120)
    for index, pitch in enumerate([60, 62, 64, 65, 67, 65, 64, 62]):
        sequence.notes.add(pitch=pitch, velocity=90, start_time=index * 0.5,
                           end_time=index * 0.5 + 0.45)
    sequence.total_time = 4.0
    return sequence


def _wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as stream:
        return stream.getnframes() / stream.getframerate()


def _linked_midi(player: mw.Player) -> music_pb2.NoteSequence:
    encoded = re.search(r'href="data:audio/midi;base64,([A-Za-z0-9+/=]+)"', player.download.value)
    assert encoded, player.download.value
    return note_seq.midi_io.midi_to_note_sequence(
        __import__("pretty_midi").PrettyMIDI(io.BytesIO(base64.b64decode(encoded.group(1)))))


@pytest.mark.parametrize("backend, name", [("fluidsynth", "FluidSynth"),
                                           ("builtin", "the built-in synthesizer")])
def test_player_holds_wav_audio_a_midi_link_and_names_the_synth(backend, name):
    player = mw.Player(_melody(), backend=backend, filename="tune.mid")
    assert player.audio.format == "wav"
    assert _wav_seconds(player.audio.value) == pytest.approx(4.0, abs=1 / 44100)
    assert player.backend == backend
    assert f"played by {name}" in player.caption.value
    assert 'download="tune.mid"' in player.download.value
    assert note_tuples(_linked_midi(player)) == note_tuples(_melody())
    assert "magwidgets-player" in player._dom_classes


def test_player_update_replaces_audio_in_the_same_widgets():
    player = mw.Player(_melody(), backend="builtin")
    audio, first = player.audio, player.audio.value
    drums = read_textproto(ORACLE / "drum_kit" / "primer.textproto")
    player.update(drums)
    assert player.audio is audio and player.audio.value != first
    assert _wav_seconds(player.audio.value) == pytest.approx(drums.total_time, abs=1 / 44100)
    assert f"{len(drums.notes)} notes" in player.caption.value


def test_player_shows_the_fallback_reason(tmp_path):
    missing = tmp_path / "nowhere.sf2"
    with pytest.warns(UserWarning):
        player = mw.Player(_melody(), soundfont=str(missing))
    assert player.backend == "builtin"
    assert "nowhere.sf2" in player.caption.value


def test_an_empty_sequence_plays_nothing_without_error():
    player = mw.Player(None, backend="builtin")
    assert _wav_seconds(player.audio.value) == 0
    assert "no notes" in player.caption.value


def test_show_links_the_playhead_to_the_player(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objects: shown.extend(objects))
    view = mw.show(_melody(), primer_end=1.0, player_options={"backend": "builtin"})
    assert shown == [view]
    roll_widget = view.children[0]
    assert isinstance(roll_widget, mw.render.PianoRollWidget) and view.children[1] is view.player
    view.player.clock.current_time = 2.5  # what the browser reports while playing
    assert view.pianoroll.playhead.location == 2.5


def test_show_updates_in_place():
    view = mw.SequenceView(_melody(), player_options={"backend": "builtin"})
    widget, source = view.children[0], view.pianoroll._sources["notes"]
    drums = read_textproto(ORACLE / "drum_kit" / "primer.textproto")
    view.update(drums, primer_end=0.5)
    assert view.children[0] is widget and view.pianoroll._sources["notes"] is source
    assert len(source.data["pitch"]) == len(drums.notes)
    assert _wav_seconds(view.player.audio.value) == pytest.approx(drums.total_time, abs=1 / 44100)
