"""The Keras network of an event-RNN config, and its weights under Magenta's TF1 names.

The network is the one Magenta's ``events_rnn_graph`` builds and the NumPy engine runs:
stacked LSTMs (TF1 ``BasicLSTMCell`` arithmetic), optionally Magenta's attention wrapper
(arXiv:1601.06733) around the first layer or the whole stack, dropout on each layer's
output while training, and a linear layer to the logits. Plain layers are Keras ``LSTM``s
(cuDNN on a GPU); their weights are rewritten to TF1's layout on export. The attention
cell is written in TF1's layout from the start.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import keras
import numpy as np
from keras import ops

from magwidgets.errors import MagwidgetsError
from magwidgets.families import EVENT_RNN_CONFIGS as CONFIGS

FORGET_BIAS = 1.0  # BasicLSTMCell adds this to the forget gate; Keras learns it in the bias


@dataclass(frozen=True)
class Hparams:
    """Magenta's default network and training hparams of a config."""

    layer_sizes: tuple[int, ...]
    attention_length: int = 0
    dropout_keep_prob: float = 0.5
    clip_norm: float = 5.0
    batch_size: int = 128
    learning_rate: float = 0.001


_PERFORMANCE = Hparams((512, 512, 512), dropout_keep_prob=1.0, clip_norm=3.0, batch_size=64)
MAGENTA_HPARAMS: dict[str, Hparams] = {
    "one_drum": Hparams((128, 128)),
    "drum_kit": Hparams((256, 256, 256), attention_length=32, clip_norm=3.0),
    "basic_rnn": Hparams((128, 128)),
    "mono_rnn": Hparams((128, 128)),
    "lookback_rnn": Hparams((128, 128)),
    "attention_rnn": Hparams((128, 128), attention_length=40, clip_norm=3.0),
    "polyphony": Hparams((256, 256, 256), batch_size=64),
    "basic_improv": Hparams((64, 64)),
    "attention_improv": Hparams((128, 128, 128), attention_length=40, clip_norm=3.0),
    "chord_pitches_improv": Hparams((256, 256, 256), clip_norm=3.0),
    **{config_id: _PERFORMANCE for config_id, config in CONFIGS.items()
       if config.family == "performance_rnn"},
}


@dataclass(frozen=True)
class NetworkSpec:
    """Everything that fixes the shapes of one event-RNN network."""

    config_id: str
    layer_sizes: tuple[int, ...]
    attention_length: int  # 0: no attention
    attention_wraps: Literal["first", "stack"]
    input_size: int  # the one-hot width the LSTMs read
    num_classes: int
    index_inputs: bool  # inputs are class indices [T] (Magenta's compact encoders)
    dropout_keep_prob: float

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> NetworkSpec:
        """The spec ``as_dict`` gave (as read back from run.json)."""
        return cls(**{**values, "layer_sizes": tuple(values["layer_sizes"])})


def network_spec(config_id: str, *, layer_sizes: tuple[int, ...] | None = None,
                 attention_length: int | None = None,
                 attention_wraps: Literal["first", "stack"] = "first",
                 dropout_keep_prob: float | None = None) -> NetworkSpec:
    """The spec of ``config_id`` with Magenta's defaults where an argument is None."""
    if config_id not in MAGENTA_HPARAMS:
        raise MagwidgetsError(f"unknown event-RNN config {config_id!r}; expected one of "
                              f"{', '.join(sorted(MAGENTA_HPARAMS))}")
    defaults = MAGENTA_HPARAMS[config_id]
    sizes = tuple(layer_sizes or defaults.layer_sizes)
    if not sizes or any(size < 1 for size in sizes):
        raise MagwidgetsError(f"layer sizes must be positive integers, got {list(sizes)}")
    encoder = CONFIGS[config_id].make_encoder()
    index_inputs = hasattr(encoder, "input_depth")
    return NetworkSpec(
        config_id=config_id, layer_sizes=sizes,
        attention_length=defaults.attention_length if attention_length is None
        else attention_length,
        attention_wraps=attention_wraps,
        input_size=encoder.input_depth if index_inputs else encoder.input_size,
        num_classes=encoder.num_classes, index_inputs=index_inputs,
        dropout_keep_prob=defaults.dropout_keep_prob if dropout_keep_prob is None
        else dropout_keep_prob)


def tf1_lstm(x, c, h, kernel, bias):
    """TF1 BasicLSTMCell: one kernel over [x, h], gates i, j, f, o, forget bias +1."""
    gates = ops.matmul(ops.concatenate([x, h], axis=-1), kernel) + bias
    i, j, f, o = ops.split(gates, 4, axis=-1)
    new_c = c * ops.sigmoid(f + FORGET_BIAS) + ops.sigmoid(i) * ops.tanh(j)
    return new_c, ops.tanh(new_c) * ops.sigmoid(o)


@dataclass(frozen=True)
class AttentionWeights:
    """The tensors of an attention wrapper and the LSTMs it wraps (TF1 layout, [in, out])."""

    input_kernel: Any  # [inputs + attn_size, inputs]: the wrapper's input projection
    input_bias: Any
    lstm: tuple[tuple[Any, Any], ...]  # (kernel [in + units, 4 units], bias) per layer
    attn_w: Any  # [attn_size, attn_vec_size]: the 1x1 convolution over past outputs
    attn_v: Any
    query_kernel: Any  # [2 * sum(units), attn_vec_size]
    query_bias: Any
    output_kernel: Any  # [last units + attn_size, attn_size]
    output_bias: Any


def attention_step(weights: AttentionWeights, length: int, inputs, states: list):
    """One step of ``AttentionCellWrapper`` (``states``: c, h per wrapped layer, attns,
    attn_states [batch, length * size]) -> (output, new states), in any Keras backend
    (the export builds Magenta's TF graph from it too)."""
    size = weights.output_kernel.shape[-1]
    cells, attns, attn_states = list(states[:-2]), states[-2], states[-1]
    hidden = ops.reshape(attn_states, (-1, length, size))
    x = ops.matmul(ops.concatenate([inputs, attns], axis=-1), weights.input_kernel)
    x = x + weights.input_bias
    for index, (kernel, bias) in enumerate(weights.lstm):
        c, x = tf1_lstm(x, cells[2 * index], cells[2 * index + 1], kernel, bias)
        cells[2 * index], cells[2 * index + 1] = c, x
    query = ops.matmul(ops.concatenate(cells, axis=-1), weights.query_kernel) + weights.query_bias
    features = ops.matmul(hidden, weights.attn_w)
    scores = ops.sum(weights.attn_v * ops.tanh(features + query[:, None, :]), axis=-1)
    new_attns = ops.sum(ops.softmax(scores, axis=-1)[:, :, None] * hidden, axis=1)
    output = ops.matmul(ops.concatenate([x, new_attns], axis=-1), weights.output_kernel)
    output = output + weights.output_bias
    new_hidden = ops.concatenate([hidden[:, 1:], output[:, None, :]], axis=1)
    return output, cells + [new_attns, ops.reshape(new_hidden, (-1, length * size))]


@keras.saving.register_keras_serializable(package="magwidgets")
class AttentionLSTMCell(keras.layers.Layer):
    """tf.contrib's ``AttentionCellWrapper`` around a stack of TF1 ``BasicLSTMCell``s.

    State, flattened as Magenta's graph flattens it: ``c, h`` per wrapped layer, then
    ``attns`` [attn_size] and ``attn_states`` [attn_length * attn_size], where attn_size
    (= attn_vec_size) is the last wrapped layer's width.
    """

    def __init__(self, units: list[int], attention_length: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = [int(size) for size in units]
        self.attention_length = int(attention_length)
        self.attn_size = self.units[-1]
        self.state_size = [size for size in self.units for _ in range(2)] + [
            self.attn_size, self.attention_length * self.attn_size]
        self.output_size = self.attn_size

    def build(self, input_shape) -> None:
        inputs, attn = int(input_shape[-1]), self.attn_size
        input_kernel = self.add_weight((inputs + attn, inputs), name="input_kernel")
        input_bias = self.add_weight((inputs,), initializer="zeros", name="input_bias")
        lstm, previous = [], inputs
        for index, size in enumerate(self.units):
            lstm.append((self.add_weight((previous + size, 4 * size), name=f"lstm_{index}_kernel"),
                         self.add_weight((4 * size,), initializer="zeros",
                                         name=f"lstm_{index}_bias")))
            previous = size
        self.attention_weights = AttentionWeights(
            input_kernel=input_kernel, input_bias=input_bias, lstm=tuple(lstm),
            attn_w=self.add_weight((attn, attn), name="attn_w"),
            attn_v=self.add_weight((attn,), name="attn_v",
                                   initializer=keras.initializers.RandomUniform(-0.1, 0.1)),
            query_kernel=self.add_weight((2 * sum(self.units), attn), name="query_kernel"),
            query_bias=self.add_weight((attn,), initializer="zeros", name="query_bias"),
            output_kernel=self.add_weight((self.units[-1] + attn, attn), name="output_kernel"),
            output_bias=self.add_weight((attn,), initializer="zeros", name="output_bias"))

    def call(self, inputs, states):
        return attention_step(self.attention_weights, self.attention_length, inputs, states)

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units,
                "attention_length": self.attention_length}


@keras.saving.register_keras_serializable(package="magwidgets")
class OneHot(keras.layers.Layer):
    """Class indices [batch, time] -> one-hot rows, as Magenta's graph expands compact inputs."""

    def __init__(self, depth: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.depth = int(depth)

    def call(self, inputs):
        return ops.one_hot(ops.cast(inputs, "int32"), self.depth)

    def get_config(self) -> dict:
        return {**super().get_config(), "depth": self.depth}


def masked_loss() -> keras.losses.Loss:
    """Cross-entropy from logits, averaged over the steps whose weight is 1 (not padding)."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                      reduction="mean_with_sample_weight")


def _layer_name(index: int) -> str:
    return f"lstm_{index}"


def build_model(spec: NetworkSpec) -> keras.Model:
    """The Keras network of ``spec``: inputs [batch, time, input] (class indices [batch,
    time] for index-input configs) -> logits [batch, time, num_classes]."""
    if spec.index_inputs:
        inputs = keras.Input((None,), dtype="int32", name="inputs")
        hidden = OneHot(spec.input_size, name="one_hot")(inputs)
    else:
        inputs = keras.Input((None, spec.input_size), name="inputs")
        hidden = inputs
    wrapped = 0
    if spec.attention_length:
        wrapped = 1 if spec.attention_wraps == "first" else len(spec.layer_sizes)
        cell = AttentionLSTMCell(list(spec.layer_sizes[:wrapped]), spec.attention_length)
        hidden = keras.layers.RNN(cell, return_sequences=True, name="attention")(hidden)
        hidden = _dropout(hidden, spec, "attention")
    for index in range(wrapped, len(spec.layer_sizes)):
        hidden = keras.layers.LSTM(spec.layer_sizes[index], return_sequences=True,
                                   unit_forget_bias=True, name=_layer_name(index))(hidden)
        hidden = _dropout(hidden, spec, _layer_name(index))
    logits = keras.layers.Dense(spec.num_classes, name="logits")(hidden)
    return keras.Model(inputs, logits, name=spec.config_id)


def _dropout(hidden, spec: NetworkSpec, after: str):
    """Magenta's DropoutWrapper(output_keep_prob) on a layer's output, while training."""
    if spec.dropout_keep_prob >= 1.0:
        return hidden
    return keras.layers.Dropout(1.0 - spec.dropout_keep_prob, name=f"{after}_dropout")(hidden)


# -- export under Magenta's names -------------------------------------------------------------

def keras_lstm_as_tf1(layer: keras.layers.LSTM) -> tuple[np.ndarray, np.ndarray]:
    """A Keras LSTM's weights as TF1 BasicLSTMCell's or LSTMBlockCell's (the same layout):
    kernel [in + units, 4 units] with gates i, j, f, o, and bias less the built-in forget bias."""
    kernel, recurrent, bias = (np.asarray(w, np.float32) for w in layer.get_weights())
    i, f, c, o = np.split(np.concatenate([kernel, recurrent], axis=0), 4, axis=1)
    bi, bf, bc, bo = np.split(bias, 4)
    return (np.concatenate([i, c, f, o], axis=1),
            np.concatenate([bi, bc, bf - FORGET_BIAS, bo]))


def attention_scopes(wraps: str, layers: int) -> tuple[str, list[str]]:
    """Magenta's scope of the attention wrapper, and of each LSTM it wraps."""
    if wraps == "first":
        prefix = "rnn/multi_rnn_cell/cell_0/attention_cell_wrapper/"
        return prefix, [prefix + "basic_lstm_cell/"]
    prefix = "rnn/attention_cell_wrapper/"
    return prefix, [f"{prefix}multi_rnn_cell/cell_{index}/basic_lstm_cell/"
                    for index in range(layers)]


def _attention_variables(cell: AttentionLSTMCell, wraps: str) -> dict[str, np.ndarray]:
    def value(weight) -> np.ndarray:
        return np.asarray(weight.numpy(), np.float32)

    weights = cell.attention_weights
    prefix, lstm_scopes = attention_scopes(wraps, len(cell.units))
    variables = {
        prefix + "kernel": value(weights.input_kernel),
        prefix + "bias": value(weights.input_bias),
        prefix + "attention/attn_w": value(weights.attn_w)[None, None],  # [1, 1, size, vec]
        prefix + "attention/attn_v": value(weights.attn_v),
        prefix + "attention/kernel": value(weights.query_kernel),
        prefix + "attention/bias": value(weights.query_bias),
        prefix + "attn_output_projection/kernel": value(weights.output_kernel),
        prefix + "attn_output_projection/bias": value(weights.output_bias),
    }
    for scope, (kernel, bias) in zip(lstm_scopes, weights.lstm):
        variables[scope + "kernel"], variables[scope + "bias"] = value(kernel), value(bias)
    return variables


def magenta_variables(model: keras.Model, spec: NetworkSpec) -> dict[str, np.ndarray]:
    """The trained weights under the TF1 variable names Magenta's graph gives them."""
    variables: dict[str, np.ndarray] = {}
    wrapped = 0
    if spec.attention_length:
        wrapped = 1 if spec.attention_wraps == "first" else len(spec.layer_sizes)
        variables.update(_attention_variables(model.get_layer("attention").cell,
                                              spec.attention_wraps))
    for index in range(wrapped, len(spec.layer_sizes)):
        kernel, bias = keras_lstm_as_tf1(model.get_layer(_layer_name(index)))
        scope = f"rnn/multi_rnn_cell/cell_{index}/basic_lstm_cell/"
        variables[scope + "kernel"], variables[scope + "bias"] = kernel, bias
    weights, biases = model.get_layer("logits").get_weights()
    variables["fully_connected/weights"] = np.asarray(weights, np.float32)
    variables["fully_connected/biases"] = np.asarray(biases, np.float32)
    return variables
