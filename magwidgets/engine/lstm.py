"""A NumPy LSTM stack with Magenta's attention wrapper: the network behind every event RNN.

Semantics follow TF1's ``BasicLSTMCell`` (one fused kernel over ``[inputs, h]``, gates in
the order i, j, f, o, forget bias +1) and tf.contrib's ``AttentionCellWrapper``
(arXiv:1601.06733), wrapping either the first layer (Magenta >= 1.0) or the whole stack
(older bundles). Arithmetic is float32, as in the TF graphs, and every weight matrix is
applied to one row at a time (a matrix-vector product): a row's result then never depends
on the batch it runs in, so beam search and plain sampling agree digit for digit.

Weight matrices are stored transposed, ``[outputs, inputs]``, so each product reads one
contiguous matrix. Layer 0's input weights are pre-multiplied with the attention wrapper's
input projection (which feeds nothing else), and inputs that are zero -- most of a one-hot
or lookback vector -- are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np

COMPUTE_DTYPE = np.float32  # as the TF graphs compute
FORGET_BIAS = 1.0  # BasicLSTMCell's default, added to the forget gate pre-activation

State = tuple[np.ndarray, ...]
"""RNN state: per layer ``c, h`` ([batch, units] each); then, with attention, ``attns``
([batch, attn_size]), ``attn_states`` ([batch, attn_length, attn_size]) and their
projections ``attn_states @ attn_w`` ([batch, attn_length, attn_vec_size]), kept so each
step projects only the newest state."""


def matmul_rows(weight: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``x @ weight.T``, one row at a time, so a row's result never depends on its batch."""
    return np.stack([weight @ np.ascontiguousarray(row) for row in x])


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """``x @ weight.T + bias`` for ``x`` [batch, inputs] and ``weight`` [outputs, inputs]."""
    return matmul_rows(weight, x) + bias


@dataclass(frozen=True)
class LSTMLayer:
    """One BasicLSTMCell: ``weight`` [4 * units, input + units], ``bias`` [4 * units]."""

    weight: np.ndarray
    bias: np.ndarray

    @property
    def units(self) -> int:
        return self.weight.shape[0] // 4

    @property
    def input_size(self) -> int:
        return self.weight.shape[1] - self.units


@dataclass(frozen=True)
class Attention:
    """AttentionCellWrapper weights and where it sits ("first" layer or whole "stack")."""

    wraps: Literal["first", "stack"]
    length: int
    input_weight: np.ndarray  # [input, input + attn_size]
    input_bias: np.ndarray
    attn_w: np.ndarray  # [attn_vec_size, attn_size] (the 1x1 conv kernel)
    attn_v: np.ndarray  # [attn_vec_size]
    query_weight: np.ndarray  # [attn_vec_size, wrapped state size]
    query_bias: np.ndarray
    output_weight: np.ndarray  # [attn_size, cell output + attn_size]
    output_bias: np.ndarray

    @property
    def size(self) -> int:
        return self.attn_w.shape[1]


SPARSE_FRACTION = 0.25  # skip zero inputs when fewer than this share of them are non-zero


@dataclass(frozen=True)
class InputProjection:
    """Layer 0's gate pre-activations from the network inputs (and attention reads)."""

    input_weight: np.ndarray  # [4 * units, inputs]
    attention_weight: np.ndarray | None  # [4 * units, attn_size]
    bias: np.ndarray

    def _from_inputs(self, row: np.ndarray) -> np.ndarray:
        active = np.flatnonzero(row)
        if len(active) < SPARSE_FRACTION * len(row):
            return self.input_weight[:, active] @ row[active]
        return self.input_weight @ np.ascontiguousarray(row)

    def __call__(self, x: np.ndarray, attns: np.ndarray | None) -> np.ndarray:
        gates = np.stack([self._from_inputs(row) for row in x]) + self.bias
        if attns is not None:
            gates += matmul_rows(self.attention_weight, attns)
        return gates


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, without exp overflow for large |x|."""
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def lstm_update(gates: np.ndarray, c: np.ndarray):
    """BasicLSTMCell's (new c, new h) from its gate pre-activations [batch, 4 * units]."""
    units = gates.shape[1] // 4
    i, j, f, o = (gates[:, k * units:(k + 1) * units] for k in range(4))
    new_c = c * sigmoid(f + FORGET_BIAS) + sigmoid(i) * np.tanh(j)
    new_h = np.tanh(new_c) * sigmoid(o)
    return new_c, new_h


def lstm_step(layer: LSTMLayer, x: np.ndarray, c: np.ndarray, h: np.ndarray):
    """One step of a TF1 ``BasicLSTMCell`` / ``LSTMBlockCell`` (the same arithmetic)."""
    return lstm_update(linear(np.concatenate([x, h], axis=1), layer.weight, layer.bias), c)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax of ``logits / temperature`` over the last axis, in the dtype of ``logits``."""
    scaled = logits / temperature
    scaled -= scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class LSTMNetwork:
    """Stacked LSTM (+ optional attention) followed by the linear output layer."""

    layers: tuple[LSTMLayer, ...]
    attention: Attention | None
    output_weight: np.ndarray  # [num logits, last units]
    output_bias: np.ndarray

    @property
    def input_size(self) -> int:
        if self.attention is not None:
            return self.attention.input_weight.shape[0]
        first = self.layers[0]
        return first.weight.shape[1] - first.units

    @property
    def layer_sizes(self) -> list[int]:
        return [layer.units for layer in self.layers]

    @property
    def num_logits(self) -> int:
        return self.output_weight.shape[0]

    def zero_state(self, batch_size: int) -> State:
        """The all-zero state the graph starts from."""
        dtype = self.output_weight.dtype
        parts: list[np.ndarray] = []
        for layer in self.layers:
            parts += [np.zeros((batch_size, layer.units), dtype)] * 2
        if self.attention is not None:
            att = self.attention
            parts += [np.zeros((batch_size, att.size), dtype),
                      np.zeros((batch_size, att.length, att.size), dtype),
                      np.zeros((batch_size, att.length, att.attn_w.shape[0]), dtype)]
        return tuple(parts)

    def _attend(self, query, attn_states, attn_features, cell_output):
        att = self.attention
        y = linear(query, att.query_weight, att.query_bias)
        scores = np.sum(att.attn_v * np.tanh(attn_features + y[:, None, :]), axis=2)
        weights = softmax(scores)
        new_attns = np.sum(weights[:, :, None] * attn_states, axis=1)
        output = linear(np.concatenate([cell_output, new_attns], axis=1),
                        att.output_weight, att.output_bias)
        new_feature = matmul_rows(att.attn_w, output)
        new_attn_states = np.concatenate([attn_states[:, 1:], output[:, None, :]], axis=1)
        new_features = np.concatenate([attn_features[:, 1:], new_feature[:, None, :]], axis=1)
        return output, (new_attns, new_attn_states, new_features)

    @cached_property
    def _first_layer(self) -> tuple[InputProjection, np.ndarray]:
        """Layer 0 split into its input projection and its recurrent weight [4u, units]."""
        layer = self.layers[0]
        inputs = layer.weight.shape[1] - layer.units
        from_inputs = layer.weight[:, :inputs]
        recurrent = np.ascontiguousarray(layer.weight[:, inputs:])
        att = self.attention
        if att is None:
            return InputProjection(np.ascontiguousarray(from_inputs), None, layer.bias), recurrent
        raw = att.input_weight.shape[0]  # the wrapper maps [x, attns] to the cell's input
        projection = InputProjection(
            input_weight=from_inputs @ att.input_weight[:, :raw],
            attention_weight=from_inputs @ att.input_weight[:, raw:],
            bias=from_inputs @ att.input_bias + layer.bias)
        return projection, recurrent

    def _run_layers(self, x: np.ndarray, cells: list[np.ndarray], first: int, last: int,
                    attns: np.ndarray | None = None):
        for index in range(first, last):
            c, h = cells[2 * index], cells[2 * index + 1]
            if index == 0:
                projection, recurrent = self._first_layer
                gates = projection(x, attns) + matmul_rows(recurrent, h)
            else:
                layer = self.layers[index]
                gates = linear(np.concatenate([x, h], axis=1), layer.weight, layer.bias)
            c, h = lstm_update(gates, c)
            cells[2 * index], cells[2 * index + 1] = c, h
            x = h
        return x

    def step(self, x: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        """Advance one time step: ``x`` [batch, input] -> (logits [batch, num_logits], state)."""
        x = x.astype(self.output_weight.dtype, copy=False)
        num_cells = 2 * len(self.layers)
        cells = list(state[:num_cells])
        att = self.attention
        if att is None:
            output = self._run_layers(x, cells, 0, len(self.layers))
            extra: State = ()
        else:
            attns, attn_states, attn_features = state[num_cells:]
            wrapped = 1 if att.wraps == "first" else len(self.layers)
            cell_output = self._run_layers(x, cells, 0, wrapped, attns)
            query = np.concatenate(cells[:2 * wrapped], axis=1)  # c0, h0, c1, h1 ...
            output, extra = self._attend(query, attn_states, attn_features, cell_output)
            output = self._run_layers(output, cells, wrapped, len(self.layers))
        logits = linear(output, self.output_weight, self.output_bias)
        return logits, tuple(cells) + extra

    def run(self, inputs: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        """Run a whole input batch [batch, time, input] -> (logits [batch, time, n], state)."""
        logits = []
        for t in range(inputs.shape[1]):
            step_logits, state = self.step(inputs[:, t], state)
            logits.append(step_logits)
        return np.stack(logits, axis=1), state


def take_state(state: State, indices: np.ndarray) -> State:
    """Select (and reorder or repeat) batch entries of a state."""
    return tuple(part[indices] for part in state)
