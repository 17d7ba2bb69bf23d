"""Performance RNN: parity with real Magenta 2.1.4 for every config it ships with a fixture,
expressive output, and refused arguments."""

from __future__ import annotations

import numpy as np
import pytest
from note_seq.protobuf import music_pb2

from conftest import ORACLE, PERFORMANCE_CONFIGS, note_tuples, read_textproto
from magwidgets.errors import GenerationError, PrimerError
from magwidgets.families.performance_rnn.model import PerformanceRNN
from magwidgets.families.performance_rnn.controls import SETTINGS, step_to_value

@pytest.fixture(scope="module")
def performance_models(models):
    return {config: models[config] for config in PERFORMANCE_CONFIGS}


def _primer(config: str = "performance_with_dynamics") -> music_pb2.NoteSequence:
    return read_textproto(ORACLE / config / "primer.textproto")


# -- loading ------------------------------------------------------------------------------
@pytest.mark.parametrize("config", PERFORMANCE_CONFIGS)
def test_load_picks_the_config(performance_models, config):
    model = performance_models[config]
    assert isinstance(model, PerformanceRNN)
    assert model.config.id == config  # the compact bundle says performance_with_dynamics


def test_compact_and_one_hot_inputs_give_the_same_network(performance_models):
    """The compact bundle is the same network fed class indices instead of one-hot rows."""
    first_call = np.load(ORACLE / "performance_with_dynamics_compact" / "first_call.npz")
    indices = first_call["inputs"]
    one_hot = np.eye(388)[indices[..., 0].astype(int)]
    compact = performance_models["performance_with_dynamics_compact"]
    np.testing.assert_allclose(compact.predict_proba(indices),
                               first_call["softmax_t1"], atol=1e-5, rtol=0)
    assert compact.network.input_size == one_hot.shape[2]


# -- behaviour ----------------------------------------------------------------------------
def test_output_is_expressive(performance_models):
    generation = performance_models["performance_with_dynamics"].generate_with_score(
        _primer(), start_time=2.0, end_time=6.0, temperature=1.0, seed=7)
    new = [n for n in generation.sequence.notes if n.start_time >= 2.0]
    assert len(new) >= 10
    sixteenth = 0.125  # at 120 qpm
    off_grid = [n for n in new if abs(n.start_time / sixteenth - round(n.start_time / sixteenth)) > 1e-6]
    assert len(off_grid) > len(new) // 2  # 10 ms timing, not a 16th grid
    assert len({n.velocity for n in new}) >= 3
    assert generation.sequence.total_time <= 6.0 + 1e-6
    assert np.isfinite(generation.log_likelihood)


def test_seed_reproduces_and_controls_change_the_music(performance_models):
    model = performance_models["multiconditioned_performance_with_dynamics"]
    options = dict(start_time=2.0, end_time=4.0, temperature=1.0, seed=3)
    first = model.generate(_primer(), **options)
    assert note_tuples(first) == note_tuples(model.generate(_primer(), **options))
    other = model.generate(_primer(), notes_per_second=[2, 40],
                           pitch_class_histogram=[[1] + [0] * 11, [0] * 11 + [1]], **options)
    assert note_tuples(other) != note_tuples(first)


def test_no_primer_starts_with_a_second_of_silence(performance_models):
    """Magenta pads an empty primer with one second (100 steps) before generating."""
    generation = performance_models["performance"].generate_with_score(None, start_time=0.0, steps=300, seed=0)
    assert generation.generated_steps == 300
    assert generation.sequence.notes
    assert min(n.start_time for n in generation.sequence.notes) >= 0.01 + 1.0 - 1e-6


def test_fill_generate_section_runs_rounds_until_filled(performance_models):
    model = performance_models["performance_with_dynamics"]
    generation = model.generate_with_score(_primer(), start_time=2.0, end_time=8.0,
                                           temperature=1.0, seed=2, fill_generate_section=True)
    assert generation.sequence.total_time <= 8.0 + 1e-6


def test_step_to_value_spreads_values_like_magenta():
    assert [step_to_value(s, 10, ["a", "b"]) for s in (0, 4, 5, 9, 12)] == ["a"] * 2 + ["b"] * 3


# -- bad input ----------------------------------------------------------------------------
def test_histogram_of_the_wrong_length_is_refused(performance_models):
    model = performance_models["pitch_conditioned_performance_with_dynamics"]
    with pytest.raises(GenerationError, match="must have 12 weights.*got 11"):
        model.generate(_primer(), steps=10, pitch_class_histogram=[1.0] * 11)
    with pytest.raises(GenerationError, match="must have 12 weights.*got 13"):
        model.generate(_primer(), steps=10, pitch_class_histogram=[[1.0] * 12, [1.0] * 13])


def test_negative_histogram_weights_are_refused(performance_models):
    model = performance_models["multiconditioned_performance_with_dynamics"]
    with pytest.raises(GenerationError, match=r"negative weights \[-1\.0\]"):
        model.generate(_primer(), steps=10, pitch_class_histogram=[1.0] * 11 + [-1.0])


@pytest.mark.parametrize("density", [0, -3.0, [4.0, 0.0], float("nan"), "fast", True])
def test_bad_note_density_is_refused(performance_models, density):
    model = performance_models["density_conditioned_performance_with_dynamics"]
    with pytest.raises(GenerationError, match="notes_per_second must be a positive number"):
        model.generate(_primer(), steps=10, notes_per_second=density)


@pytest.mark.parametrize("config, argument, value", [
    ("performance_with_dynamics", "notes_per_second", 5.0),
    ("performance", "pitch_class_histogram", [1.0] * 12),
    ("performance_with_dynamics_compact", "disable_conditioning", True),
    ("pitch_conditioned_performance_with_dynamics", "notes_per_second", 5.0),
    ("multiconditioned_performance_with_dynamics", "disable_conditioning", False),
])
def test_conditioning_a_model_without_it_is_refused(performance_models, config, argument,
                                                   value):
    with pytest.raises(GenerationError, match=f"'{config}' is not conditioned on {argument}"):
        performance_models[config].generate(_primer(), steps=10, **{argument: value})


def test_disable_conditioning_must_be_booleans(performance_models):
    model = performance_models["optional_multiconditioned_performance_with_dynamics"]
    with pytest.raises(GenerationError, match="disable_conditioning must be True or False"):
        model.generate(_primer(), steps=10, disable_conditioning="yes")
    model.generate(_primer(), steps=10, disable_conditioning=[False, True], seed=0)


def test_bad_primers_and_sections_are_refused(performance_models):
    model = performance_models["performance"]
    with pytest.raises(PrimerError, match="after the requested start_time"):
        model.generate(_primer(), start_time=1.0, end_time=3.0)
    drums = music_pb2.NoteSequence()
    drums.notes.add(pitch=36, velocity=100, start_time=0.0, end_time=0.1, is_drum=True)
    with pytest.raises(PrimerError, match="1 drum notes"):
        model.generate(drums, steps=10)
    with pytest.raises(GenerationError, match="either end_time or steps"):
        model.generate(_primer(), end_time=5.0, steps=10)
    with pytest.raises(GenerationError, match="shorter than one step"):
        model.generate(_primer(), start_time=2.0, end_time=2.005)


def test_every_config_has_settings():
    assert set(PERFORMANCE_CONFIGS) == set(SETTINGS)


def test_qpm_only_sets_the_output_tempo(performance_models):
    model = performance_models["performance_with_dynamics"]
    plain = model.generate(_primer(), steps=200, seed=3)
    at_90 = model.generate(_primer(), steps=200, seed=3, qpm=90)
    assert note_tuples(at_90) == note_tuples(plain)
    assert [t.qpm for t in at_90.tempos] == [90.0]
    with pytest.raises(GenerationError, match="qpm must be a number from 1 to 1000"):
        model.generate(_primer(), steps=10, qpm=0)
