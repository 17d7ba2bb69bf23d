"""The MusicVAE configs magwidgets runs, with the facts Magenta's ``configs.py`` gives them.

Layer sizes and z_size are not here: they come from the checkpoint's weight shapes.
"""

from __future__ import annotations

from dataclasses import dataclass

from magwidgets.errors import BundleError

MEL_PROGRAMS = tuple(range(0, 32))  # piano, chromatic percussion, organ, guitar
CLOSED_HI_HAT = 2  # the drum class GrooVAE's add_closed_hh learns to add


@dataclass(frozen=True)
class VAEConfig:
    """One Magenta MusicVAE config: its data converter, decoder and lengths."""

    id: str
    converter: str  # "melody", "drums", "groove" or "trio"
    decoder: str = "categorical"  # "categorical", "nade" or "groove"
    slice_bars: int = 2
    steps_per_quarter: int = 4
    quarters_per_bar: int = 4
    max_bars: int = 100
    # hierarchical decoders: (bars, steps per bar) — a conductor LSTM emits one embedding
    # per bar and the core decoder plays each bar from it
    level_lengths: tuple[int, ...] | None = None
    # OneHotMelodyConverter: programs a melody may come from (None: any)
    valid_programs: tuple[int, ...] | None = MEL_PROGRAMS
    # DrumsConverter: "reduced" (9 classes) or "full" (61 General MIDI classes), and whether
    # the decoder emits a multi-hot drum roll (NADE) instead of one of 2^classes one-hots
    drum_classes: str = "reduced"
    roll_output: bool = False
    # TrioConverter: empty bars allowed in a part before it stops counting as present
    gap_bars: int = 2
    # GrooveConverter options (GrooVAE): what the encoder input leaves out
    humanize: bool = False  # no velocities or timing offsets
    tapify: bool = False  # every step squashed onto one (open hi-hat) channel
    fixed_velocities: bool = False  # no velocities
    add_instruments: tuple[int, ...] = ()  # drum classes removed from the input

    @property
    def steps_per_bar(self) -> int:
        return self.steps_per_quarter * self.quarters_per_bar

    @property
    def max_seq_len(self) -> int:
        """Decoder steps of one example (Magenta's ``hparams.max_seq_len``)."""
        return self.steps_per_bar * self.slice_bars


def _melody(name: str, **kwargs) -> VAEConfig:
    return VAEConfig(name, "melody", **kwargs)


def _drums(name: str, **kwargs) -> VAEConfig:
    return VAEConfig(name, "drums", **kwargs)


def _groove(name: str, **kwargs) -> VAEConfig:
    return VAEConfig(name, "groove", "groove", **kwargs)


_CONFIGS = [
    _melody("cat-mel_2bar_small"),
    _melody("cat-mel_2bar_big"),
    _melody("hierdec-mel_16bar", slice_bars=16, level_lengths=(16, 16), valid_programs=None),
    _drums("cat-drums_2bar_small"),
    _drums("cat-drums_2bar_big"),
    _drums("nade-drums_2bar_reduced", decoder="nade", roll_output=True),
    _drums("nade-drums_2bar_full", decoder="nade", roll_output=True, drum_classes="full"),
    VAEConfig("hierdec-trio_16bar", "trio", slice_bars=16, level_lengths=(16, 16),
              max_bars=1024, valid_programs=None),
    _groove("groovae_2bar_humanize", humanize=True),
    _groove("groovae_2bar_tap_fixed_velocity", tapify=True, fixed_velocities=True),
    _groove("groovae_2bar_add_closed_hh", add_instruments=(CLOSED_HI_HAT,)),
    _groove("groovae_4bar", slice_bars=4),
]
VAE_CONFIGS: dict[str, VAEConfig] = {config.id: config for config in _CONFIGS}


def get_config(name: str) -> VAEConfig:
    """The MusicVAE config called ``name``; BundleError listing the supported ones."""
    if name not in VAE_CONFIGS:
        raise BundleError(f"MusicVAE config '{name}' is not supported; supported: "
                          f"{', '.join(sorted(VAE_CONFIGS))}")
    return VAE_CONFIGS[name]
