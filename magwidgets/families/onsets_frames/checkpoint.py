"""Onsets and Frames checkpoints: Magenta's ``--model_dir`` (TF checkpoint) and Magenta.js
folders, read into one canonical set of weights.

Magenta names the same network three ways, and this module maps all of them to canonical
names (``<stack>/conv<k>/kernel``, ``<stack>/lstm<k>/<fw|bw>/kernel``, ``<stack>/head/...``):

- ``model.py`` (the MAESTRO ``onsets_frames`` config, bidirectional): ``<stack>/cudnn_lstm/
  stack_bidirectional_rnn/cell_<k>/bidirectional_rnn/<fw|bw>/cudnn_compatible_lstm_cell``,
  heads ``*_probs``, forget bias 0;
- ``model_tpu.py`` (uni- or bidirectional): ``<stack>/lstm/rnn/multi_rnn_cell/cell_<k>/
  basic_lstm_cell`` (or ``lstm/stack_bidirectional_rnn/...``), heads ``*_logits``,
  ``BasicLSTMCell``'s forget bias 1.0 added at run time;
- Magenta.js's ``onsets_frames_uni`` (``weights_manifest.json`` + shards): ``<stack>/
  cudnn_lstm/rnn/multi_rnn_cell/cell_<k>/cudnn_compatible_lstm_cell``, heads ``*_probs``,
  no ``offsets`` stack (its frame LSTM reads [onset, activation] probabilities), and 1.0
  added to the forget-gate bias when it loads.

Canonical LSTM biases include the forget bias, so one cell function serves all three.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from magwidgets.bundles import cache
from magwidgets.errors import BundleError

KIND = "onsets_frames"
STACKS = ("onsets", "offsets", "velocity", "frame")
MANIFEST = "weights_manifest.json"
_MARKER = "onset_velocities"  # the velocity head: only Onsets and Frames has it
_HEADS = {  # canonical head -> (stack, names Magenta gives it)
    "onsets/head": ("onsets", ("onset_probs", "onset_logits")),
    "offsets/head": ("offsets", ("offset_probs", "offset_logits")),
    "velocity/head": ("velocity", ("onset_velocities",)),
    "frame/activation": ("frame", ("activation_probs", "activation_logits")),
    "frame/head": ("frame", ("frame_probs", "frame_logits")),
}
# LSTM cells: (regex on the name below the stack, direction group, forget bias)
_LSTMS = (
    (r"cudnn_lstm/stack_bidirectional_rnn/cell_(\d+)/bidirectional_rnn/(fw|bw)/"
     r"cudnn_compatible_lstm_cell", 0.0),
    (r"lstm/stack_bidirectional_rnn/cell_(\d+)/bidirectional_rnn/(fw|bw)/basic_lstm_cell", 1.0),
    (r"lstm/rnn/multi_rnn_cell/cell_(\d+)/()basic_lstm_cell", 1.0),
    (r"cudnn_lstm/rnn/multi_rnn_cell/cell_(\d+)/()cudnn_compatible_lstm_cell", 1.0),
)
_FOLDER_HINT = ("expected Magenta's --model_dir (a folder with 'checkpoint' and "
                "model.ckpt-N.index/.data-* files) or a Magenta.js onsets_frames_uni folder "
                f"(with {MANIFEST})")


def _step(index: Path) -> int:
    match = re.search(r"-(\d+)\.index$", index.name)
    return int(match.group(1)) if match else -1


def checkpoint_prefix(folder: Path) -> Path | None:
    """The checkpoint prefix in a Magenta ``--model_dir``: the one its ``checkpoint`` file
    names (as ``tf.train.latest_checkpoint`` reads it), else the highest-step ``*.index``."""
    state = folder / "checkpoint"
    if state.is_file():
        match = re.search(r'^model_checkpoint_path:\s*"(.*)"', state.read_text(errors="replace"),
                          re.MULTILINE)
        if match:
            named = Path(match.group(1))
            for prefix in (named if named.is_absolute() else folder / named, folder / named.name):
                if Path(f"{prefix}.index").is_file():
                    return prefix
    indexes = sorted(folder.glob("*.index"), key=_step)
    return indexes[-1].with_suffix("") if indexes else None


def _resolve(path: str | Path) -> Path:
    """A folder holding the checkpoint (a ``.index`` file or a prefix names its folder)."""
    path = Path(path)
    if path.name.endswith(".index") or Path(f"{path}.index").is_file():
        return path.parent
    return path


def recognizes(path: Path) -> bool:
    """True for an Onsets and Frames checkpoint folder (TF or Magenta.js); reads only the
    checkpoint's index or manifest, never TensorFlow."""
    folder = _resolve(path)
    if not folder.is_dir():
        return False
    try:
        if (folder / MANIFEST).is_file():
            return _MARKER in (folder / MANIFEST).read_text(errors="replace")
        prefix = checkpoint_prefix(folder)
        return prefix is not None and _MARKER.encode() in Path(f"{prefix}.index").read_bytes()
    except OSError:
        return False


def canonical_weights(variables: dict[str, np.ndarray], source: Path) -> dict[str, np.ndarray]:
    """Magenta's variables (any of the three namings) under canonical names, float32.

    Raises:
        BundleError: a stack, conv layer, fully connected layer or head is missing.
    """
    out: dict[str, np.ndarray] = {}

    def take(name: str) -> np.ndarray:
        if name not in variables:
            raise BundleError(f"{source}: the variable '{name}' is missing; it does not look "
                              "like an Onsets and Frames checkpoint")
        return np.asarray(variables[name], dtype=np.float32)

    for stack in STACKS:
        if not any(name.startswith(f"{stack}/") for name in variables):
            if stack == "offsets":
                continue  # Magenta.js's onsets_frames_uni has no offset stack
            raise BundleError(f"{source}: no '{stack}/...' variables; an Onsets and Frames "
                              f"checkpoint has the stacks {', '.join(STACKS)}")
        layer = 0
        while f"{stack}/conv{layer}/weights" in variables:
            base = f"{stack}/conv{layer}"
            out[f"{base}/kernel"] = take(f"{base}/weights")
            for part in ("beta", "moving_mean", "moving_variance"):
                out[f"{base}/{part}"] = take(f"{base}/BatchNorm/{part}")
            layer += 1
        if layer == 0:
            raise BundleError(f"{source}: '{stack}' has no conv0/weights")
        out[f"{stack}/fc_end/kernel"] = take(f"{stack}/fc_end/weights")
        out[f"{stack}/fc_end/bias"] = take(f"{stack}/fc_end/biases")
        out.update(_lstm_weights(variables, stack))
    for canonical, (stack, spellings) in _HEADS.items():
        if stack == "offsets" and "offsets/fc_end/kernel" not in out:
            continue
        found = [s for s in spellings if f"{stack}/{s}/weights" in variables]
        if not found:
            raise BundleError(f"{source}: no '{stack}/{spellings[0]}/weights' (the "
                              f"{canonical.replace('/', ' ')} layer)")
        out[f"{canonical}/kernel"] = take(f"{stack}/{found[0]}/weights")
        out[f"{canonical}/bias"] = take(f"{stack}/{found[0]}/biases")
    return out


def _lstm_weights(variables: dict[str, np.ndarray], stack: str) -> dict[str, np.ndarray]:
    """A stack's LSTM cells as ``<stack>/lstm<k>/<fw|bw>/{kernel,bias}``, forget bias added
    to the f gate (TF's gate order i, j, f, o)."""
    out = {}
    for pattern, forget_bias in _LSTMS:
        regex = re.compile(f"^{re.escape(stack)}/{pattern}/kernel$")
        for name in variables:
            match = regex.match(name)
            if not match:
                continue
            direction = match.group(2) or "fw"
            kernel = np.asarray(variables[name], dtype=np.float32)
            bias = np.array(variables[name[:-len("kernel")] + "bias"], dtype=np.float32)
            units = bias.shape[0] // 4
            bias[2 * units:3 * units] += np.float32(forget_bias)
            out[f"{stack}/lstm{match.group(1)}/{direction}/kernel"] = kernel
            out[f"{stack}/lstm{match.group(1)}/{direction}/bias"] = bias
    return out


def read_weights(path: str | Path) -> dict[str, np.ndarray]:
    """Canonical weights of an Onsets and Frames checkpoint folder. A TF checkpoint is read
    with TensorFlow once and cached under its digest; a Magenta.js folder needs only NumPy.

    Raises:
        BundleError: no checkpoint in the folder, an unreadable one, or other variables
            than Onsets and Frames has.
    """
    folder = _resolve(path)
    if not folder.is_dir():
        raise BundleError(f"{path}: no such folder ({_FOLDER_HINT})")
    if (folder / MANIFEST).is_file():
        from magwidgets.bundles import magentajs

        return canonical_weights(magentajs.read_weights(folder), folder)
    prefix = checkpoint_prefix(folder)
    if prefix is None:
        raise BundleError(f"{folder}: no checkpoint found ({_FOLDER_HINT})")

    def convert() -> dict[str, np.ndarray]:
        from magwidgets.bundles.tf_reader import read_checkpoint_prefix

        return canonical_weights(read_checkpoint_prefix(prefix, folder), folder)

    return cache.cached_weights(cache.checkpoint_digest(prefix), KIND, convert)
