"""Event-RNN widgets driven through their traitlets and buttons, on the oracle models."""

from __future__ import annotations

import note_seq
import pytest
from note_seq.protobuf import music_pb2
from traitlets import TraitError

import magwidgets as mw
from conftest import bundle_path, note_tuples
from test_widgets_input import ERROR_MARK, upload_value
from magwidgets import (DrumsRNNWidget, ImprovRNNWidget, MelodyRNNWidget,
                                PerformanceRNNWidget, PolyphonyRNNWidget)


@pytest.fixture(scope="module")
def rnn():
    """The oracle models these tests play, each loaded once."""
    configs = ["drum_kit", "basic_rnn", "polyphony", "basic_improv", "chord_pitches_improv",
               "multiconditioned_performance_with_dynamics", "performance"]
    return {config: mw.load_model(bundle_path(config)) for config in configs}


def notes_from(sequence: music_pb2.NoteSequence, seconds: float) -> list[tuple]:
    return [n for n in note_tuples(sequence) if n[2] >= seconds - 1e-9]


def roll_notes(widget, index: int = 0) -> dict:
    """The data source the pianoroll of view ``index`` draws its notes from."""
    return widget.results.views[index].pianoroll._sources["notes"].data


def test_controls_and_traits_are_one_state(rnn):
    w = DrumsRNNWidget(rnn["drum_kit"])
    slider = next(c for c in w.controls.children if getattr(c, "description", "") == "temperature")
    w.temperature = 1.5
    assert slider.value == 1.5
    slider.value = 0.7
    assert w.temperature == 0.7
    with pytest.raises(TraitError):
        w.temperature = 0.0
    w.bars = 3
    assert w.steps == 48  # drum_kit: 4 steps per quarter
    w.steps = 20
    assert (w.bars, w.steps) == (3, 20)  # not whole bars: bars keeps its value
    w.steps = 64
    assert w.bars == 4


def test_generate_passes_every_setting_to_the_model(rnn):
    model = rnn["drum_kit"]
    w = DrumsRNNWidget(model, temperature=1.3, bars=1, qpm=100.0, seed=7, variations=2,
                       beam_size=2, branch_factor=2, steps_per_iteration=2)
    got = w.generate()
    for k, sequence in enumerate(got):
        expected = model.generate(steps=16, qpm=100.0, temperature=1.3, beam_size=2,
                                  branch_factor=2, steps_per_iteration=2, seed=7 + k)
        assert note_tuples(sequence) == note_tuples(expected)
    assert got[0].tempos[0].qpm == 100.0
    assert max(n.end_time for n in got[0].notes) <= (1 + 16) * 60 / 100 / 4 + 1e-9
    assert note_tuples(got[0]) != note_tuples(got[1])
    w.temperature = 2.5
    hotter = w.generate()
    assert note_tuples(hotter[0]) != note_tuples(got[0])
    assert [c.value for c in w.results.captions] == [
        f"<b>variation {k + 1} · seed {7 + k} · log-likelihood "
        f"{model.generate_with_score(steps=16, qpm=100.0, temperature=2.5, beam_size=2, branch_factor=2, steps_per_iteration=2, seed=7 + k).log_likelihood:.2f}</b>"
        for k in range(2)]


def test_without_a_fixed_seed_each_click_differs_and_says_its_seed(rnn):
    w = DrumsRNNWidget(rnn["drum_kit"], bars=1)
    assert w.seed is None
    first, second = w.generate()[0], w.generate()[0]
    assert note_tuples(first) != note_tuples(second)
    seed = int(w.results.captions[0].value.split("seed ")[1].split(" ")[0])
    again = rnn["drum_kit"].generate(steps=16, qpm=120.0, seed=seed)
    assert note_tuples(again) == note_tuples(second)


def test_drum_grid_primer_is_continued_after_its_bar(rnn):
    w = DrumsRNNWidget(rnn["drum_kit"], seed=0, bars=1)
    w.primer.source = "grid"
    for row, step in [(0, 0), (0, 8), (1, 4), (1, 12), *[(2, s) for s in range(0, 16, 2)]]:
        w.primer.grid.toggle(row, step)
    w.generate_button.click()
    assert ERROR_MARK not in w.results.status.value
    result = w.results.current.sequences[0]
    primer = [n for n in note_tuples(result) if n[2] < 2.0]
    assert primer == note_tuples(w.primer.grid.to_sequence(120.0))
    assert min(n[2] for n in notes_from(result, 2.0)) >= 2.0
    assert max(n.end_time for n in result.notes) <= 4.0 + 1e-9  # 1 bar grid + 1 bar
    assert w.results.current.primer_end == pytest.approx(2.0)
    data = roll_notes(w)
    assert len(data["start"]) == len(result.notes)
    assert sorted(data["start"]) == sorted(n.start_time for n in result.notes)


def test_uploaded_midi_sets_the_tempo_and_primes_the_model(rnn, tmp_path):
    primer = note_seq.midi_file_to_note_sequence(str(bundle_path("drum_kit").parent / "primer.mid"))
    slow = note_seq.sequences_lib.stretch_note_sequence(primer, 120.0 / 90.0)
    path = tmp_path / "slow beat.mid"
    note_seq.sequence_proto_to_midi_file(slow, str(path))
    w = DrumsRNNWidget(rnn["drum_kit"], seed=1, bars=2)
    w.primer.upload.value = upload_value(path)
    assert w.primer.source == "midi"
    assert "slow beat.mid: 8 notes" in w.primer.message.value
    assert w.qpm == pytest.approx(90.0)
    assert w.steps == 32
    got = w.generate()[0]
    assert got.tempos[0].qpm == 90.0
    expected = rnn["drum_kit"].generate(note_seq.midi_file_to_note_sequence(str(path)),
                                        steps=32, seed=1)  # at the file's 90.00009 qpm
    assert [n[:2] + n[4:] for n in note_tuples(got)] == \
        [n[:2] + n[4:] for n in note_tuples(expected)]
    assert [n.start_time for n in got.notes] == pytest.approx(
        [n.start_time for n in expected.notes], abs=1e-4)


def test_continue_the_last_result_and_show_history(rnn):
    w = MelodyRNNWidget(rnn["basic_rnn"], seed=3, bars=1)
    w.primer.source = "notes"
    w.primer.notes.text = "C4 E4 G4 - C5 r G4 E4"
    first = w.generate()[0]
    primer = sorted((n.start_time, n.pitch, n.end_time) for n in first.notes if n.start_time < 2)
    assert primer == [(0.0, 60, 0.25), (0.25, 64, 0.5), (0.5, 67, 1.0), (1.0, 72, 1.25),
                      (1.5, 67, 1.75), (1.75, 64, 2.0)]  # "-" held G4, "r" rested
    w.primer.source = "last"
    second = w.generate()[0]
    assert second.total_time == pytest.approx(first.total_time + 2.0)
    assert note_tuples(second) == note_tuples(
        rnn["basic_rnn"].generate(first, steps=16, qpm=120.0, seed=3))
    assert len(w.results.history.options) == 2
    w.results.history.value = w.results.results[1]  # pick the first run again
    assert w.results.current.sequences[0] is first
    assert w.results.views[0].pianoroll.sequence.total_time == pytest.approx(first.total_time)
    assert len(roll_notes(w)["start"]) == len(first.notes)


def test_variations_reuse_views_in_place(rnn):
    w = DrumsRNNWidget(rnn["drum_kit"], seed=0, bars=1, variations=3)
    w.generate()
    views = list(w.results.views)
    assert len(w.results.outputs.children) == 6  # caption + view per variation
    w.variations = 1
    w.generate()
    assert w.results.views[:3] == views and len(w.results.outputs.children) == 2
    assert views[0].player.audio.value  # audio ready to play
    assert 'download="drum_kit-1.mid"' in views[0].player.download.value
    assert 'download="drum_kit-3.mid"' in views[2].player.download.value


def test_polyphony_options_reach_the_model(rnn):
    model = rnn["polyphony"]
    path = bundle_path("polyphony").parent / "primer.mid"
    w = PolyphonyRNNWidget(model, seed=2, bars=1, condition_on_primer=True,
                           inject_primer=False)
    w.primer.upload.value = upload_value(path)
    got = w.generate()[0]
    primer = note_seq.midi_file_to_note_sequence(str(path))
    expected = model.generate(primer, steps=16, qpm=120.0, seed=2, condition_on_primer=True,
                              inject_primer_during_generation=False)
    assert note_tuples(got) == note_tuples(expected)
    w.condition_on_primer, w.inject_primer = False, True
    assert note_tuples(w.generate()[0]) != note_tuples(got)
    w.primer.source, w.primer.notes.text = "notes", "C4+E4+G4 - F4+A4+C5 -"
    chords = w.primer.notes.to_sequence(120.0)
    harmonized = w.generate()[0]
    assert note_tuples(harmonized) == note_tuples(model.generate(
        chords, steps=16, qpm=120.0, seed=2, inject_primer_during_generation=True))


def test_performance_sliders_condition_the_model(rnn):
    model = rnn["multiconditioned_performance_with_dynamics"]
    w = PerformanceRNNWidget(model, seed=4, bars=1, qpm=120.0)
    assert w.steps == 200  # one bar at 120 qpm is 2 s of 10 ms steps
    w.qpm = 60.0
    assert w.steps == 400
    w.qpm = 120.0
    assert not w.density_slider.disabled and not w.pitch_sliders[0].disabled
    w.note_density = 30.0
    w.pitch_sliders[1].value = 0.0  # no C#
    assert w.pitch_histogram[1] == 0.0
    w.pitch_histogram = [1.0, 0.0] * 6
    assert [s.value for s in w.pitch_sliders] == [1.0, 0.0] * 6
    got = w.generate()[0]
    expected = model.generate(steps=200, qpm=120.0, seed=4, notes_per_second=30.0,
                              pitch_class_histogram=[1.0, 0.0] * 6, fill_generate_section=True)
    assert note_tuples(got) == note_tuples(expected)
    plain = PerformanceRNNWidget(rnn["performance"], seed=4, bars=1)
    assert plain.density_slider.disabled and plain.pitch_sliders[0].disabled
    assert note_tuples(plain.generate()[0]) == note_tuples(rnn["performance"].generate(
        steps=200, qpm=120.0, seed=4, fill_generate_section=True))


def test_improv_follows_the_typed_chords(rnn):
    model = rnn["chord_pitches_improv"]
    w = ImprovRNNWidget(model, seed=5, bars=2, chords="Am7 | D7")
    w.primer.source = "notes"
    w.primer.notes.text = "A4 C5 E5 G5"
    got = w.generate()[0]
    primer = w.primer.notes.to_sequence(120.0)
    expected = model.generate(primer, steps=32, qpm=120.0, seed=5, chords=["Am7", "D7"])
    assert note_tuples(got) == note_tuples(expected)
    chords = [a.text for a in got.text_annotations]
    assert chords[:2] == ["Am7", "D7"]
