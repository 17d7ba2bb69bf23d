"""GANSynth's released config: ``mel_prog_hires`` (mel-IF spectrograms, progressive training,
full 128 x 1024 resolution), the one Magenta's ``gansynth_generate`` plays."""

from __future__ import annotations

from magwidgets.families.registry import NamedConfig

CONFIGS = {config.id: config for config in (
    NamedConfig("mel_prog_hires", "GANSynth: mel-IF spectrogram, progressive, high "
                "frequency resolution (Magenta's released instrument model)"),
)}
