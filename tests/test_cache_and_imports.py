"""Weights are converted once and cached; a cached model loads and generates without TF."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap

import magwidgets as mw
from conftest import bundle_path


def test_conversion_is_cached_by_bundle_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("MAGWIDGETS_CACHE", str(tmp_path))
    path = bundle_path("lookback_rnn")
    entry = tmp_path / "weights" / f"{hashlib.sha256(path.read_bytes()).hexdigest()}.npz"
    first = mw.load_model(path)
    assert entry.is_file()
    stamp = entry.stat().st_mtime_ns
    second = mw.load_model(path)
    assert entry.stat().st_mtime_ns == stamp  # read, not rewritten
    assert second.network.layer_sizes == first.network.layer_sizes


def test_a_damaged_cache_entry_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("MAGWIDGETS_CACHE", str(tmp_path))
    path = bundle_path("basic_rnn")
    mw.load_model(path)
    entry = next((tmp_path / "weights").glob("*.npz"))
    entry.write_bytes(b"not an npz")
    model = mw.load_model(path)
    assert model.generate(steps=4, seed=0).notes is not None
    assert entry.stat().st_size > 1000


def test_cached_model_generates_without_importing_tensorflow(tmp_path):
    path = bundle_path("attention_rnn")
    env = {**os.environ, "MAGWIDGETS_CACHE": str(tmp_path)}
    script = textwrap.dedent(f"""
        import sys
        import magwidgets as mw
        model = mw.load_model({str(path)!r})
        sequence = model.generate(steps=16, seed=0)
        print(len(sequence.notes), "tensorflow" in sys.modules)
    """)

    def run() -> list[str]:
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                              text=True, check=True)
        return done.stdout.splitlines()[-1].split()  # (pyfluidsynth prints a line when CI is set)

    converted_notes, converted_imported = run()
    assert converted_imported == "True"  # the first load converts with TensorFlow
    notes, imported = run()
    assert imported == "False"
    assert notes == converted_notes
