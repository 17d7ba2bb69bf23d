"""NSynth's released config: the ``h512_bo16`` WaveNet autoencoder (fastgen reads any size)."""

from __future__ import annotations

from magwidgets.families.registry import NamedConfig

CONFIGS = {config.id: config for config in (
    NamedConfig("h512_bo16", "NSynth WaveNet autoencoder: 512-wide decoder, 16-number "
                "encodings every 32 ms (Magenta's released model)"),
)}
