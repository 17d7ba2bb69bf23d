"""Reading an NSynth WaveNet-autoencoder checkpoint (the ``fastgen`` format: Magenta's variable
names, ``model.ckpt-N.{index,data-*}``), once with TensorFlow, then from the weights cache."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from magwidgets.bundles import cache
from magwidgets.errors import BundleError

FAMILY = "nsynth"
HOP_LENGTH = 512  # samples per encoding frame (h512_bo16's ae_hop_length; not in the checkpoint)
NUM_STAGES = 10  # dilation of layer i is 2 ** (i % NUM_STAGES) (h512_bo16; not in the checkpoint)
QUANTIZATION_CHANNELS = 256  # 8-bit mu-law classes

# Model variables by name; anything else in the checkpoint (global_step, optimiser slots,
# moving averages) is ignored, as fastgen's Saver ignores it.
_MODEL_VARIABLE = re.compile(
    r"^(ae_startconv|ae_dilatedconv_\d+|ae_res_\d+|ae_bottleneck|startconv|skip_start"
    r"|dilatedconv_\d+|cond_map_\d+|res_\d+|skip_\d+|out1|cond_map_out1|logits)/(W|biases)$")
_INDEX_MARKERS = (b"bottleneck/", b"cond_map_", b"dilatedconv_")


@dataclass(frozen=True)
class Sizes:
    """The network's sizes, read from the weight shapes."""

    layers: int  # decoder layers (30 in h512_bo16)
    width: int  # decoder residual width (512)
    skip_width: int  # decoder skip width (256)
    ae_layers: int  # encoder layers (30)
    ae_width: int  # encoder width (128)
    bottleneck: int  # encoding channels (16)
    filter_length: int  # taps of every dilated convolution (3)

    def dilation(self, layer: int) -> int:
        """The dilation of (0-based) layer ``layer``, encoder or decoder."""
        return 2 ** (layer % NUM_STAGES)


def find_prefix(path: str | Path) -> Path:
    """The checkpoint prefix for a folder (its ``checkpoint`` file, else the newest
    ``*.index``), a ``model.ckpt-N`` prefix, or one of the checkpoint's own files."""
    path = Path(path).expanduser()
    if path.is_dir():
        state = path / "checkpoint"
        if state.is_file():
            match = re.search(r'^model_checkpoint_path:\s*"([^"]+)"', state.read_text(),
                              re.MULTILINE)
            if match:
                named = Path(match.group(1))
                for candidate in (named if named.is_absolute() else path / named,
                                  path / named.name):
                    if Path(f"{candidate}.index").is_file():
                        return candidate
        indexes = sorted(path.glob("*.index"), key=lambda p: [int(n) for n in
                                                               re.findall(r"\d+", p.name)])
        if indexes:
            return indexes[-1].with_suffix("")
        raise BundleError(f"{path}: no TensorFlow checkpoint in this folder (expected "
                          "model.ckpt-N.index and model.ckpt-N.data-* files)")
    for suffix in (".index", ".meta"):
        if path.name.endswith(suffix):
            path = path.with_name(path.name[: -len(suffix)])
    path = path.with_name(re.sub(r"\.data-\d+-of-\d+$", "", path.name))
    if not Path(f"{path}.index").is_file():
        raise BundleError(f"{path}: not a TensorFlow checkpoint (no {path.name}.index next "
                          "to it); give the checkpoint folder or its model.ckpt-N prefix")
    return path


def recognizes(path: Path) -> bool:
    """Whether ``path`` is an NSynth WaveNet checkpoint (a cheap look at the index's names)."""
    try:
        index = Path(f"{find_prefix(path)}.index").read_bytes()
    except (BundleError, OSError):
        return False
    return all(marker in index for marker in _INDEX_MARKERS)


def read_weights(path: str | Path) -> tuple[dict[str, np.ndarray], Path]:
    """The model variables (float32, Magenta's names) of the checkpoint at ``path``, and its
    prefix; TensorFlow runs only when the cache has no copy."""
    prefix = find_prefix(path)

    def convert() -> dict[str, np.ndarray]:
        from magwidgets.bundles.tf_reader import read_checkpoint_prefix

        variables = read_checkpoint_prefix(prefix, prefix)
        return {name: np.asarray(value, np.float32) for name, value in variables.items()
                if _MODEL_VARIABLE.match(name)}

    return cache.cached_weights(cache.checkpoint_digest(prefix), FAMILY, convert), prefix


def _count(weights: dict[str, np.ndarray], stem: str) -> int:
    return sum(1 for name in weights if re.fullmatch(rf"{stem}_\d+/W", name))


def _shape(weights: dict[str, np.ndarray], name: str, source: Path) -> tuple[int, ...]:
    if name not in weights:
        raise BundleError(f"{source}: the checkpoint has no variable '{name}' (not an NSynth "
                          "WaveNet autoencoder checkpoint, or an incomplete one)")
    return weights[name].shape


def read_sizes(weights: dict[str, np.ndarray], source: Path) -> Sizes:
    """The sizes of the network whose weights these are; every needed variable is checked."""
    layers, ae_layers = _count(weights, "dilatedconv"), _count(weights, "ae_dilatedconv")
    _, taps, width, gates = _shape(weights, "dilatedconv_1/W", source)
    skip_width = _shape(weights, "skip_start/W", source)[-1]
    ae_width = _shape(weights, "ae_startconv/W", source)[-1]
    bottleneck = _shape(weights, "ae_bottleneck/W", source)[-1]
    sizes = Sizes(layers, width, skip_width, ae_layers, ae_width, bottleneck, taps)
    expected = {"ae_startconv/W": (1, taps, 1, ae_width), "ae_bottleneck/W": (1, 1, ae_width,
                bottleneck), "startconv/W": (1, taps, 1, width), "skip_start/W": (1, 1, width,
                skip_width), "out1/W": (1, 1, skip_width, skip_width), "cond_map_out1/W":
                (1, 1, bottleneck, skip_width), "logits/W": (1, 1, skip_width,
                                                            QUANTIZATION_CHANNELS)}
    for i in range(1, ae_layers + 1):
        expected[f"ae_dilatedconv_{i}/W"] = (1, taps, ae_width, ae_width)
        expected[f"ae_res_{i}/W"] = (1, 1, ae_width, ae_width)
    for i in range(1, layers + 1):
        expected[f"dilatedconv_{i}/W"] = (1, taps, width, 2 * width)
        expected[f"cond_map_{i}/W"] = (1, 1, bottleneck, 2 * width)
        expected[f"res_{i}/W"] = (1, 1, width, width)
        expected[f"skip_{i}/W"] = (1, 1, width, skip_width)
    for name, shape in expected.items():
        for variable, want in ((name, shape), (name.replace("/W", "/biases"), shape[-1:])):
            if _shape(weights, variable, source) != want:
                raise BundleError(f"{source}: variable '{variable}' has shape "
                                  f"{list(weights[variable].shape)}, expected {list(want)}")
    if gates != 2 * width:
        raise BundleError(f"{source}: dilatedconv_1/W has {gates} outputs, expected 2 x {width}")
    if taps != 3:
        raise BundleError(f"{source}: filter length {taps}; only h512_bo16's 3 is supported")
    return sizes
