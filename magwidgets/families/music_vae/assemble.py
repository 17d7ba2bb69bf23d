"""Build a config's converter and decoder from checkpoint weights, and check they fit."""

from __future__ import annotations

import numpy as np

from magwidgets.families.music_vae.configs import VAEConfig
from magwidgets.families.music_vae.converters import (
    DrumsConverter,
    GrooveConverter,
    MelodyConverter,
)
from magwidgets.families.music_vae.hierarchical import HierarchicalDecoder, SplitDecoder
from magwidgets.families.music_vae.nade import NadeDecoder
from magwidgets.families.music_vae.network import Decoder, Encoder, GrooveDecoder
from magwidgets.families.music_vae.trio import TrioConverter

TRIO_PARTS = 3  # melody, bass, drums


def make_converter(config: VAEConfig):
    """The data converter a config names."""
    return {"melody": MelodyConverter, "drums": DrumsConverter, "groove": GrooveConverter,
            "trio": TrioConverter}[config.converter](config)


def make_decoder(config: VAEConfig, weights: dict[str, np.ndarray]):
    """The config's decoder on ``weights`` (KeyError naming a missing variable)."""
    if config.level_lengths is None:
        return {"categorical": Decoder, "nade": NadeDecoder,
                "groove": GrooveDecoder}[config.decoder](weights)
    core = (SplitDecoder(weights, TRIO_PARTS) if config.converter == "trio"
            else Decoder(weights, "core_decoder/decoder"))
    return HierarchicalDecoder(weights, core, config.level_lengths[-1])


def misfits(converter, encoder: Encoder, decoder) -> list[str]:
    """What in the weights' shapes disagrees with the config's data, as readable lines."""
    checks = {"encoder input depth": (encoder.input_size, converter.input_depth)}
    if isinstance(decoder, HierarchicalDecoder):
        checks["conductor z size"] = (decoder.z_size, encoder.z_size)
        embedding = decoder.cells[-1].units
        parts = decoder.core.parts if isinstance(decoder.core, SplitDecoder) else [decoder.core]
        depths = getattr(converter, "output_depths", [converter.output_depth])
    else:
        embedding, parts, depths = encoder.z_size, [decoder], [converter.output_depth]
    for k, (part, depth) in enumerate(zip(parts, depths)):
        name = f"decoder {k}" if len(parts) > 1 else "decoder"
        checks[f"{name} output depth"] = (part.output_depth, depth)
        checks[f"{name} input depth"] = (part.input_size, depth + embedding)
        checks[f"{name} z size"] = (part.z_size, embedding)
    return [f"{what} is {found}, the config needs {wanted}"
            for what, (found, wanted) in checks.items() if found != wanted]
