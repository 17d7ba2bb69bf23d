"""Magenta.js ``config.json`` <-> magwidgets configs, for every family that has Magenta.js folders.

Each family states its Magenta.js model type and the spec of each of its configs
(``Family.magentajs_type`` / ``magentajs_spec``); ``config_json_for`` writes a folder's
``config.json`` and ``resolve_config`` reads one back to a config id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from magwidgets.bundles.magentajs import CONFIG, MAGWIDGETS_KEY, MagentaJsCheckpoint
from magwidgets.errors import BundleError
from magwidgets.families.registry import FAMILIES, family_of_config

_BIG_DECODER = "decoder/multi_rnn_cell/cell_2/lstm_cell/kernel"  # MusicVAE's *_big configs


def config_json_for(config_id: str, attention_length: int | None = None) -> dict:
    """The ``config.json`` for a magwidgets config: Magenta.js's spec where Magenta.js can
    run the model, plus ``magwidgetsConfig``; pass the model's attention length if it has
    attention."""
    family = family_of_config(config_id)
    if not family.magentajs_type or family.magentajs_spec is None:
        raise BundleError(f"{family.title} models ({config_id}) have no Magenta.js folder format")
    spec: dict = {"type": family.magentajs_type, **family.magentajs_spec(config_id)}
    if attention_length:
        spec["attentionLength"] = attention_length
    return {**spec, MAGWIDGETS_KEY: config_id}


def _facts(spec: Mapping) -> tuple:
    """What identifies a config in a Magenta.js spec (defaults as Magenta.js applies them)."""
    converter = spec.get("dataConverter") or {}
    args = converter.get("args") or {}
    bits = tuple(aux.get("args", {}).get("numBits") for aux in spec.get("auxInputs") or [])
    return (spec.get("type"), converter.get("type"), args.get("numSteps"),
            args.get("numSegments"), args.get("minPitch"), args.get("maxPitch"),
            bool(args.get("humanize")), bool(args.get("tapify")),
            len(args.get("pitchClasses") or ()), spec.get("chordEncoder"), bits)


def _configs_of_type(kind: str | None) -> list[str]:
    return [config for family in FAMILIES.values() if kind and family.magentajs_type == kind
            for config in family.configs]


def resolve_config(checkpoint: MagentaJsCheckpoint, requested: str | None = None) -> str:
    """The magwidgets config id for a Magenta.js folder: ``requested`` if given, else the
    one its ``config.json`` describes (``magwidgetsConfig``, or the config whose Magenta.js
    spec matches; a 3-layer decoder picks ``*_big`` over ``*_small``)."""
    where = checkpoint.folder / CONFIG
    spec = checkpoint.spec
    if requested is not None:
        family_of_config(requested)  # refuses an unknown config, listing the known ones
        return requested
    if spec is None:
        raise BundleError(f"{checkpoint.folder}: no {CONFIG}, so the model is unknown; name "
                          "it, e.g. load_model(folder, config='cat-mel_2bar_small')")
    kinds = sorted({family.magentajs_type for family in FAMILIES.values()
                    if family.magentajs_type})
    candidates = _configs_of_type(spec.get("type"))
    if spec.get(MAGWIDGETS_KEY) in candidates:
        return spec[MAGWIDGETS_KEY]
    if not candidates:
        raise BundleError(f"{where}: type is {spec.get('type')!r}; magwidgets reads "
                          f"{' and '.join(repr(kind) for kind in kinds)} checkpoints")
    matches = [c for c in candidates if _facts(config_json_for(c)) == _facts(spec)]
    if len(matches) > 1:
        big = _BIG_DECODER in checkpoint.weights
        matches = [c for c in matches if c.endswith("_big") == big] or matches
    if len(matches) != 1:
        found = json.dumps({k: spec[k] for k in spec if k != MAGWIDGETS_KEY})[:200]
        options = " or ".join(matches) if matches else "no magwidgets config"
        raise BundleError(f"{where}: {found} fits {options}; name the config, e.g. "
                          f"load_model(folder, config='{(matches or sorted(candidates))[0]}')")
    return matches[0]
