"""MusicVAE's networks in NumPy: LSTMBlockCell, the bidirectional encoder, the LSTM decoder.

Variable names are those of Magenta's TF1 graph (``encoder/cell_0/bidirectional_rnn/fw/...``,
``decoder/multi_rnn_cell/cell_<k>/lstm_cell/...``, ``decoder/z_to_initial_state``,
``decoder/output_projection``, ``encoder/mu``, ``encoder/sigma``).
"""

from __future__ import annotations

import numpy as np

from magwidgets.models.lstm import LSTMLayer, lstm_step

_ENC = "encoder/cell_0/bidirectional_rnn/{}/multi_rnn_cell/cell_0/lstm_cell/"
_DEC = "decoder/multi_rnn_cell/cell_{}/lstm_cell/"


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _cell(weights: dict[str, np.ndarray], prefix: str) -> LSTMLayer:
    """An LSTMBlockCell's weights, transposed for the shared engine's ``lstm_step``."""
    return LSTMLayer(np.ascontiguousarray(weights[prefix + "kernel"].astype(np.float64).T),
                     weights[prefix + "bias"].astype(np.float64))


def _dense(weights, name):
    return weights[name + "/kernel"].astype(np.float64), weights[name + "/bias"].astype(np.float64)


class Encoder:
    """``BidirectionalLstmEncoder`` (one layer) + the ``encoder/mu`` and ``encoder/sigma``
    dense layers of ``MusicVAE.encode``."""

    def __init__(self, weights: dict[str, np.ndarray]):
        self.fw = _cell(weights, _ENC.format("fw"))
        self.bw = _cell(weights, _ENC.format("bw"))
        self.mu = _dense(weights, "encoder/mu")
        self.sigma = _dense(weights, "encoder/sigma")

    @property
    def input_size(self) -> int:
        return self.fw.input_size

    @property
    def z_size(self) -> int:
        return self.mu[1].shape[0]

    @staticmethod
    def _final_h(cell: LSTMLayer, inputs: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        batch = inputs.shape[0]
        c = np.zeros((batch, cell.units))
        h = np.zeros((batch, cell.units))
        for t in range(inputs.shape[1]):
            new_c, new_h = lstm_step(cell, inputs[:, t], c, h)
            live = (t < lengths)[:, None]
            c, h = np.where(live, new_c, c), np.where(live, new_h, h)
        return h

    def __call__(self, inputs: np.ndarray, lengths: np.ndarray):
        """(mu, sigma) for a padded batch ``inputs`` [batch, time, depth]."""
        reversed_inputs = np.zeros_like(inputs)
        for b, length in enumerate(lengths):
            reversed_inputs[b, :length] = inputs[b, :length][::-1]
        encoded = np.concatenate([self._final_h(self.fw, inputs, lengths),
                                  self._final_h(self.bw, reversed_inputs, lengths)], axis=1)
        mu = encoded @ self.mu[0] + self.mu[1]
        sigma = _softplus(encoded @ self.sigma[0] + self.sigma[1])
        return mu, sigma


class Decoder:
    """``CategoricalLstmDecoder.sample``: the state from ``tanh(dense(z))``, each step fed the
    previous sample (one-hot; zeros at the start) concatenated with z."""

    def __init__(self, weights: dict[str, np.ndarray]):
        self.cells = []
        while _DEC.format(len(self.cells)) + "kernel" in weights:
            self.cells.append(_cell(weights, _DEC.format(len(self.cells))))
        self.initial = _dense(weights, "decoder/z_to_initial_state")
        self.output = _dense(weights, "decoder/output_projection")

    @property
    def output_depth(self) -> int:
        return self.output[1].shape[0]

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

    def __call__(self, z: np.ndarray, length: int, temperature: float,
                 rng: np.random.Generator) -> np.ndarray:
        """Sampled outputs [batch, length] (class indices) or [batch, length, depth]."""
        batch = z.shape[0]
        flat = np.tanh(z @ self.initial[0] + self.initial[1])
        sizes = [size for cell in self.cells for size in (cell.units, cell.units)]
        parts = np.split(flat, np.cumsum(sizes)[:-1], axis=1)
        state = [(parts[2 * k], parts[2 * k + 1]) for k in range(len(self.cells))]
        previous = np.zeros((batch, self.output_depth))
        samples = []
        for _ in range(length):
            x = np.concatenate([previous, z], axis=1)
            for k, cell in enumerate(self.cells):
                c, h = lstm_step(cell, x, *state[k])
                state[k] = (c, h)
                x = h
            record, previous = self._sample(x @ self.output[0] + self.output[1],
                                            temperature, rng)
            samples.append(record)
        return np.stack(samples, axis=1)


class GrooveDecoder(Decoder):
    """``GrooveLstmDecoder.sample``: per drum class a hit drawn from Bernoulli(sigmoid(logit /
    temperature)), a velocity sigmoid(.) and an offset tanh(.); the whole [hits, velocities,
    offsets] vector is recorded and fed back as the next input."""

    def _sample(self, output: np.ndarray, temperature: float, rng: np.random.Generator):
        hits, velocities, offsets = np.split(output, 3, axis=1)
        probability = 0.5 * (1.0 + np.tanh(0.5 * hits / temperature))  # stable sigmoid
        hits = (rng.uniform(0.0, 1.0, hits.shape) < probability).astype(np.float64)
        sample = np.concatenate([hits, 1.0 / (1.0 + np.exp(-velocities)), np.tanh(offsets)],
                                axis=1)
        return sample, sample
