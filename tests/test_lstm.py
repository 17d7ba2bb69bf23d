"""The NumPy network: a row's result does not depend on the batch it runs in."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("config", ["drum_kit", "attention_rnn", "lookback_rnn"])
def test_rows_give_the_same_bits_alone_and_in_a_batch(models, config):
    network = models[config].network
    generator = np.random.default_rng(0)
    inputs = (generator.random((6, 5, network.input_size)) < 0.05).astype(np.float32)
    batch_logits, batch_state = network.run(inputs, network.zero_state(6))
    for row in range(6):
        logits, state = network.run(inputs[row:row + 1], network.zero_state(1))
        assert np.array_equal(logits[0], batch_logits[row])
        assert all(np.array_equal(a[0], b[row]) for a, b in zip(state, batch_state))
