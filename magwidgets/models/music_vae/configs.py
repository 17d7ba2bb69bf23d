"""The MusicVAE configs magwidgets runs, with the facts Magenta's ``configs.py`` gives them."""

from __future__ import annotations

from dataclasses import dataclass

from magwidgets.errors import BundleError


@dataclass(frozen=True)
class VAEConfig:
    """One Magenta MusicVAE config: its data converter and decoder length."""

    name: str
    converter: str  # "melody", "drums" or "groove"
    max_seq_len: int = 32
    steps_per_quarter: int = 4
    quarters_per_bar: int = 4
    slice_bars: int = 2
    max_bars: int = 100
    # GrooveConverter options (GrooVAE): what the encoder input leaves out
    humanize: bool = False  # no velocities or timing offsets
    tapify: bool = False  # every step squashed onto one (open hi-hat) channel
    fixed_velocities: bool = False  # no velocities


VAE_CONFIGS: dict[str, VAEConfig] = {
    "cat-mel_2bar_small": VAEConfig("cat-mel_2bar_small", "melody"),
    "cat-drums_2bar_small": VAEConfig("cat-drums_2bar_small", "drums"),
    "groovae_2bar_humanize": VAEConfig("groovae_2bar_humanize", "groove", humanize=True),
    "groovae_2bar_tap_fixed_velocity": VAEConfig("groovae_2bar_tap_fixed_velocity", "groove",
                                                 tapify=True, fixed_velocities=True),
}


def get_config(name: str) -> VAEConfig:
    try:
        return VAE_CONFIGS[name]
    except KeyError:
        raise BundleError(f"MusicVAE config '{name}' is not supported yet; supported: "
                          f"{', '.join(sorted(VAE_CONFIGS))}") from None
