"""MusicVAE's networks in NumPy: LSTMBlockCell, the bidirectional encoder, the LSTM decoder.

Variable names are those of Magenta's TF1 graph (``encoder/cell_<k>/bidirectional_rnn/fw/...``,
``decoder/multi_rnn_cell/cell_<k>/lstm_cell/...``, ``decoder/z_to_initial_state``,
``decoder/output_projection``, ``encoder/mu``, ``encoder/sigma``); a hierarchical decoder's
core decoder lives under ``core_decoder/`` (``core_decoder/core_decoder_<i>/`` when split).
"""

from __future__ import annotations

import numpy as np

from magwidgets.engine.lstm import COMPUTE_DTYPE, LSTMLayer, lstm_step, lstm_update, sigmoid

_ENC = "encoder/cell_{}/bidirectional_rnn/{}/multi_rnn_cell/cell_0/lstm_cell/"


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def cell(weights: dict[str, np.ndarray], prefix: str) -> LSTMLayer:
    """An LSTMBlockCell's weights, transposed for the shared engine's ``lstm_step``."""
    return LSTMLayer(np.ascontiguousarray(weights[prefix + "kernel"].astype(COMPUTE_DTYPE).T),
                     weights[prefix + "bias"].astype(COMPUTE_DTYPE))


def stacked_cells(weights: dict[str, np.ndarray], prefix: str) -> list[LSTMLayer]:
    """The layers ``<prefix>cell_0/lstm_cell/``, ``cell_1``, ... of a MultiRNNCell."""
    cells: list[LSTMLayer] = []
    while f"{prefix}cell_{len(cells)}/lstm_cell/kernel" in weights:
        cells.append(cell(weights, f"{prefix}cell_{len(cells)}/lstm_cell/"))
    return cells


def dense(weights, name):
    return (weights[name + "/kernel"].astype(COMPUTE_DTYPE),
            weights[name + "/bias"].astype(COMPUTE_DTYPE))


def initial_state(embedding: np.ndarray, layer: tuple[np.ndarray, np.ndarray],
                  cells: list[LSTMLayer]) -> list[tuple[np.ndarray, np.ndarray]]:
    """``initial_cell_state_from_embedding``: tanh(dense(embedding)) split into each layer's
    (c, h)."""
    flat = np.tanh(embedding @ layer[0] + layer[1])
    sizes = [size for c in cells for size in (c.units, c.units)]
    parts = np.split(flat, np.cumsum(sizes)[:-1], axis=1)
    return [(parts[2 * k], parts[2 * k + 1]) for k in range(len(cells))]


def stack_step(cells: list[LSTMLayer], x: np.ndarray, state: list) -> np.ndarray:
    """One step through a MultiRNNCell, updating ``state`` in place; the top layer's h."""
    for k, layer in enumerate(cells):
        state[k] = lstm_step(layer, x, *state[k])
        x = state[k][1]
    return x


def _reverse(inputs: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each sequence's first ``length`` steps reversed (``tf.reverse_sequence``)."""
    reversed_inputs = np.zeros_like(inputs)
    for b, length in enumerate(lengths):
        reversed_inputs[b, :length] = inputs[b, :length][::-1]
    return reversed_inputs


def _run(layer: LSTMLayer, inputs: np.ndarray, lengths: np.ndarray):
    """``dynamic_rnn`` over a padded batch: (outputs, zero past each length; final h)."""
    batch, depth = inputs.shape[0], layer.input_size
    # the inputs' share of the gates for every step at once: one matrix product, not T
    input_gates = inputs @ layer.weight[:, :depth].T + layer.bias
    recurrent = np.ascontiguousarray(layer.weight[:, depth:])
    c = np.zeros((batch, layer.units), COMPUTE_DTYPE)
    h = np.zeros((batch, layer.units), COMPUTE_DTYPE)
    outputs = np.zeros((batch, inputs.shape[1], layer.units), COMPUTE_DTYPE)
    for t in range(inputs.shape[1]):
        new_c, new_h = lstm_update(input_gates[:, t] + h @ recurrent.T, c)
        live = (t < lengths)[:, None]
        c, h = np.where(live, new_c, c), np.where(live, new_h, h)
        outputs[:, t] = np.where(live, new_h, 0.0)
    return outputs, h


class Encoder:
    """``BidirectionalLstmEncoder`` (``stack_bidirectional_dynamic_rnn``: each layer reads
    the previous layer's forward and backward outputs) + the ``encoder/mu`` and
    ``encoder/sigma`` dense layers of ``MusicVAE.encode``."""

    def __init__(self, weights: dict[str, np.ndarray]):
        self.layers: list[tuple[LSTMLayer, LSTMLayer]] = []
        while _ENC.format(len(self.layers), "fw") + "kernel" in weights:
            k = len(self.layers)
            self.layers.append((cell(weights, _ENC.format(k, "fw")),
                                cell(weights, _ENC.format(k, "bw"))))
        if not self.layers:
            raise KeyError(_ENC.format(0, "fw") + "kernel")
        self.mu = dense(weights, "encoder/mu")
        # Magenta.js only reads mu, so its checkpoint folders may leave sigma out
        self.sigma = dense(weights, "encoder/sigma") if "encoder/sigma/kernel" in weights else None

    @property
    def input_size(self) -> int:
        return self.layers[0][0].input_size

    @property
    def z_size(self) -> int:
        return self.mu[1].shape[0]

    def __call__(self, inputs: np.ndarray, lengths: np.ndarray):
        """(mu, sigma) for a padded batch ``inputs`` [batch, time, depth]; sigma is zero for a
        checkpoint without ``encoder/sigma``."""
        x = inputs
        for fw, bw in self.layers:
            out_fw, last_fw = _run(fw, x, lengths)
            out_bw, last_bw = _run(bw, _reverse(x, lengths), lengths)
            x = np.concatenate([out_fw, _reverse(out_bw, lengths)], axis=2)
        encoded = np.concatenate([last_fw, last_bw], axis=1)
        mu = encoded @ self.mu[0] + self.mu[1]
        if self.sigma is None:  # encode to mu itself, as Magenta.js does
            return mu, np.zeros_like(mu)
        sigma = _softplus(encoded @ self.sigma[0] + self.sigma[1])
        return mu, sigma


class Decoder:
    """``CategoricalLstmDecoder.sample``: the state from ``tanh(dense(z))``, each step fed the
    previous sample (one-hot; zeros at the start) concatenated with z."""

    def __init__(self, weights: dict[str, np.ndarray], scope: str = "decoder"):
        self.cells = stacked_cells(weights, f"{scope}/multi_rnn_cell/")
        if not self.cells:
            raise KeyError(f"{scope}/multi_rnn_cell/cell_0/lstm_cell/kernel")
        self.initial = dense(weights, f"{scope}/z_to_initial_state")
        self.output = dense(weights, f"{scope}/output_projection")

    @property
    def output_depth(self) -> int:
        """Depth of one sampled step (what is fed back as the next input)."""
        return self.output[1].shape[0]

    @property
    def input_size(self) -> int:
        return self.cells[0].input_size

    @property
    def z_size(self) -> int:
        return self.initial[0].shape[0]

    def _sample(self, output: np.ndarray, temperature: float, rng: np.random.Generator):
        """(what to record, the next step's input) for one step's projected output."""
        logits = output / temperature
        gumbel = -np.log(-np.log(rng.uniform(np.finfo(float).tiny, 1.0, logits.shape)))
        index = np.argmax(logits + gumbel, axis=1)
        one_hot = np.zeros_like(output)
        one_hot[np.arange(len(index)), index] = 1.0
        return index, one_hot

    def run(self, z: np.ndarray, length: int, temperature: float, rng: np.random.Generator,
            start: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(sampled outputs [batch, length, ...], the last step's fed-back sample); the first
        step is fed ``start`` (zeros by default)."""
        state = initial_state(z, self.initial, self.cells)
        if start is None:
            start = np.zeros((z.shape[0], self.output_depth), COMPUTE_DTYPE)
        previous = start
        samples = []
        for _ in range(length):
            top = stack_step(self.cells, np.concatenate([previous, z], axis=1), state)
            record, previous = self._sample(top @ self.output[0] + self.output[1],
                                            temperature, rng)
            samples.append(record)
        return np.stack(samples, axis=1), previous

    def __call__(self, z: np.ndarray, length: int, temperature: float,
                 rng: np.random.Generator) -> np.ndarray:
        """Sampled outputs [batch, length] (class indices) or [batch, length, depth]."""
        return self.run(z, length, temperature, rng)[0]


class GrooveDecoder(Decoder):
    """``GrooveLstmDecoder.sample``: per drum class a hit drawn from Bernoulli(sigmoid(logit /
    temperature)), a velocity sigmoid(.) and an offset tanh(.); the whole [hits, velocities,
    offsets] vector is recorded and fed back as the next input."""

    def _sample(self, output: np.ndarray, temperature: float, rng: np.random.Generator):
        hits, velocities, offsets = np.split(output, 3, axis=1)
        probability = sigmoid(hits / temperature)
        hits = (rng.uniform(0.0, 1.0, hits.shape) < probability).astype(COMPUTE_DTYPE)
        sample = np.concatenate([hits, 1.0 / (1.0 + np.exp(-velocities)), np.tanh(offsets)],
                                axis=1)
        return sample, sample
