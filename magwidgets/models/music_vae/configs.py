"""The MusicVAE configs magwidgets runs, with the facts Magenta's ``configs.py`` gives them."""

from __future__ import annotations

from dataclasses import dataclass

from magwidgets.errors import BundleError


@dataclass(frozen=True)
class VAEConfig:
    """One Magenta MusicVAE config: its data converter and decoder length."""

    name: str
    converter: str  # "melody" or "drums"
    max_seq_len: int = 32
    steps_per_quarter: int = 4
    quarters_per_bar: int = 4
    slice_bars: int = 2
    max_bars: int = 100


VAE_CONFIGS: dict[str, VAEConfig] = {
    "cat-mel_2bar_small": VAEConfig("cat-mel_2bar_small", "melody"),
    "cat-drums_2bar_small": VAEConfig("cat-drums_2bar_small", "drums"),
}


def get_config(name: str) -> VAEConfig:
    try:
        return VAE_CONFIGS[name]
    except KeyError:
        raise BundleError(f"MusicVAE config '{name}' is not supported yet; supported: "
                          f"{', '.join(sorted(VAE_CONFIGS))}") from None
