"""Parity with real Magenta 2.1.4 on the oracle bundles: softmaxes and generated notes.

Every rnn/ fixture is stable (see tests/fixtures/magenta-oracle/PROVENANCE.md): Magenta's
output does not depend on its sampling seed or on 1e-6 weight noise, so the softmax must
match to 1e-5 at every step and the notes must match for any seed.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ORACLE, RNN_CONFIGS, chord_tuples, note_tuples, read_meta, read_textproto

TOLERANCE = 1e-5
SAMPLING_SEEDS = (0, 1, 7, 2026)


@pytest.mark.parametrize("config", RNN_CONFIGS)
def test_predict_proba_matches_magenta_softmax(models, config):
    first_call = np.load(ORACLE / config / "first_call.npz")
    inputs, expected = first_call["inputs"], first_call["softmax_t1"]
    probabilities = models[config].predict_proba(inputs)
    assert probabilities.shape == expected.shape
    error = np.abs(probabilities - expected).max(axis=(0, 2))
    assert (error < TOLERANCE).all(), error
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, atol=1e-6)


@pytest.mark.parametrize("run", ["plain", "beam"])
@pytest.mark.parametrize("config", RNN_CONFIGS)
def test_generate_reproduces_magenta_notes(models, config, run):
    arguments = read_meta(config)["runs"][run]
    expected = read_textproto(ORACLE / config / f"generated_{run}.textproto")
    assert len(expected.notes) == arguments["notes"]
    for seed in SAMPLING_SEEDS:
        generated = models[config].generate(
            ORACLE / config / "primer.textproto",
            start_time=arguments["start_time"], end_time=arguments["end_time"],
            temperature=arguments["temperature"], beam_size=arguments["beam_size"],
            branch_factor=arguments["branch_factor"],
            steps_per_iteration=arguments["steps_per_iteration"], seed=seed)
        assert note_tuples(generated) == note_tuples(expected), f"seed {seed}"
        assert chord_tuples(generated) == chord_tuples(expected), f"seed {seed}"
        assert generated.total_time == pytest.approx(expected.total_time)
        assert [t.qpm for t in generated.tempos] == [t.qpm for t in expected.tempos]
