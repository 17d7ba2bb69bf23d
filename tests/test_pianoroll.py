"""The Bokeh pianoroll, checked on its data: no browser, no Jupyter kernel."""

from __future__ import annotations

import json
import tracemalloc
from html.parser import HTMLParser

import note_seq
import numpy as np
import pretty_midi
import pytest
from bokeh.document import Document
from bokeh.embed import json_item
from bokeh.resources import INLINE
from jupyter_bokeh import BokehModel
from note_seq.protobuf import music_pb2

from magwidgets.errors import PrimerError, RenderError
from magwidgets.render import pianoroll_figure as pianoroll_module
from magwidgets.render import pianoroll_data as data
from magwidgets.render.pianoroll_figure import PianoRoll, load_bokehjs, pianoroll
from conftest import ORACLE, RNN_CONFIGS, read_meta, read_textproto

CHORD = music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL
BAR = 2.0  # seconds per 4/4 bar at 120 qpm


def _sequence(qpm: float | None = 120.0,
              meter: tuple[int, int] | None = (4, 4)) -> music_pb2.NoteSequence:
    sequence = music_pb2.NoteSequence(ticks_per_quarter=220)
    if qpm is not None:
        sequence.tempos.add(qpm=qpm)
    if meter is not None:
        sequence.time_signatures.add(numerator=meter[0], denominator=meter[1])
    return sequence


def _add(sequence, pitch, start, end, velocity=100, instrument=0, program=0, is_drum=False):
    sequence.notes.add(pitch=pitch, start_time=start, end_time=end, velocity=velocity,
                       instrument=instrument, program=program, is_drum=is_drum)
    sequence.total_time = max(sequence.total_time, end)


def melody() -> music_pb2.NoteSequence:
    """Two bars of eighth notes, as Melody RNN writes them (C4..C5, velocity 100)."""
    sequence = _sequence()
    for step, pitch in enumerate([60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62, 60, 60]):
        _add(sequence, pitch, step * 0.25, step * 0.25 + 0.25)
    return sequence


def drums() -> music_pb2.NoteSequence:
    """One bar of sixteenths on every one of the 9 drum classes (channel 10, instrument 9)."""
    sequence = _sequence()
    for step, pitch in enumerate([36, 42, 38, 46, 45, 48, 50, 49, 51, 35, 44, 39, 36, 42, 38, 42]):
        _add(sequence, pitch, step * 0.125, step * 0.125 + 0.125, instrument=9, is_drum=True)
    return sequence


def polyphony() -> music_pb2.NoteSequence:
    """Four bars of block triads (C, F, G, C) with a melody on top, all one piano."""
    sequence = _sequence()
    for bar, root in enumerate([48, 53, 55, 48]):
        for pitch in (root, root + 4, root + 7):
            _add(sequence, pitch, bar * BAR, bar * BAR + BAR, velocity=70)
        _add(sequence, root + 24, bar * BAR, bar * BAR + 1.0, velocity=110)
    return sequence


def performance() -> music_pb2.NoteSequence:
    """An expressive piano performance: no tempo or meter, free timing and velocities,
    overlapping notes and two sustain-pedal presses (CC 64)."""
    sequence = _sequence(qpm=None, meter=None)
    rng = np.random.default_rng(7)
    time = 0.0
    for _ in range(60):
        start = time + rng.uniform(0.05, 0.2)
        _add(sequence, int(rng.integers(40, 90)), start, start + rng.uniform(0.1, 1.5),
             velocity=int(rng.integers(10, 128)))
        time = start
    for at, value in [(0.5, 127), (2.0, 0), (3.0, 90), (4.0, 20), (5.0, 80)]:
        sequence.control_changes.add(time=at, control_number=data.SUSTAIN_CC, control_value=value)
    sequence.control_changes.add(time=1.0, control_number=7, control_value=100)  # volume: ignored
    return sequence


def trio() -> music_pb2.NoteSequence:
    """MusicVAE-style trio: melody, bass, drums over 4 bars with a chord per bar."""
    sequence = _sequence()
    for bar, (chord, root) in enumerate([("C", 48), ("Am", 45), ("F", 41), ("G7", 43)]):
        sequence.text_annotations.add(time=bar * BAR, text=chord, annotation_type=CHORD)
        _add(sequence, root, bar * BAR, bar * BAR + BAR, instrument=1, program=33)
        for beat in range(4):
            at = bar * BAR + beat * 0.5
            _add(sequence, 72 + beat, at, at + 0.5, instrument=0, program=0)
            _add(sequence, 36 if beat % 2 == 0 else 38, at, at + 0.1, instrument=9, is_drum=True)
    sequence.text_annotations.add(time=0.0, text="a lyric, not a chord")
    return sequence


def columns(roll: PianoRoll, name: str) -> dict:
    return roll._sources[name].data


def test_melody_rows_names_and_grid():
    roll = PianoRoll(melody())
    notes = columns(roll, "notes")
    assert len(notes["start"]) == 16
    assert list(notes["y"]) == list(notes["pitch"])  # pitched notes sit at y = pitch
    assert notes["name"][:3] == ["C4", "D4", "E4"] and notes["name"][7] == "C5"
    assert set(notes["color"]) == {data.TRACK_PALETTE[0]}
    assert set(notes["part"]) == {""}
    labels = roll.figure.yaxis.major_label_overrides
    assert labels[60] == "C4" and labels[61] == "C#4" and labels[72] == "C5"
    assert roll.figure.y_range.start == 58 - 0.5 and roll.figure.y_range.end == 74 + 0.5
    grid = columns(roll, "grid")  # 2 bars of 4 beats, lines at both ends
    assert len(grid["x"]) == 9 and int(np.sum(grid["is_bar"])) == 3
    assert roll.bar_axis.ticker.ticks == [0.0, 2.0, 4.0]
    assert roll.bar_axis.major_label_overrides == {0.0: "1", 2.0: "2", 4.0: "3"}
    assert list(columns(roll, "bars")["left"]) == [2.0]  # every second bar is shaded
    assert (roll.figure.x_range.start, roll.figure.x_range.end) == (0, 4.0)  # whole 2 bars
    assert not roll.message.visible


def test_drums_are_on_named_class_rows():
    roll = PianoRoll(drums())
    notes = columns(roll, "notes")
    layout = data.row_layout(drums())
    assert layout.pitch_rows is None
    assert list(layout.drum_rows) == list(data.DRUM_CLASS_NAMES)
    assert list(layout.drum_rows.values()) == list(range(9))  # kick at the bottom
    rows_by_name = {name.split(" (")[0]: y for name, y in zip(notes["name"], notes["y"])}
    assert rows_by_name == layout.drum_rows  # all 9 classes played, each on its row
    assert notes["name"][9] == "kick (35)" and notes["name"][11] == "snare (39)"
    assert set(notes["color"]) == {data.DRUM_COLOR}
    assert roll.figure.yaxis.major_label_overrides == {y: n for n, y in layout.drum_rows.items()}
    assert "drums" in notes["track"][0]


def test_unknown_drum_pitch_gets_an_other_row():
    sequence = drums()
    _add(sequence, 20, 0.0, 0.1, instrument=9, is_drum=True)
    layout = data.row_layout(sequence)
    assert list(layout.drum_rows)[-1] == data.OTHER_DRUM
    notes = data.notes_to_columns(sequence, layout=layout)
    assert notes["y"][list(notes["pitch"]).index(20)] == layout.drum_rows[data.OTHER_DRUM]


def test_polyphony_colours_by_velocity():
    roll = PianoRoll(polyphony(), color_by="velocity")
    notes = columns(roll, "notes")
    assert len(notes["start"]) == 16 and len(set(notes["start"])) == 4  # 4 notes per onset
    soft = set(np.array(notes["color"])[notes["velocity"] == 70])
    loud = set(np.array(notes["color"])[notes["velocity"] == 110])
    assert len(soft) == len(loud) == 1 and soft != loud
    assert np.all(np.diff(notes["alpha"][np.argsort(notes["velocity"])]) >= 0)
    assert notes["alpha"].max() <= 1.0 and notes["alpha"].min() >= data.MIN_ALPHA


def test_velocity_palette_and_alpha_ends():
    sequence = _sequence()
    _add(sequence, 60, 0, 1, velocity=1)
    _add(sequence, 62, 0, 1, velocity=127)
    notes = data.notes_to_columns(sequence, color_by="velocity")
    assert notes["color"] == [data.VELOCITY_PALETTE[0], data.VELOCITY_PALETTE[-1]]
    assert notes["alpha"][0] == pytest.approx(data.MIN_ALPHA + (1 - data.MIN_ALPHA) / 127)
    assert notes["alpha"][1] == pytest.approx(1.0)


def test_performance_with_pedal_and_default_tempo():
    sequence = performance()
    roll = PianoRoll(sequence, color_by="velocity")
    notes = columns(roll, "notes")
    assert len(notes["start"]) == 60 and len(set(notes["color"])) > 10
    layout = data.row_layout(sequence)
    assert layout.sustain_y == layout.pitch_rows[0] - 1
    sustain = columns(roll, "sustain")
    end = data.whole_bars_end(sequence)
    assert list(sustain["left"]) == [0.5, 3.0, 5.0]  # 90 presses again, 20 releases
    assert list(sustain["right"]) == [2.0, 4.0, end]  # still down at the end
    assert set(sustain["y"]) == {layout.sustain_y}
    assert roll.figure.yaxis.major_label_overrides[layout.sustain_y] == data.SUSTAIN_ROW
    grid = columns(roll, "grid")  # no tempo: 120 qpm, 4/4
    assert np.allclose(np.diff(grid["x"]), 0.5) and grid["x"][-1] == end
    assert end % BAR == 0 and end >= sequence.total_time


def test_trio_colours_chords_drum_band_and_primer():
    sequence = trio()
    roll = PianoRoll(sequence, primer_end=BAR)
    notes = columns(roll, "notes")
    assert len(notes["start"]) == 4 * (1 + 4 + 4)
    by_track = {}
    for track, color in zip(notes["track"], notes["color"]):
        by_track.setdefault(track, set()).add(color)
    assert len(by_track) == 3 and all(len(colors) == 1 for colors in by_track.values())
    assert by_track["Acoustic Grand Piano (instrument 0)"] == {data.TRACK_PALETTE[0]}
    assert by_track["Electric Bass (finger) (instrument 1)"] == {data.TRACK_PALETTE[1]}
    assert by_track["drums (instrument 9)"] == {data.DRUM_COLOR}
    layout = data.row_layout(sequence)
    assert max(layout.drum_rows.values()) + data.BAND_GAP + 1 == layout.pitch_rows[0]
    chords = columns(roll, "chords")
    assert chords["text"] == ["C", "Am", "F", "G7"]  # the lyric is not a chord
    assert list(chords["time"]) == [0.0, 2.0, 4.0, 6.0]
    assert set(chords["y"]) == {layout.pitch_rows[1] + 1} == {layout.chord_y}
    assert roll.figure.y_range.end == layout.chord_y + 0.5  # chords above the roll
    primer = columns(roll, "primer")
    assert primer["left"] == [0.0] and primer["right"] == [BAR] and primer["text"] == ["primer"]
    parts = np.array(notes["part"])
    assert set(parts[notes["start"] < BAR]) == {"primer"}
    assert set(parts[notes["start"] >= BAR]) == {"generated"}
    grid = columns(roll, "grid")
    assert int(np.sum(grid["is_bar"])) == 5 and len(grid["x"]) == 17
    assert list(columns(roll, "bars")["left"]) == [2.0, 6.0]


@pytest.mark.parametrize("meter, beat, bars", [((3, 4), 0.5, 2), ((6, 8), 0.25, 2)])
def test_grid_follows_time_signature(meter, beat, bars):
    sequence = _sequence(meter=meter)
    bar = beat * meter[0]
    _add(sequence, 60, 0, bars * bar - 0.01)
    grid = data.grid_lines(sequence, data.whole_bars_end(sequence))
    assert np.allclose(np.diff(grid["x"]), beat)
    assert list(grid["bar"][grid["is_bar"]]) == list(range(1, bars + 2))
    assert len(data.bar_shading(sequence, bars * bar)["left"]) == bars // 2


def test_faster_tempo_shortens_bars():
    sequence = _sequence(qpm=90.0)
    _add(sequence, 60, 0, 1)
    assert data.bar_seconds(sequence) == pytest.approx(4 * 60 / 90)


@pytest.mark.parametrize("config", RNN_CONFIGS)
def test_every_oracle_generation_renders(config):
    sequence = read_textproto(ORACLE / config / "generated_plain.textproto")
    primer_end = read_meta(config)["runs"]["plain"]["start_time"]
    roll = PianoRoll(sequence, primer_end=primer_end)
    notes = columns(roll, "notes")
    assert len(notes["start"]) == len(sequence.notes)
    is_drum = np.array([n.is_drum for n in sequence.notes])
    assert np.all(notes["is_drum"] == is_drum[np.argsort([n.start_time for n in sequence.notes],
                                                         kind="stable")])
    labels = roll.figure.yaxis.major_label_overrides
    assert all(int(y) in labels for y in notes["y"])
    assert "generated" in notes["part"]
    json.dumps(json_item(roll.figure))


def test_music_inputs_prettymidi_and_midi_file(tmp_path):
    path = tmp_path / "trio.mid"
    note_seq.sequence_proto_to_midi_file(trio(), str(path))
    from_file = PianoRoll(path)
    from_midi = PianoRoll(pretty_midi.PrettyMIDI(str(path)))
    assert len(columns(from_file, "notes")["start"]) == len(trio().notes)
    assert columns(from_file, "notes")["name"] == columns(from_midi, "notes")["name"]
    assert columns(from_file, "chords")["text"] == []  # MIDI keeps no chord symbols
    with pytest.raises(PrimerError, match="expected a NoteSequence"):
        PianoRoll(42)


def test_update_replaces_data_in_place():
    roll = PianoRoll(melody())
    before = {model.id for model in roll.figure.references()}
    source_ids = {name: source.id for name, source in roll._sources.items()}
    doc = Document()
    doc.add_root(roll.figure)
    figure_id = roll.figure.id
    roll.update(trio(), primer_end=BAR)
    assert roll.figure.id == figure_id and doc.roots == [roll.figure]
    assert {name: source.id for name, source in roll._sources.items()} == source_ids
    assert {model.id for model in roll.figure.references()} == before
    assert len(columns(roll, "notes")["start"]) == 36
    assert columns(roll, "chords")["text"] == ["C", "Am", "F", "G7"]
    roll.update(None)
    assert len(columns(roll, "notes")["start"]) == 0 and roll.message.visible


def test_document_serialises():
    roll = PianoRoll(trio(), primer_end=BAR)
    doc = Document()
    doc.add_root(roll.figure)  # as bokeh.io.show does: the roll comes in no document of its own
    doc_json = doc.to_json(deferred=False)
    assert doc_json["roots"][0]["id"] == roll.figure.id
    copy = Document.from_json(doc_json).roots[0]
    assert copy.id == roll.figure.id
    assert json_item(roll.figure)["root_id"] == roll.figure.id


def test_pianoroll_function_returns_the_figure():
    fig = pianoroll(melody(), color_by="velocity", window_bars=1, title="tune")
    assert fig.title.text == "tune"
    assert (fig.x_range.start, fig.x_range.end) == (0, BAR)  # window of 1 bar
    assert fig.x_range.bounds == (0, 2 * BAR)


def test_default_window_is_eight_bars():
    sequence = _sequence()
    for bar in range(20):
        _add(sequence, 60, bar * BAR, bar * BAR + 1)
    roll = PianoRoll(sequence)
    assert (roll.figure.x_range.start, roll.figure.x_range.end) == (0, 8 * BAR)
    assert roll.figure.x_range.bounds == (0, 20 * BAR)


def test_playhead_moves_and_turns_the_page():
    sequence = _sequence()
    for bar in range(20):
        _add(sequence, 60, bar * BAR, bar * BAR + 1)
    roll = PianoRoll(sequence)
    roll.set_playhead(3.5)
    assert roll.playhead.location == 3.5 and roll.figure.x_range.start == 0
    roll.set_playhead(17.0)  # past the 16 s window: next page
    assert (roll.figure.x_range.start, roll.figure.x_range.end) == (17.0, 33.0)
    roll.set_playhead(39.0)  # near the end the window stops at the last bar
    assert (roll.figure.x_range.start, roll.figure.x_range.end) == (24.0, 40.0)
    roll.set_playhead(1.0, follow=False)
    assert roll.playhead.location == 1.0 and roll.figure.x_range.start == 24.0
    for bad in (-1.0, float("nan"), "2"):
        with pytest.raises(RenderError, match="playhead position"):
            roll.set_playhead(bad)


def test_empty_sequence_shows_a_message():
    roll = PianoRoll(music_pb2.NoteSequence())
    assert roll.message.visible and roll.message.text == pianoroll_module.EMPTY_MESSAGE
    assert len(columns(roll, "notes")["start"]) == 0
    assert (roll.figure.x_range.start, roll.figure.x_range.end) == (0, 8 * BAR)
    low, high = data.EMPTY_PITCH_RANGE
    assert (roll.figure.y_range.start, roll.figure.y_range.end) == (low - 0.5, high + 0.5)
    assert len(columns(roll, "grid")["x"]) == 8 * 4 + 1
    json.dumps(json_item(roll.figure))
    roll.update(melody())
    assert not roll.message.visible


def test_bad_options_are_refused():
    with pytest.raises(RenderError, match="color_by must be one of"):
        PianoRoll(melody(), color_by="pitch")
    with pytest.raises(RenderError, match="window_bars must be an integer >= 1, got 0"):
        PianoRoll(melody(), window_bars=0)
    with pytest.raises(RenderError, match="primer_end \\(seconds\\) must be a number >= 0"):
        PianoRoll(melody(), primer_end=-1.0)
    with pytest.raises(ValueError, match="color_by"):
        data.notes_to_columns(melody(), color_by="rainbow")


def test_thirty_minutes_of_dense_notes_fit_in_memory():
    rng = np.random.default_rng(0)
    sequence = _sequence()
    count, seconds = 50_000, 30 * 60
    starts = np.sort(rng.uniform(0, seconds, count))
    pitches, velocities = rng.integers(21, 109, count), rng.integers(1, 128, count)
    for start, pitch, velocity in zip(starts, pitches, velocities):
        sequence.notes.add(pitch=int(pitch), velocity=int(velocity), start_time=float(start),
                           end_time=float(start) + 0.3)
    sequence.total_time = seconds + 0.3
    tracemalloc.start()
    try:
        roll = PianoRoll(sequence)
        item = json_item(roll.figure)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(columns(roll, "notes")["start"]) == count and not roll.message.visible
    assert peak < 100 * 2**20  # all 50,000 notes drawn in well under 100 MiB
    assert item["root_id"] == roll.figure.id
    assert int(np.sum(columns(roll, "grid")["is_bar"])) == seconds // BAR + 2  # 901 bars


def test_notes_past_the_cap_are_left_out_with_a_message():
    roll = PianoRoll(performance(), max_notes=10)
    notes = columns(roll, "notes")
    assert len(notes["start"]) == 10 and np.all(np.diff(notes["start"]) >= 0)
    assert roll.message.visible and roll.message.text == "first 10 of 60 notes drawn"


class _ExternalResources(HTMLParser):
    """Collects the URLs that <script src>, <link href> and <img src> tags would fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        url = values.get("href") if tag == "link" else values.get("src")
        if tag in ("script", "link", "img") and url:
            self.urls.append(url)
        self.inline_scripts += tag == "script" and not url


def test_html_export_is_offline(tmp_path):
    roll = PianoRoll(trio(), primer_end=BAR)
    html = roll.to_html(tmp_path / "roll.html").read_text()
    assert roll.figure.id in html
    parser = _ExternalResources()
    parser.feed(html)
    assert parser.urls == []  # BokehJS and the plot are inline: nothing to fetch
    assert parser.inline_scripts >= 2
    assert "cdn.bokeh.org" not in html
    assert roll.figure.document is None  # still free for bokeh.io.show() or a widget
    Document().add_root(roll.figure)


def test_widget_updates_in_place(monkeypatch):
    roll = PianoRoll(melody())
    widget = roll.widget()
    assert isinstance(widget, BokehModel) and roll.widget() is widget
    sent, states = [], []
    monkeypatch.setattr(widget, "send", lambda content, buffers=None: sent.append(content))
    monkeypatch.setattr(widget, "send_state", lambda key=None: states.append(key))
    roll.update(trio())
    assert sent and all(message["msg"] == "patch" for message in sent)  # a document patch
    assert states == []  # not a new render bundle: the view is not drawn again
    sent.clear()
    roll.set_playhead(1.5)
    assert any("1.5" in str(message.get("payload", "")) for message in sent)


def test_widget_state_asked_later_is_the_current_document():
    roll = PianoRoll(melody())
    widget = roll.widget()
    assert "G7" not in json.dumps(widget.get_state()["render_bundle"])
    roll.update(trio())  # e.g. a later cell in Voilà, before the page asks for widget state
    bundle = json.dumps(widget.get_state()["render_bundle"])
    assert "G7" in bundle and roll.figure.id in bundle


def test_bokehjs_is_loaded_inline_once(monkeypatch):
    calls = []
    monkeypatch.setattr("IPython.get_ipython", lambda: object())
    monkeypatch.setattr("bokeh.io.output_notebook", lambda **kwargs: calls.append(kwargs))
    pianoroll_module._load_bokehjs_inline.cache_clear()
    try:
        load_bokehjs()
        load_bokehjs()
    finally:
        pianoroll_module._load_bokehjs_inline.cache_clear()
    assert calls == [{"resources": INLINE, "hide_banner": True}]


@pytest.mark.parametrize("pitches, rows", [([127], (115, 127)), ([0], (0, 12)),
                                           ([0, 127], (0, 127)), ([60, 61], (55, 67))])
def test_pitch_rows_stay_in_the_midi_range(pitches, rows):
    sequence = _sequence()
    for pitch in pitches:
        _add(sequence, pitch, 0, 1)
    assert data.row_layout(sequence).pitch_rows == rows


def test_pitch_names():
    assert data.pitch_name(60) == "C4" and data.pitch_name(0) == "C-1"
    assert data.pitch_name(69) == "A4" and data.pitch_name(127) == "G9"
    assert data.drum_class_name(42) == "closed hat" and data.drum_class_name(20) == data.OTHER_DRUM
