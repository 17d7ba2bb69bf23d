"""Shared test set-up: the oracle fixtures and a session-wide weights cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from google.protobuf import text_format

import magwidgets as mw  # first: it imports note-seq and pretty_midi quietly
from note_seq.protobuf import music_pb2

ORACLE = Path(__file__).parent / "fixtures" / "magenta-oracle" / "rnn"
IMPROV_CONFIGS = sorted(mw.FAMILIES["improv_rnn"].configs)
PERFORMANCE_CONFIGS = sorted(mw.FAMILIES["performance_rnn"].configs)
RNN_CONFIGS = sorted(mw.CONFIGS)  # every event-RNN config has an oracle fixture
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
