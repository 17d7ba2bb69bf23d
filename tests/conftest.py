"""Shared test set-up: the oracle fixtures and a session-wide weights cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from google.protobuf import text_format

import magwidgets  # noqa: F401  (first: it imports note-seq and pretty_midi quietly)
from note_seq.protobuf import music_pb2

ORACLE = Path(__file__).parent / "fixtures" / "magenta-oracle" / "rnn"
IMPROV_CONFIGS = ["basic_improv", "attention_improv", "chord_pitches_improv"]
PERFORMANCE_CONFIGS = [
    "performance",
    "performance_with_dynamics",
    "performance_with_dynamics_compact",
    "performance_with_dynamics_and_modulo_encoding",
    "density_conditioned_performance_with_dynamics",
    "pitch_conditioned_performance_with_dynamics",
    "multiconditioned_performance_with_dynamics",
    "optional_multiconditioned_performance_with_dynamics",
]
RNN_CONFIGS = ["one_drum", "drum_kit", "basic_rnn", "mono_rnn", "lookback_rnn", "attention_rnn",
               "polyphony", *IMPROV_CONFIGS, *PERFORMANCE_CONFIGS]
CHORD_SYMBOL = music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL


def bundle_path(config: str) -> Path:
    return ORACLE / config / "model.mag"


def read_textproto(path: Path) -> music_pb2.NoteSequence:
    return text_format.Parse(path.read_text(), music_pb2.NoteSequence())


def read_meta(config: str) -> dict:
    return json.loads((ORACLE / config / "meta.json").read_text())


def note_tuples(sequence: music_pb2.NoteSequence) -> list[tuple]:
    """Notes as comparable tuples (times rounded to a microsecond)."""
    return sorted(
        (n.pitch, n.velocity, round(n.start_time, 6), round(n.end_time, 6), n.is_drum)
        for n in sequence.notes
    )


def chord_tuples(sequence: music_pb2.NoteSequence) -> list[tuple]:
    """CHORD_SYMBOL annotations as comparable (time, text) tuples."""
    return [(round(a.time, 6), a.text) for a in sequence.text_annotations
            if a.annotation_type == CHORD_SYMBOL]


@pytest.fixture(scope="session", autouse=True)
def weights_cache(tmp_path_factory):
    """One fresh cache for the whole run, so each bundle is converted (with TF) once."""
    folder = tmp_path_factory.mktemp("magwidgets-cache")
    patcher = pytest.MonkeyPatch()
    patcher.setenv("MAGWIDGETS_CACHE", str(folder))
    yield folder
    patcher.undo()


@pytest.fixture(scope="session")
def models():
    """Each oracle bundle loaded once: config id -> model."""
    import magwidgets as mw

    return {config: mw.load_model(bundle_path(config)) for config in RNN_CONFIGS}


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of headless Chromium; a test needing it fails (never skips) when it is missing."""
    from magwidgets.errors import RenderError
    from magwidgets.render.pianoroll_figure import CHROMIUM_PACKAGE, find_chromium

    try:
        return find_chromium()
    except RenderError as err:
        pytest.fail(f"{err}. CI installs it: apt-get install -y {CHROMIUM_PACKAGE}")
