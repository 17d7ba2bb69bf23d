"""Music Transformer (Magenta's Piano Transformer): tensor2tensor checkpoints, score2perf
encodings, NumPy inference with a key/value cache."""

from __future__ import annotations

from pathlib import Path

from magwidgets.errors import BundleError
from magwidgets.families.music_transformer.checkpoint import (
    detect_config,
    find_prefix,
    read_variables,
    recognizes,
)
from magwidgets.families.music_transformer.configs import CONFIGS
from magwidgets.families.music_transformer.model import (
    DEFAULT_CONTEXT,
    MusicTransformer,
)
from magwidgets.families.music_transformer.network import build_network
from magwidgets.families.registry import Family

__all__ = ["CONFIGS", "FAMILY", "MusicTransformer", "load", "recognizes"]


def load(path: str | Path, *, config: str | None = None, num_heads: int | None = None,
         context: int = DEFAULT_CONTEXT) -> MusicTransformer:
    """A ``MusicTransformer`` from a t2t checkpoint prefix (``unconditional_model_16.ckpt``) or
    folder; TensorFlow reads it once, then the cache. ``num_heads``: plain-attention
    checkpoints do not store it (8 as released); relative ones do."""
    if isinstance(context, bool) or not isinstance(context, int) or context < 2:
        raise BundleError(f"context must be an integer >= 2 positions, got {context!r}")
    prefix = find_prefix(path)
    variables = read_variables(prefix)
    sizes = detect_config(variables, prefix, num_heads)
    try:
        network = build_network(variables, sizes)
    except KeyError as error:
        raise BundleError(f"{prefix}: the checkpoint lacks the t2t variable {error}") from None
    model = MusicTransformer(network, source=prefix, context=context)
    if config is not None and config != model.kind.id:
        raise BundleError(f"{prefix}: the checkpoint is a {model.kind.id}, not a {config}")
    return model


FAMILY = Family(
    id="music_transformer", title="Music Transformer", configs=CONFIGS, model=MusicTransformer,
    recognizes=recognizes, load=load,
    summary="continues piano performances for minutes, or accompanies a melody")
