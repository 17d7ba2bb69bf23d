"""The shape the code promises (docs/architecture.md): one registry of families, one spelling
per family and config, layers that import downwards only, TensorFlow in one module, and
results that can be notes, audio or both."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import magwidgets as mw
from conftest import bundle_path
from magwidgets.families import FAMILIES, family_of_config, family_of_model, register
from magwidgets.io.waveform import Waveform
from magwidgets.starter import starter_models
from magwidgets.widgets.results import Result, ResultsPanel
from magwidgets.widgets.view import AudioView, SequenceView

PACKAGE = Path(mw.__file__).parent
ORACLE_ROOT = Path(__file__).parent / "fixtures" / "magenta-oracle"
# What each layer may import from magwidgets (besides itself and the layers listed).
LOWER_LAYERS = {
    "errors": set(), "validation": {"errors"}, "io": {"errors", "validation"},
    "engine": {"errors", "validation"}, "bundles": {"errors", "validation", "io"},
    "render": {"errors", "validation", "io"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("magwidgets")}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


@pytest.mark.parametrize("layer", sorted(LOWER_LAYERS))
def test_lower_layers_import_only_below_them(layer):
    paths = [PACKAGE / f"{layer}.py"] if (PACKAGE / f"{layer}.py").exists() else \
        sorted((PACKAGE / layer).rglob("*.py"))
    allowed = LOWER_LAYERS[layer] | {layer}
    for path in paths:
        for module in _imports(path):
            assert _layer(module) in allowed, f"{path.relative_to(PACKAGE)} imports {module}"


def test_family_models_do_not_reach_up_into_widgets_hub_or_training():
    for path in sorted((PACKAGE / "families").rglob("*.py")):
        if path.name == "widget.py":
            continue
        for module in _imports(path):
            assert _layer(module) not in {"widgets", "hub", "train", "loading", "cli",
                                          "starter"}, f"{path.relative_to(PACKAGE)} imports {module}"


def test_tensorflow_is_imported_in_one_module_outside_training():
    importers = sorted(str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                       if "train" not in path.parts
                       and any(name == "tensorflow" or name.startswith("tensorflow.")
                               for node in ast.walk(ast.parse(path.read_text()))
                               for name in ([a.name for a in node.names]
                                            if isinstance(node, ast.Import) else
                                            [node.module or ""]
                                            if isinstance(node, ast.ImportFrom) else [])))
    assert importers == ["bundles/tf_reader.py"]


def test_one_spelling_per_family_and_config():
    every_config = [config for family in FAMILIES.values() for config in family.configs]
    assert len(every_config) == len(set(every_config))
    for family in FAMILIES.values():
        for config_id, config in family.configs.items():
            assert config.id == config_id
            assert family_of_config(config_id) is family
        for entry in family.hub:
            assert entry.family == family.id and entry.config in family.configs
    for starter in starter_models():
        assert starter.family in FAMILIES
        assert starter.config in FAMILIES[starter.family].configs
    assert {model.family for model in mw.hub.list()} <= set(FAMILIES)


def test_a_family_and_its_configs_register_once():
    with pytest.raises(ValueError, match="registered twice"):
        register(FAMILIES["drums_rnn"])


@pytest.mark.parametrize("spec, family", [
    (str(bundle_path("drum_kit")), "drums_rnn"), (str(bundle_path("polyphony")), "polyphony_rnn"),
    (str(bundle_path("chord_pitches_improv")), "improv_rnn"),
    ("starter:melody", "melody_rnn"), ("starter:mel_2bar", "music_vae"),
    (str(ORACLE_ROOT / "onsets_frames" / "onsets_frames_uni" / "checkpoint"), "onsets_frames"),
    (str(ORACLE_ROOT / "gansynth" / "ckpt"), "gansynth"),
    (str(ORACLE_ROOT / "nsynth"), "nsynth"),
    (str(ORACLE_ROOT / "music_transformer" / "relative_v2" / "ckpt"), "music_transformer"),
])
def test_load_model_returns_the_family_that_recognizes_the_file(spec, family):
    model = mw.load_model(spec)
    assert family_of_model(model) is FAMILIES[family]
    assert type(model) is FAMILIES[family].model


def test_every_family_with_a_widget_can_import_it():
    for family in (family for family in FAMILIES.values() if family.widget):
        widget = family.widget_class()
        assert widget.__name__.endswith("Widget")


def test_a_misspelt_widget_setting_is_refused_with_the_nearest_name():
    with pytest.raises(mw.MagwidgetsError, match="no setting 'temprature'; did you mean "
                                                 "'temperature'"):
        mw.DrumsRNNWidget("starter:drums", temprature=1.2)
    assert mw.DrumsRNNWidget("starter:drums", temperature=1.2).temperature == 1.2


def test_results_hold_notes_audio_or_both():
    notes = mw.load_model("starter:drums").generate(steps=16, seed=1)
    tone = Waveform(5.0 * np.sin(np.linspace(0, 2000, 16000)), 16000, "test")
    panel = ResultsPanel()
    panel.add(Result("mixed", items=(notes, tone, (tone, notes)),
                     captions=("notes", "audio", "audio + notes")))
    kinds = [type(view) for view in panel.views]
    assert kinds == [SequenceView, AudioView, AudioView]
    audio_only, transcription = panel.views[1], panel.views[2]
    assert audio_only.pianoroll is None and transcription.pianoroll is not None
    assert audio_only.player.audio.value[:4] == b"RIFF"  # played, normalised for listening
    assert np.max(np.abs(tone)) == pytest.approx(5.0)  # the result keeps the model's samples
    assert panel.current.sequences == (notes, notes) and len(panel.current.waveforms) == 2
    panel.add(Result("notes again", items=(notes,), captions=("notes",)))
    assert len(panel.outputs.children) == 2 and isinstance(panel.views[0], SequenceView)
    panel.add(Result("audio first", items=(tone,), captions=("audio",)))
    assert isinstance(panel.views[0], AudioView)
