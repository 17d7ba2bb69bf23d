"""The Magenta.js ``MusicVAE`` ``config.json`` spec of each MusicVAE / GrooVAE config."""

from __future__ import annotations

from magwidgets.families.music_vae.configs import VAE_CONFIGS, VAEConfig
from magwidgets.families.music_vae.converters import (
    FULL_DRUM_PITCH_CLASSES,
    PIANO_MAX_MIDI_PITCH,
    PIANO_MIN_MIDI_PITCH,
)

MAGENTAJS_TYPE = "MusicVAE"
_PIANO_RANGE = {"minPitch": PIANO_MIN_MIDI_PITCH, "maxPitch": PIANO_MAX_MIDI_PITCH}


def _vae_converter(config: VAEConfig) -> dict | None:
    """Magenta.js's data converter spec for a VAE config; None where Magenta.js has no
    equivalent (GrooVAE's removed instruments)."""
    if config.add_instruments:
        return None
    args: dict = {"numSteps": config.max_seq_len}
    if config.level_lengths:
        args["numSegments"] = config.level_lengths[0]
    if config.converter == "melody":
        return {"type": "MelodyConverter", "args": {**args, **_PIANO_RANGE}}
    if config.converter == "drums":
        if config.drum_classes == "full":
            args["pitchClasses"] = [list(c) for c in FULL_DRUM_PITCH_CLASSES]
        return {"type": "DrumRollConverter" if config.roll_output else "DrumsConverter",
                "args": args}
    if config.converter == "trio":
        return {"type": "TrioConverter", "args": {**args, "melArgs": dict(_PIANO_RANGE),
                                                  "bassArgs": dict(_PIANO_RANGE),
                                                  "drumsArgs": {}}}
    return {"type": "GrooveConverter",
            "args": {**args, "humanize": config.humanize, "tapify": config.tapify}}


def vae_spec(config_id: str) -> dict:
    """The ``config.json`` spec (without ``type``) for a VAE config."""
    converter = _vae_converter(VAE_CONFIGS[config_id])
    return {} if converter is None else {"dataConverter": converter}
