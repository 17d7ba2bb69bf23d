"""Bundles from every TF1 naming era load and compute what Magenta's graph computes.

The oracle bundles (Magenta 2.1.4, TF >= 1.3 names) are rewritten, through TensorFlow's own
V1 checkpoint writer, under the variable names older TensorFlow releases produced, and must
still reproduce the oracle softmax. Bundles whose attention wraps the whole LSTM stack (old
Magenta) are checked against an independent TensorFlow re-implementation of tf.contrib's
AttentionCellWrapper around a MultiRNNCell of BasicLSTMCells.
"""

from __future__ import annotations

import numpy as np
import pytest

import bundle_factory as bf
import magwidgets as mw
from conftest import ORACLE, bundle_path

import tensorflow as tf  # noqa: E402  (a core dependency: converting checkpoints)

TOLERANCE = 1e-5  # the oracle fixtures are float32 TensorFlow output


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("MAGWIDGETS_CACHE", str(folder))
    return folder


def _first_call(config: str) -> tuple[np.ndarray, np.ndarray]:
    first_call = np.load(ORACLE / config / "first_call.npz")
    return first_call["inputs"], first_call["softmax_t1"]


def _renamed_bundle(config: str, rename, folder) -> tuple:
    """The oracle bundle of ``config`` with every variable renamed; (path, new names)."""
    original = bf.read_bundle_message(bundle_path(config))
    variables = bf.read_checkpoint_variables(original.checkpoint_file[0], folder / "original")
    renamed = {rename(name): value for name, value in variables.items()}
    assert len(renamed) == len(variables), "the renaming merged two variables"
    checkpoint = bf.write_v1_checkpoint(renamed, folder / "renamed")
    # what TensorFlow wrote is what we meant to write
    written = bf.read_checkpoint_variables(checkpoint, folder / "check")
    assert sorted(written) == sorted(renamed)
    for name, value in renamed.items():
        np.testing.assert_array_equal(written[name], value)
    path = bf.write_bundle(
        folder / f"{config}.mag", generator_id=original.generator_details.id,
        checkpoint=checkpoint, metagraph=original.metagraph_file,
        description=original.generator_details.description)
    return path, sorted(renamed)


# -- 1. every naming era reproduces the oracle --------------------------------------------

def test_era_spellings_are_the_historical_ones():
    """Guards the renaming helpers themselves (the rest of the file relies on them)."""
    assert bf.tf1_0_name("rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel") == \
        "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/weights"
    assert bf.tf1_0_name("rnn/multi_rnn_cell/cell_0/attention_cell_wrapper/attention/bias") == \
        "rnn/multi_rnn_cell/cell_0/attention_cell_wrapper/attention/biases"
    assert bf.tf0_12_name("rnn/multi_rnn_cell/cell_1/basic_lstm_cell/bias") == \
        "RNN/MultiRNNCell/Cell1/BasicLSTMCell/Linear/Bias"
    assert bf.tf0_12_name(
        "rnn/multi_rnn_cell/cell_0/attention_cell_wrapper/attn_output_projection/kernel") == \
        "RNN/MultiRNNCell/Cell0/AttentionCellWrapper/AttnOutputProjection/Linear/Matrix"
    assert bf.tf0_12_name("rnn/attention_cell_wrapper/attention/attn_w") == \
        "RNN/AttentionCellWrapper/Attention/AttnW"
    assert bf.tf0_12_name("rnn/attention_cell_wrapper/attention/kernel") == \
        "RNN/AttentionCellWrapper/Attention/Linear/Matrix"
    assert bf.tf0_12_name("fully_connected/weights") == "fully_connected/weights"


@pytest.mark.parametrize("era", sorted(bf.ERAS))
@pytest.mark.parametrize("config", ["basic_rnn", "lookback_rnn", "drum_kit"])
def test_renamed_oracle_bundle_matches_magenta_softmax(tmp_path, fresh_cache, era, config):
    path, names = _renamed_bundle(config, bf.ERAS[era], tmp_path)
    assert not any(name.startswith("rnn/multi_rnn_cell") and name.endswith("/kernel")
                   for name in names), "the bundle still uses today's names"
    inputs, expected = _first_call(config)

    model = mw.load_model(path)
    np.testing.assert_allclose(model.predict_proba(inputs), expected, rtol=0, atol=TOLERANCE)
    if config == "drum_kit":
        assert model.network.attention is not None
        assert model.network.attention.wraps == "first"
        assert model.network.attention.length == 8  # from the original metagraph

    # the second load reads the cache the first one wrote, and gives the same model
    assert list((fresh_cache / "weights").glob("*.npz"))
    again = mw.load_model(path)
    np.testing.assert_allclose(again.predict_proba(inputs), expected, rtol=0, atol=TOLERANCE)


def test_attention_rnn_renamed_to_tf0_12_matches_magenta(tmp_path, fresh_cache):
    path, _ = _renamed_bundle("attention_rnn", bf.tf0_12_name, tmp_path)
    inputs, expected = _first_call("attention_rnn")
    model = mw.load_model(path)
    assert model.network.attention.length == 8
    np.testing.assert_allclose(model.predict_proba(inputs), expected, rtol=0, atol=TOLERANCE)


# -- 2. no usable state shapes: the config's default attention length ---------------------

def test_oracle_drum_kit_reads_its_attention_length_from_the_metagraph(fresh_cache):
    assert mw.load_model(bundle_path("drum_kit")).network.attention.length == 8


@pytest.mark.parametrize("metagraph", ["no_collection", "no_shapes", "shapeless"])
def test_attention_length_falls_back_to_config_default(tmp_path, fresh_cache, metagraph):
    original = bf.read_bundle_message(bundle_path("drum_kit"))
    if metagraph == "shapeless":
        graph = bf.shapeless_metagraph()
    else:
        graph = bf.metagraph_without_state(original.metagraph_file, metagraph)
    path = bf.write_bundle(tmp_path / "drum_kit.mag", generator_id="drum_kit",
                           checkpoint=original.checkpoint_file[0], metagraph=graph)
    model = mw.load_model(path)
    assert mw.CONFIGS["drum_kit"].default_attention_length == 32
    assert model.network.attention.length == 32
    assert model.network.attention.wraps == "first"
    inputs, _ = _first_call("drum_kit")
    probabilities = model.predict_proba(inputs)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, atol=1e-6)  # float32 sums


# -- 3. attention around the whole stack (old Magenta) ------------------------------------

STACK_CONFIG = "attention_rnn"  # 74 inputs, 40 classes, default attention length 40
STACK_LAYERS = [16, 12]  # different sizes: the attention size must be the LAST layer's
WRAPPER = "rnn/attention_cell_wrapper/"


def _stack_weights(input_size: int, num_classes: int, seed: int = 7) -> dict[str, np.ndarray]:
    """Random weights under today's names for AttentionCellWrapper(MultiRNNCell(...))."""
    rng = np.random.default_rng(seed)

    def w(*shape):
        # 0.3: log-probabilities stay within about [-5, -2.5] (nothing saturates), yet
        # the attention path moves them by >1e-2 -- at 0.1 a wrong query order changed
        # the probabilities by less than 1e-6 and went unnoticed.
        return (0.3 * rng.standard_normal(shape)).astype(np.float32)

    attn_size = STACK_LAYERS[-1]
    weights = {
        WRAPPER + "kernel": w(input_size + attn_size, input_size),
        WRAPPER + "bias": w(input_size),
        WRAPPER + "attention/attn_w": w(1, 1, attn_size, attn_size),
        WRAPPER + "attention/attn_v": w(attn_size),
        WRAPPER + "attention/kernel": w(2 * sum(STACK_LAYERS), attn_size),
        WRAPPER + "attention/bias": w(attn_size),
        WRAPPER + "attn_output_projection/kernel": w(STACK_LAYERS[-1] + attn_size, attn_size),
        WRAPPER + "attn_output_projection/bias": w(attn_size),
        "fully_connected/weights": w(STACK_LAYERS[-1], num_classes),
        "fully_connected/biases": w(num_classes),
    }
    below = input_size
    for index, units in enumerate(STACK_LAYERS):
        cell = f"{WRAPPER}multi_rnn_cell/cell_{index}/basic_lstm_cell/"
        weights[cell + "kernel"] = w(below + units, 4 * units)
        weights[cell + "bias"] = w(4 * units)
        below = units
    return weights


def _reference_softmax(weights: dict[str, np.ndarray], inputs: np.ndarray,
                       attn_length: int) -> np.ndarray:
    """tf.contrib.rnn.AttentionCellWrapper(MultiRNNCell([BasicLSTMCell] * n)), written out
    with TensorFlow ops in float64, independently of magwidgets' NumPy network."""
    W = {name: tf.constant(value, tf.float64) for name, value in weights.items()}

    def linear(args, scope):
        return tf.matmul(tf.concat(args, axis=1), W[scope + "kernel"]) + W[scope + "bias"]

    batch = inputs.shape[0]
    attn_size = W[WRAPPER + "attention/attn_v"].shape[0]
    c = [tf.zeros([batch, units], tf.float64) for units in STACK_LAYERS]
    h = [tf.zeros([batch, units], tf.float64) for units in STACK_LAYERS]
    attns = tf.zeros([batch, attn_size], tf.float64)
    attn_states = tf.zeros([batch, attn_length, attn_size], tf.float64)
    probabilities = []
    for t in range(inputs.shape[1]):
        x = linear([tf.constant(inputs[:, t], tf.float64), attns], WRAPPER)
        for index in range(len(STACK_LAYERS)):  # MultiRNNCell of BasicLSTMCells
            gates = linear([x, h[index]],
                           f"{WRAPPER}multi_rnn_cell/cell_{index}/basic_lstm_cell/")
            i, j, f, o = tf.split(gates, 4, axis=1)
            c[index] = c[index] * tf.sigmoid(f + 1.0) + tf.sigmoid(i) * tf.tanh(j)
            h[index] = tf.tanh(c[index]) * tf.sigmoid(o)
            x = h[index]
        cell_output = x
        # query: nest.flatten(((c0, h0), (c1, h1))) concatenated
        query = tf.concat([part for pair in zip(c, h) for part in pair], axis=1)
        hidden = tf.reshape(attn_states, [-1, attn_length, 1, attn_size])
        hidden_features = tf.nn.conv2d(hidden, W[WRAPPER + "attention/attn_w"],
                                       [1, 1, 1, 1], "SAME")
        y = tf.reshape(linear([query], WRAPPER + "attention/"), [-1, 1, 1, attn_size])
        s = tf.reduce_sum(W[WRAPPER + "attention/attn_v"] * tf.tanh(hidden_features + y),
                          [2, 3])
        a = tf.nn.softmax(s)
        attns = tf.reduce_sum(tf.reshape(a, [-1, attn_length, 1, 1]) * hidden, [1, 2])
        output = linear([cell_output, attns], WRAPPER + "attn_output_projection/")
        attn_states = tf.concat([attn_states[:, 1:], output[:, None, :]], axis=1)
        logits = tf.matmul(output, W["fully_connected/weights"]) + W["fully_connected/biases"]
        probabilities.append(tf.nn.softmax(logits))
    return tf.stack(probabilities, axis=1).numpy()


def test_reference_is_sensitive_to_the_attention_details():
    """With these weights, the window length and the query's c0, h0, c1, h1 order change
    the result far beyond the tolerance -- so the comparison below can catch them."""
    encoder = mw.CONFIGS[STACK_CONFIG].make_encoder()
    weights = _stack_weights(encoder.input_size, encoder.num_classes)
    inputs = np.random.default_rng(1).random((2, 10, encoder.input_size))
    expected = _reference_softmax(weights, inputs, 4)
    assert np.abs(_reference_softmax(weights, inputs, 5) - expected).max() > 1e-4
    sizes = [units for units in STACK_LAYERS for _ in "ch"]  # rows: c0 h0 c1 h1
    starts = np.cumsum([0] + sizes)
    blocks = [np.arange(starts[k], starts[k + 1]) for k in range(len(sizes))]
    c0_c1_h0_h1 = np.concatenate([blocks[0], blocks[2], blocks[1], blocks[3]])
    query = WRAPPER + "attention/kernel"
    swapped = {**weights, query: weights[query][c0_c1_h0_h1]}
    assert np.abs(_reference_softmax(swapped, inputs, 4) - expected).max() > 1e-4


@pytest.mark.parametrize("era", ["current", *sorted(bf.ERAS)])
@pytest.mark.parametrize("length_from", ["config_default", "state_shapes"])
def test_attention_around_the_whole_stack(tmp_path, fresh_cache, era, length_from):
    encoder = mw.CONFIGS[STACK_CONFIG].make_encoder()
    assert (encoder.input_size, encoder.num_classes) == (74, 40)
    weights = _stack_weights(encoder.input_size, encoder.num_classes)
    rename = bf.ERAS.get(era, lambda name: name)
    checkpoint = bf.write_v1_checkpoint({rename(n): v for n, v in weights.items()},
                                        tmp_path / "ckpt")
    attn_size = STACK_LAYERS[-1]
    if length_from == "config_default":
        metagraph, length = bf.shapeless_metagraph(), 40
    else:
        # flattened state of AttentionCellWrapper(MultiRNNCell): c0 h0 c1 h1 attns attn_states
        length = 4  # shorter than the run, so old outputs leave the window
        widths = [units for units in STACK_LAYERS for _ in "ch"] + [attn_size, length * attn_size]
        metagraph = bf.state_metagraph(widths)
    path = bf.write_bundle(tmp_path / "stack.mag", generator_id=STACK_CONFIG,
                           checkpoint=checkpoint, metagraph=metagraph)

    model = mw.load_model(path)
    attention = model.network.attention
    assert attention is not None and attention.wraps == "stack"
    assert attention.size == attn_size
    assert attention.length == length
    assert model.network.layer_sizes == STACK_LAYERS

    inputs = np.random.default_rng(3).random((3, 10, encoder.input_size))
    expected = _reference_softmax(weights, inputs, length)
    probabilities = model.predict_proba(inputs)
    np.testing.assert_allclose(probabilities, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.log(probabilities), np.log(expected), rtol=0, atol=1e-6)
