"""``MultiLabelRnnNadeDecoder``: an LSTM decoder whose output parameterizes a NADE, so each
step samples a multi-hot drum roll one drum class at a time (each conditioned on the
classes before it) instead of picking one of 2^classes combinations."""

from __future__ import annotations

import numpy as np

from magwidgets.engine.lstm import COMPUTE_DTYPE, sigmoid
from magwidgets.families.music_vae.network import Decoder


class NadeDecoder(Decoder):
    """The output projection gives the NADE's encoder bias (``num_hidden``) and decoder bias
    (one per class); ``decoder/nade/w_enc`` [classes, 1, hidden] and ``w_dec_t``
    [classes, hidden, 1] are its weights (Magenta's ``common.Nade``)."""

    def __init__(self, weights: dict[str, np.ndarray], scope: str = "decoder"):
        super().__init__(weights, scope)
        self.w_enc = weights[f"{scope}/nade/w_enc"][:, 0, :].astype(COMPUTE_DTYPE)
        self.w_dec = weights[f"{scope}/nade/w_dec_t"][:, :, 0].astype(COMPUTE_DTYPE)

    @property
    def output_depth(self) -> int:
        return self.w_enc.shape[0]

    def _sample(self, output: np.ndarray, temperature: float, rng: np.random.Generator):
        """``Nade.sample``: class i is on with probability sigmoid(logit_i / temperature),
        logit_i = b_dec_i + sigmoid(a) . w_dec_i, and a sampled hit adds w_enc_i to a."""
        hidden = self.w_enc.shape[1]
        a, b_dec = output[:, :hidden].copy(), output[:, hidden:]
        roll = np.zeros((output.shape[0], self.output_depth), COMPUTE_DTYPE)
        for i in range(self.output_depth):
            logit = b_dec[:, i] + sigmoid(a) @ self.w_dec[i]
            roll[:, i] = rng.uniform(0.0, 1.0, len(logit)) < sigmoid(logit / temperature)
            a += roll[:, i:i + 1] * self.w_enc[i]
        return roll, roll
