"""Mapping TF1 variable names of every Magenta era onto the NumPy network.

Names seen in released bundles:
  * current:  ``rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel`` and ``.../bias``
  * TF 1.0-1.2: ``weights`` / ``biases`` instead of ``kernel`` / ``bias``
  * TF <= 0.12: ``RNN/MultiRNNCell/Cell0/BasicLSTMCell/Linear/Matrix`` and ``.../Bias``,
    attention ``Attention/AttnW`` and ``AttnV``
  * attention on the first layer: ``rnn/multi_rnn_cell/cell_0/attention_cell_wrapper/...``
  * attention around the whole stack: ``rnn/attention_cell_wrapper/multi_rnn_cell/...``
The output layer is ``fully_connected/weights`` + ``biases`` (tf-slim) or ``kernel`` + ``bias``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from magwidgets.engine.lstm import COMPUTE_DTYPE, Attention, LSTMLayer, LSTMNetwork
from magwidgets.errors import BundleError

_SEGMENT_ALIASES = {
    "rnn": "rnn",
    "multirnncell": "multi_rnn_cell",
    "basiclstmcell": "basic_lstm_cell",
    "lstm_cell": "basic_lstm_cell",
    "attentioncellwrapper": "attention_cell_wrapper",
    "attention": "attention",
    "attnoutputprojection": "attn_output_projection",
    "attnw": "attn_w",  # TF 0.12's contrib AttentionCellWrapper spelled these AttnW / AttnV
    "attnv": "attn_v",
    "matrix": "kernel",
    "weights": "kernel",
    "biases": "bias",
    "bias": "bias",
    "kernel": "kernel",
    "fullyconnected": "fully_connected",
}
_DROPPED_SEGMENTS = {"linear"}  # TF <= 0.12 wrapped every kernel in a "Linear" scope
_OLD_CELL = re.compile(r"^cell(\d+)$")
_LSTM_KERNEL = re.compile(r"(?:^|/)cell_(\d+)/(?:.*/)?basic_lstm_cell/kernel$")

_FIRST_LAYER_ATTENTION = "rnn/multi_rnn_cell/cell_0/attention_cell_wrapper/"
_STACK_ATTENTION = "rnn/attention_cell_wrapper/"


def canonical_name(name: str) -> str:
    """Today's spelling of a TF variable name from any era."""
    segments = []
    for segment in name.split("/"):
        lowered = segment.lower()
        if lowered in _DROPPED_SEGMENTS:
            continue
        old_cell = _OLD_CELL.match(lowered)
        if old_cell:
            segments.append(f"cell_{old_cell.group(1)}")
        else:
            segments.append(_SEGMENT_ALIASES.get(lowered, segment))
    return "/".join(segments)


def canonical_weights(variables: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rename every variable to today's spelling, as float32, dropping optimizer slots."""
    weights = {}
    for name, value in variables.items():
        if name == "global_step" or "/Adam" in name or name.startswith("beta"):
            continue
        weights[canonical_name(name)] = np.asarray(value, dtype=np.float32)
    return weights




def _require(weights: dict[str, np.ndarray], name: str, source: Path) -> np.ndarray:
    """The variable ``name`` in the compute dtype; matrices transposed to [outputs, inputs]."""
    try:
        value = weights[name].astype(COMPUTE_DTYPE)
    except KeyError:
        raise BundleError(
            f"{source}: the checkpoint has no variable '{name}' (names in today's spelling; "
            f"it has: {', '.join(sorted(weights)[:12])} ...)"
        ) from None
    return np.ascontiguousarray(value.T) if value.ndim == 2 else value


def _attention(weights, prefix: str, wraps: str, length: int, source: Path) -> Attention:
    def get(name: str) -> np.ndarray:
        return _require(weights, prefix + name, source)

    conv_kernel = get("attention/attn_w")  # [1, 1, attn_size, attn_vec_size]
    return Attention(
        wraps=wraps,  # type: ignore[arg-type]
        length=length,
        input_weight=get("kernel"),
        input_bias=get("bias"),
        attn_w=np.ascontiguousarray(conv_kernel.reshape(conv_kernel.shape[-2:]).T),
        attn_v=get("attention/attn_v"),
        query_weight=get("attention/kernel"),
        query_bias=get("attention/bias"),
        output_weight=get("attn_output_projection/kernel"),
        output_bias=get("attn_output_projection/bias"),
    )


def attention_placement(weights: dict[str, np.ndarray]) -> str | None:
    """"first", "stack" or None, from where the attention variables live."""
    if any(name.startswith(_FIRST_LAYER_ATTENTION + "attention/") for name in weights):
        return "first"
    if any(name.startswith(_STACK_ATTENTION + "attention/") for name in weights):
        return "stack"
    return None


def _lstm_kernel_names(weights: dict[str, np.ndarray], source: Path) -> list[str]:
    """The LSTM kernels' names, layer 0 first."""
    kernels = {}
    for name in weights:
        match = _LSTM_KERNEL.search(name)
        if match:
            kernels[int(match.group(1))] = name
    if not kernels or sorted(kernels) != list(range(len(kernels))):
        raise BundleError(
            f"{source}: no LSTM layers found in the checkpoint (expected variables like "
            f"'rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel')"
        )
    return [kernels[index] for index in range(len(kernels))]


def attention_length_from_state(widths: list[int], weights: dict[str, np.ndarray],
                                placement: str, source: Path) -> int | None:
    """Attention length from the graph's state widths (flattened state order)."""
    layer_sizes = [weights[name].shape[1] // 4 for name in _lstm_kernel_names(weights, source)]
    attn_size = layer_sizes[0] if placement == "first" else layer_sizes[-1]
    # first layer: c0, h0, attns, attn_states, c1, h1 ...; whole stack: all c/h, attns, states
    index = 3 if placement == "first" else 2 * len(layer_sizes) + 1
    if index >= len(widths) or widths[index] % attn_size:
        return None
    return widths[index] // attn_size


def build_network(weights: dict[str, np.ndarray], attention_length: int | None,
                  source: Path) -> LSTMNetwork:
    """Assemble the NumPy network from canonical weights; sizes come from their shapes."""
    layers = []
    for kernel_name in _lstm_kernel_names(weights, source):
        bias = _require(weights, kernel_name[: -len("kernel")] + "bias", source)
        layers.append(LSTMLayer(_require(weights, kernel_name, source), bias))
    placement = attention_placement(weights)
    attention = None
    if placement is not None:
        if not attention_length:
            raise BundleError(f"{source}: the model uses attention but its length is unknown")
        prefix = _FIRST_LAYER_ATTENTION if placement == "first" else _STACK_ATTENTION
        attention = _attention(weights, prefix, placement, attention_length, source)
    return LSTMNetwork(
        layers=tuple(layers),
        attention=attention,
        output_weight=_require(weights, "fully_connected/kernel", source),
        output_bias=_require(weights, "fully_connected/bias", source),
    )


# Magenta.js's attention wrapper reads ``attention_output_projection`` (music_rnn/attention.ts)
# where TensorFlow wrote ``attn_output_projection``.
_JS_SPELLINGS = {"attention_output_projection": "attn_output_projection"}


def magentajs_rnn_weights(weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """An RNN checkpoint's weights in today's spelling (``canonical_weights``), with
    Magenta.js's own spelling of the attention output projection understood too."""
    def spelled(name: str) -> str:
        return "/".join(_JS_SPELLINGS.get(part, part) for part in name.split("/"))

    return canonical_weights({spelled(name): value for name, value in weights.items()})
