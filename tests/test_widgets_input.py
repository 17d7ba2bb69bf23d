"""Inputs of the model widgets: uploads (good, not MIDI, too large), the drum grid, typed
notes and the keyboard, and bad input shown in the widget with the widget still usable."""

from __future__ import annotations

import datetime
import html
from pathlib import Path

ERROR_MARK = "⚠"  # what error_html puts before a message in the widget


def upload_value(path: Path, data: bytes | None = None) -> list[dict]:
    """What ipywidgets 8 puts in ``FileUpload.value`` when a browser uploads ``path``
    (or ``data`` under its name)."""
    data = path.read_bytes() if data is None else data
    return [{"name": path.name, "type": "audio/midi", "size": len(data),
             "content": memoryview(data),
             "last_modified": datetime.datetime.now(datetime.timezone.utc)}]


import note_seq
import pytest
from traitlets import TraitError

import magwidgets as mw
from conftest import bundle_path, note_tuples
from magwidgets import DrumsRNNWidget, ImprovRNNWidget, MelodyRNNWidget
from magwidgets.widgets.drum_grid import DrumGrid
from magwidgets.widgets.melody_entry import MelodyEntry, parse_melody
from magwidgets.widgets.uploads import MAX_MIDI_BYTES

PRIMER_MID = bundle_path("drum_kit").parent / "primer.mid"


@pytest.fixture(scope="module")
def drums():
    return mw.load_model(bundle_path("drum_kit"))


def error_in(html_widget) -> str:
    """The error line a widget shows, as text; fails when there is none."""
    assert html_widget.value.count(ERROR_MARK) == 1, html_widget.value
    assert "Traceback" not in html_widget.value and "\n" not in html_widget.value
    return html.unescape(html_widget.value)


def still_usable(widget) -> None:
    """After an error the same widget generates again."""
    widget.primer.source = "none"
    widget.generate_button.click()
    assert ERROR_MARK not in widget.results.status.value
    assert widget.results.current.sequences[0].notes


def test_a_file_that_is_not_midi_is_refused_in_the_widget(drums, tmp_path):
    w = DrumsRNNWidget(drums, seed=0, bars=1)
    w.primer.upload.value = upload_value(tmp_path / "notes.txt", b"C4 E4 G4, not a MIDI file")
    assert "notes.txt is not a MIDI file" in error_in(w.primer.message)
    w.generate_button.click()
    assert "notes.txt is not a MIDI file" in error_in(w.results.status)
    still_usable(w)


def test_a_truncated_midi_file_is_refused_with_its_name(drums, tmp_path):
    w = DrumsRNNWidget(drums)
    data = PRIMER_MID.read_bytes()
    w.primer.upload.value = upload_value(tmp_path / "cut.mid", data[:30])
    assert "cut.mid is not a readable MIDI file" in error_in(w.primer.message)


def test_a_50_mb_upload_is_refused_by_its_size(drums, tmp_path):
    w = DrumsRNNWidget(drums, seed=0, bars=1)
    huge = b"MThd" + bytes(50 * 1024 * 1024)
    w.primer.upload.value = upload_value(tmp_path / "huge.mid", huge)
    message = error_in(w.primer.message)
    assert "huge.mid is 50.0 MB" in message
    assert f"at most {MAX_MIDI_BYTES / 1024 / 1024:.1f} MB" in message
    w.generate_button.click()
    assert "huge.mid is 50.0 MB" in error_in(w.results.status)
    still_usable(w)


def test_a_good_upload_after_a_bad_one_is_used(drums, tmp_path):
    w = DrumsRNNWidget(drums, seed=0, bars=1)
    w.primer.upload.value = upload_value(tmp_path / "bad.mid", b"nonsense")
    w.primer.upload.value = upload_value(PRIMER_MID)
    assert ERROR_MARK not in w.primer.message.value
    got = w.generate()[0]
    assert note_tuples(got) == note_tuples(
        drums.generate(note_seq.midi_file_to_note_sequence(str(PRIMER_MID)), steps=16, seed=0))


@pytest.mark.parametrize("source", ["grid", "midi", "last"])
def test_an_empty_primer_where_one_is_chosen_is_a_message(drums, source):
    w = DrumsRNNWidget(drums, seed=0, bars=1)
    w.primer.source = source
    w.generate_button.click()
    assert ERROR_MARK in error_in(w.results.status)
    assert w.results.current is None
    still_usable(w)


def test_typed_notes_that_cannot_be_read_are_a_message():
    w = MelodyRNNWidget(mw.load_model(bundle_path("basic_rnn")), seed=0, bars=1)
    w.primer.source = "notes"
    w.primer.notes.text = "C4 E4 H4"
    w.generate_button.click()
    assert "cannot read note 'H4'" in error_in(w.results.status)
    w.primer.notes.text = "- C4"
    w.generate_button.click()
    assert "holds nothing" in error_in(w.results.status)
    w.primer.notes.text = ""
    w.generate_button.click()
    assert "has no notes" in error_in(w.results.status)
    w.primer.notes.text = "C4+E4 G4"  # a chord, for a one-line melody model
    w.generate_button.click()
    assert "the primer is polyphonic" in error_in(w.results.status)
    still_usable(w)


def test_an_unparseable_chord_is_a_message_until_it_is_fixed():
    w = ImprovRNNWidget(mw.load_model(bundle_path("basic_improv")), seed=0, bars=2)
    w.chords = "C H7 Am"
    assert "chord 2: cannot parse chord symbol 'H7'" in error_in(w.chords_message)
    w.generate_button.click()
    assert "cannot parse chord symbol 'H7'" in error_in(w.results.status)
    w.chords = "Cmaj7 Csus4"  # Csus4 parses, but basic_improv only encodes triads
    w.generate_button.click()
    assert "triad" in error_in(w.results.status)
    w.chords = ""
    assert "type a chord progression" in error_in(w.chords_message)
    w.chords = "C | G"
    assert w.chords_message.value == ""
    w.generate_button.click()
    assert ERROR_MARK not in w.results.status.value
    assert [a.text for a in w.results.current.sequences[0].text_annotations][:2] == ["C", "G"]


def test_no_model_and_wrong_models_are_messages(tmp_path):
    w = DrumsRNNWidget()
    w.generate_button.click()
    assert "no model loaded" in error_in(w.results.status)
    w.picker.path.value = str(bundle_path("basic_rnn"))
    w.picker.load_button.click()
    assert "DrumsRNNWidget plays drums_rnn models" in error_in(w.picker.message)
    assert w.model is None
    w.picker.upload.value = upload_value(PRIMER_MID)
    assert "a MIDI file, not a model" in error_in(w.picker.message)
    w.picker.upload.value = upload_value(bundle_path("drum_kit"))
    assert w.picker.message.value == "loaded model.mag: drum_kit"
    w.seed = 0
    w.generate_button.click()
    assert ERROR_MARK not in w.results.status.value


def test_drum_grid_cells_resize_and_become_a_drum_sequence():
    grid = DrumGrid(bars=2)
    assert len(grid.cells) == 9 and all(len(row) == 32 for row in grid.cells)
    grid.toggle(0, 0)
    grid.toggle(1, 20)
    grid.toggle(1, 20)
    grid.toggle(8, 31)
    sequence = grid.to_sequence(qpm=60.0)
    assert [(n.pitch, n.start_time, n.end_time, n.is_drum) for n in sequence.notes] == [
        (36, 0.0, 0.25, True), (51, 7.75, 8.0, True)]
    assert sequence.total_time == 8.0 and sequence.tempos[0].qpm == 60.0
    grid.bars = 1
    assert all(len(row) == 16 for row in grid.cells) and grid.cells[0][0]
    with pytest.raises(TraitError, match="9 rows of 16 steps"):
        grid.cells = [[False] * 16] * 8
    grid.clear()
    assert not any(any(row) for row in grid.cells)


def test_melody_entry_reads_names_numbers_holds_and_rests():
    sequence = parse_melody("Eb3 60 - r F#5 b3", qpm=120.0, quarters_per_note=1.0)
    assert [(n.pitch, n.start_time, n.end_time) for n in sequence.notes] == [
        (51, 0.0, 0.5), (60, 0.5, 1.5), (78, 2.0, 2.5), (59, 2.5, 3.0)]
    assert sequence.total_time == 3.0
    chords = parse_melody("C4+E4+G4 - D4+F4", qpm=120.0)
    assert sorted((n.start_time, n.end_time, n.pitch) for n in chords.notes) == [
        (0.0, 0.5, 60), (0.0, 0.5, 64), (0.0, 0.5, 67), (0.5, 0.75, 62), (0.5, 0.75, 65)]
    with pytest.raises(mw.PrimerError, match="cannot read note 'X'"):
        parse_melody("C4+X", qpm=120.0)
    with pytest.raises(mw.PrimerError, match="outside 0-127"):
        parse_melody("C10", qpm=120.0)


def test_keyboard_clicks_type_into_the_melody():
    entry = MelodyEntry()
    keys = {key.description: key for key in entry.keyboard.children}
    keys["C4"].click()
    keys["E4"].click()
    keys["G4"].click()
    assert entry.text == "C4 E4 G4" and entry.entry.value == "C4 E4 G4"
    keys["⌫"].click()
    assert entry.text == "C4 E4"
    entry.length.value = 1.0
    assert [n.end_time for n in entry.to_sequence(qpm=60.0).notes] == [1.0, 2.0]


def test_last_result_takes_the_chosen_sequence_of_the_result_on_display(drums):
    w = DrumsRNNWidget(drums, seed=0, bars=1, variations=2)
    shown = w.generate()
    w.variations = 1
    w.primer.source = "last"
    w.primer.which = 2
    continued = w.generate()[0]
    assert note_tuples(continued) == note_tuples(drums.generate(shown[1], steps=16, seed=0))
    w.generate_button.click()  # the result on display now holds one sequence
    assert "has 1 sequence; sequence #2 does not exist" in error_in(w.results.status)


def test_progress_shows_while_generating_and_hides_after(drums):
    w = DrumsRNNWidget(drums, seed=0, bars=1, variations=3)
    seen = []  # (value, shown?, button disabled?) at each step of the progress bar
    w.results.progress.observe(lambda change: seen.append(
        (change["new"], w.results.progress.layout.display, w.generate_button.disabled)), "value")
    w.generate_button.click()
    assert seen == [(1, "", True), (2, "", True), (3, "", True)]
    assert w.results.progress.max == 3 and w.results.progress.layout.display == "none"
    assert not w.generate_button.disabled


def test_the_picker_offers_the_hub_models_of_its_family(tmp_path, monkeypatch):
    monkeypatch.setenv("MAGWIDGETS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MAGWIDGETS_HUB_MIRROR", "http://127.0.0.1:9/")  # nothing listens
    cached = mw.hub.local_path("drum_kit_rnn")  # a copy placed by hand, as offline users do
    cached.parent.mkdir(parents=True)
    cached.write_bytes(bundle_path("drum_kit").read_bytes())
    w = DrumsRNNWidget()
    offered = dict((spec, label) for label, spec in w.picker.named.options
                   if spec.startswith("hub:"))
    assert set(offered) == {"hub:drum_kit_rnn", "hub:drum_kit_rnn-js"}
    assert offered["hub:drum_kit_rnn"].endswith("(downloaded)")
    w.picker.named.value = "hub:drum_kit_rnn-js"  # not downloaded, and no network
    assert "drum_kit_rnn-js" in error_in(w.picker.message) and w.model is None
    w.picker.named.value = "hub:drum_kit_rnn"
    assert w.picker.message.value == "loaded hub:drum_kit_rnn: drum_kit"
    assert w.model.config.id == "drum_kit"
