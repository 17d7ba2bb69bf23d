"""MusicVAE and GrooVAE widgets driven through their traitlets and buttons, on the oracle
checkpoints: sample, interpolate and scrub, encode windows, groove and drumify."""

from __future__ import annotations

from pathlib import Path

import note_seq
import numpy as np
import pytest

from conftest import note_tuples
from magwidgets.errors import BundleError
from magwidgets.families.music_vae import MusicVAE, slerp
from magwidgets import GrooVAEWidget, MusicVAEWidget
from test_widgets_input import ERROR_MARK, upload_value

VAE = Path(__file__).parent / "fixtures" / "magenta-oracle" / "vae"
MELODY, HUMANIZE, TAP = "cat-mel_2bar_small", "groovae_2bar_humanize", "groovae_2bar_tap_fixed_velocity"


def checkpoint(config: str) -> Path:
    return VAE / config / f"{config}.tar"


def midi(config: str, k: int) -> Path:
    return VAE / config / f"inputs_{k}.mid"


@pytest.fixture(scope="module")
def vaes() -> dict[str, MusicVAE]:
    return {c: MusicVAE.from_checkpoint(checkpoint(c), c) for c in (MELODY, HUMANIZE, TAP)}


def shown_notes(widget, index: int = 0) -> list[tuple]:
    return note_tuples(widget.results.views[index].pianoroll.sequence)


def test_sample_uses_count_temperature_same_z_and_seed(vaes):
    model = vaes[MELODY]
    w = MusicVAEWidget(model, count=3, temperature=0.8, seed=11)
    made = w.sample()
    expected = model.sample(3, temperature=0.8, seed=11)
    assert [note_tuples(s) for s in made] == [note_tuples(s) for s in expected]
    assert [shown_notes(w, k) for k in range(3)] == [note_tuples(s) for s in expected]
    assert len(w.results.views[2].pianoroll._sources["notes"].data["start"]) == \
        len(expected[2].notes)
    w.same_z, w.count = True, 2
    w.sample_button.click()
    assert ERROR_MARK not in w.results.status.value
    same = model.sample(2, temperature=0.8, same_z=True, seed=11)
    assert [note_tuples(s) for s in w.results.current.sequences] == [note_tuples(s) for s in same]
    assert len(w.results.outputs.children) == 4  # two captions and two views shown


def test_interpolation_scrubs_stably_and_updates_the_roll_in_place(vaes):
    model = vaes[MELODY]
    w = MusicVAEWidget(model, temperature=0.5, seed=3, interpolation_steps=5)
    w.a.upload.value = upload_value(midi(MELODY, 0))
    w.b.upload.value = upload_value(midi(MELODY, 1))
    assert w.position_slider.disabled
    w.interpolate_button.click()
    assert ERROR_MARK not in w.results.status.value
    assert not w.position_slider.disabled
    a = note_seq.midi_file_to_note_sequence(str(midi(MELODY, 0)))
    b = note_seq.midi_file_to_note_sequence(str(midi(MELODY, 1)))
    _, mu, _ = model.encode([a, b])

    def point(t: float) -> list[tuple]:
        z = slerp(mu[0].astype(np.float64), mu[1].astype(np.float64), t)
        return note_tuples(model.decode(z, temperature=0.5, seed=3)[0])

    view = w.results.views[0]
    assert shown_notes(w) == point(0.0)
    w.position_slider.value = 0.5
    assert w.position == 0.5 and shown_notes(w) == point(0.5)
    w.position = 0.3  # snaps to the slider's 5 points
    assert w.position == 0.25 and shown_notes(w) == point(0.25)
    w.position = 1.0
    end = shown_notes(w)
    assert end == point(1.0)
    w.position = 0.5
    assert shown_notes(w) == point(0.5)  # the same music when coming back
    assert sorted(w._points) == [0.0, 0.25, 0.5, 1.0]  # each point decoded once
    assert w.results.views[0] is view and len(w.results.history.options) == 1
    assert "0.50 of the way from A to B" in w.results.captions[0].value


def test_interpolate_between_the_samples_on_display(vaes):
    model = vaes[MELODY]
    w = MusicVAEWidget(model, count=2, seed=5)
    samples = w.sample()
    w.a.source, w.b.source = "last", "last"
    assert (w.a.which, w.b.which) == (1, 2)
    w.position = 1.0
    w.interpolate()
    _, mu, _ = model.encode(samples)
    assert shown_notes(w) == note_tuples(model.decode(mu[1].astype(np.float64),
                                                      temperature=0.5, seed=5)[0])


def test_encode_shows_each_window_of_an_upload(vaes, tmp_path):
    model = vaes[MELODY]
    first = note_seq.midi_file_to_note_sequence(str(midi(MELODY, 0)))
    second = note_seq.midi_file_to_note_sequence(str(midi(MELODY, 1)))
    four_bars = note_seq.sequences_lib.concatenate_sequences([first, second])
    path = tmp_path / "four bars.mid"
    note_seq.sequence_proto_to_midi_file(four_bars, str(path))
    w = MusicVAEWidget(model, seed=2)
    w.source.upload.value = upload_value(path)
    w.encode_button.click()
    assert ERROR_MARK not in w.results.status.value
    windows = model.encode_windows(note_seq.midi_file_to_note_sequence(str(path)))
    assert len(windows) == 3  # 2-bar windows sliding by a bar
    decoded = model.decode(np.stack([x.mu for x in windows]), temperature=0.5, seed=2)
    shown = w.results.current.sequences
    assert [note_tuples(s) for s in shown[1::2]] == [note_tuples(s) for s in decoded]
    bars_2_3 = [(p, v, round(s - 2.0, 6), round(e - 2.0, 6), d)
                for p, v, s, e, d in note_tuples(four_bars) if 2.0 <= s < 6.0]
    assert note_tuples(shown[2]) == bars_2_3  # window 2 is bars 2-3, from time 0
    assert "window 2 (2.00–6.00 s): the input" in w.results.captions[2].value
    assert "window 2 (2.00–6.00 s): decoded from its mean" in w.results.captions[3].value


def test_vae_bad_input_and_wrong_models_are_messages(vaes, tmp_path):
    with pytest.raises(BundleError, match="MusicVAEWidget plays MusicVAE models"):
        MusicVAEWidget(vaes[HUMANIZE])
    w = MusicVAEWidget()
    w.sample_button.click()
    assert "no model loaded" in w.results.status.value
    w.checkpoint_config.value = MELODY
    w.picker.path.value = str(checkpoint(MELODY))
    w.picker.load_button.click()
    assert w.picker.message.value == f"loaded {MELODY}.tar: {MELODY}"
    w.interpolate_button.click()
    assert "no MIDI file yet" in w.results.status.value
    w.a.upload.value = upload_value(midi(MELODY, 0))
    w.b.upload.value = upload_value(midi("cat-drums_2bar_small", 0))  # drums: no melody
    w.interpolate_button.click()
    assert ERROR_MARK in w.results.status.value and "sequence 1 yields no" in \
        w.results.status.value
    w.seed = 0
    w.sample_button.click()
    assert ERROR_MARK not in w.results.status.value


def test_groove_and_drumify_run_their_own_models(vaes):
    w = GrooVAEWidget(vaes[HUMANIZE], vaes[TAP], temperature=0.6, seed=9, qpm=100.0)
    for row, step in [(0, 0), (0, 8), (1, 4), (1, 12), (2, 2), (2, 6), (2, 10), (2, 14)]:
        w.input.grid.toggle(row, step)
    beat = w.input.grid.to_sequence(100.0)
    w.groove_button.click()
    assert ERROR_MARK not in w.results.status.value
    assert shown_notes(w) == note_tuples(vaes[HUMANIZE].humanize(beat, temperature=0.6, seed=9))
    assert w.results.current.sequences[0].tempos[0].qpm == 100.0
    w.input.source = "notes"
    w.input.notes.text = "C4 C4 r C4 C4 r r C4"
    w.drumify_button.click()
    taps = w.input.notes.to_sequence(100.0)
    assert shown_notes(w) == note_tuples(vaes[TAP].drumify(taps, temperature=0.6, seed=9))
    assert all(n.is_drum for n in w.results.current.sequences[0].notes)


def test_groovae_loads_each_checkpoint_into_its_place(vaes):
    w = GrooVAEWidget()
    w.input.upload.value = upload_value(midi(HUMANIZE, 0))
    w.drumify_button.click()
    assert "no Drumify model loaded" in w.results.status.value
    w.checkpoint_config.value = TAP
    w.picker.path.value = str(checkpoint(TAP))
    w.picker.load_button.click()
    assert w.drumify_model.config.id == TAP and w.model is None
    w.groove_button.click()
    assert "no model loaded" in w.results.status.value
    w.drumify_button.click()
    assert ERROR_MARK not in w.results.status.value
    drums = note_seq.midi_file_to_note_sequence(str(midi(HUMANIZE, 0)))
    assert len(w.results.current.sequences[0].notes) > 0
    w.use(vaes[HUMANIZE])
    w.seed = 1
    assert note_tuples(w.groove()) == note_tuples(vaes[HUMANIZE].humanize(drums, seed=1,
                                                                          temperature=0.5))


def test_unused_inputs_are_not_sent_to_the_browser():
    """A dashboard holds several widgets: each must stay small until an input is shown."""
    from ipywidgets.widgets.widget import _instances  # every live widget model

    before = len(_instances)
    w = MusicVAEWidget()
    made = len(_instances) - before
    assert made < 150  # three inputs, without their keyboards and grids
    w.a.source = "notes"  # the keyboard appears when asked for
    assert len(_instances) - before > made + 25
    assert w.a.notes in w.a.children


def test_starter_models_come_first_in_the_pickers_that_play_them():
    w = MusicVAEWidget()
    specs = [spec for _, spec in w.picker.named.options]
    first_hub = next(k for k, spec in enumerate(specs) if spec.startswith("hub:"))
    assert 0 < specs.index("starter:drums_2bar") < first_hub
    assert "starter model" in w.picker.named.options[specs.index("starter:drums_2bar")][0]
    assert all(spec != "starter:drums_2bar" for _, spec in GrooVAEWidget().picker.named.options)
    w.picker.named.value = "starter:drums_2bar"
    assert w.picker.message.value == "loaded starter:drums_2bar: cat-drums_2bar_small"
    assert len(w.sample()) == 2
