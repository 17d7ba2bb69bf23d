"""Reading tensor2tensor Transformer checkpoints (the Piano Transformer's) into NumPy.

TensorFlow reads the prefix once; the model's variables (t2t's names, optimizer slots dropped)
are cached, and sizes, the attention kind and the melody encoder are read from the names and
shapes. A plain-attention checkpoint does not store its head count, hence ``num_heads``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from magwidgets.bundles import cache
from magwidgets.errors import BundleError
from magwidgets.families.music_transformer.configs import kind_id

KIND = "music_transformer"
DEFAULT_NUM_HEADS = 8  # the released transformer_tpu hparams
_MODEL_VARIABLE = re.compile(r"^transformer/(symbol_modality_\d+_\d+|body)/")
_SLOT = re.compile(r"/(Adafactor|Adam|Momentum)\w*$|_slot_|/(vr|vc|v|m)$")
_MARKERS = (b"transformer/", b"symbol_modality_")


def find_prefix(path: str | Path) -> Path:
    """The checkpoint prefix of ``path``: a prefix (``unconditional_model_16.ckpt`` as the Colab
    names it), its ``.index`` file, or a folder holding one checkpoint."""
    path = Path(path).expanduser()
    if path.name.endswith(".index"):
        path = path.with_name(path.name[:-len(".index")])
    if Path(f"{path}.index").is_file():
        return path
    if path.is_dir():
        state = path / "checkpoint"
        if state.is_file():
            found = re.search(r'^model_checkpoint_path:\s*"([^"]+)"', state.read_text(), re.MULTILINE)
            if found:
                named = Path(found.group(1))
                named = named if named.is_absolute() else path / named
                if Path(f"{named}.index").is_file():
                    return named
        indexes = sorted(path.glob("*.index"))
        if len(indexes) == 1:
            return indexes[0].with_name(indexes[0].name[:-len(".index")])
        if len(indexes) > 1:
            raise BundleError(f"{path}: {len(indexes)} checkpoints in the folder and no "
                              f"'checkpoint' file naming one; pass a prefix such as "
                              f"{indexes[0].with_suffix('')}")
    raise BundleError(f"{path}: not a TF checkpoint prefix (no {path.name}.index) nor a "
                      f"folder holding one")


def recognizes(path: Path) -> bool:
    """Whether ``path`` is (or holds) a tensor2tensor Transformer checkpoint; reads only the
    small ``.index`` file, never TensorFlow."""
    try:
        index = Path(f"{find_prefix(path)}.index").read_bytes()
    except (BundleError, OSError):
        return False
    return all(marker in index for marker in _MARKERS) and b"decoder/layer_" in index


def read_variables(prefix: Path) -> dict[str, np.ndarray]:
    """The model variables of the checkpoint (t2t names; no optimizer slots or global_step),
    cached so later loads need no TensorFlow."""

    def convert() -> dict[str, np.ndarray]:
        from magwidgets.bundles.tf_reader import read_checkpoint_prefix

        variables = read_checkpoint_prefix(prefix, prefix)
        return {name: np.asarray(value, np.float32) for name, value in variables.items()
                if _MODEL_VARIABLE.match(name) and not _SLOT.search(name)}

    return cache.cached_weights(cache.checkpoint_digest(prefix), KIND, convert)


@dataclass(frozen=True)
class TransformerConfig:
    """What the variables say about the model (plus the head count)."""

    num_layers: int
    hidden_size: int
    filter_size: int
    num_heads: int
    target_vocab: int
    input_vocab: int | None  # the melody model's encoder vocabulary; None: decoder only
    max_relative_position: int  # 0: plain dot_product attention with sinusoidal positions

    @property
    def relative(self) -> bool:
        return self.max_relative_position > 0

    @property
    def id(self) -> str:
        """The registry's config id for these variables (``configs.CONFIGS``)."""
        return kind_id(melody_conditioned=self.input_vocab is not None, relative=self.relative)

    @property
    def head_depth(self) -> int:
        return self.hidden_size // self.num_heads


def modality_matrix(variables: dict[str, np.ndarray], vocab: int, role: str) -> np.ndarray | None:
    """A symbol-modality matrix ``[vocab, hidden]`` (t2t may shard it as weights_0..n-1)."""
    pattern = re.compile(rf"^transformer/symbol_modality_{vocab}_\d+/{role}/weights_(\d+)$")
    shards = sorted((int(m.group(1)), name) for name in variables
                    if (m := pattern.match(name)))
    if not shards:
        return None
    return np.concatenate([variables[name] for _, name in shards], axis=0)


def _vocab_sizes(variables: dict[str, np.ndarray]) -> list[int]:
    sizes = {int(m.group(1)) for name in variables
             if (m := re.match(r"^transformer/symbol_modality_(\d+)_\d+/", name))}
    return sorted(sizes)


def detect_config(variables: dict[str, np.ndarray], source: Path,
                  num_heads: int | None) -> TransformerConfig:
    """The sizes and the attention kind read from t2t's variable names and shapes."""
    layers = {int(m.group(1)) for name in variables
              if (m := re.match(r"^transformer/body/decoder/layer_(\d+)/", name))}
    vocabs = _vocab_sizes(variables)
    if not layers or not vocabs:
        raise BundleError(f"{source}: not a tensor2tensor Transformer checkpoint (no "
                          f"transformer/body/decoder/layer_* or symbol_modality variables)")
    has_encoder = any(name.startswith("transformer/body/encoder/") for name in variables)
    target_vocab = max(vocabs) if has_encoder else vocabs[0]
    input_vocab = min(vocabs) if has_encoder else None
    if has_encoder and len(vocabs) != 2:
        raise BundleError(f"{source}: an encoder-decoder checkpoint needs two vocabularies "
                          f"(melody inputs, performance targets), found {vocabs}")
    conv1 = variables.get("transformer/body/decoder/layer_0/ffn/conv1/kernel")
    if conv1 is None:
        raise BundleError(f"{source}: no decoder/layer_0/ffn/conv1/kernel (only the "
                          f"dense_relu_dense feed-forward of transformer_tpu is supported)")
    hidden, filter_size = conv1.shape
    relative = [value for name, value in variables.items()
                if name.endswith("key_relative_embeddings")]
    if any(name.endswith("value_relative_embeddings") for name in variables):
        raise BundleError(f"{source}: add_relative_to_values=True is not supported")
    if relative:
        stored_heads = relative[0].shape[0] if relative[0].ndim == 3 else None
        if stored_heads is None:
            raise BundleError(f"{source}: heads_share_relative_embedding=True is not supported")
        if num_heads is not None and num_heads != stored_heads:
            raise BundleError(f"{source}: the checkpoint's relative embeddings have "
                              f"{stored_heads} heads, num_heads={num_heads} was given")
        heads, max_relative = stored_heads, relative[0].shape[1]
    else:
        heads, max_relative = num_heads or DEFAULT_NUM_HEADS, 0
    if heads <= 0 or hidden % heads:
        raise BundleError(f"{source}: hidden size {hidden} is not divisible by "
                          f"num_heads={heads}")
    return TransformerConfig(num_layers=max(layers) + 1, hidden_size=int(hidden),
                             filter_size=int(filter_size), num_heads=int(heads),
                             target_vocab=target_vocab, input_vocab=input_vocab,
                             max_relative_position=int(max_relative))
