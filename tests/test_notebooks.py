"""Every notebook in notebooks/ runs top to bottom in a real kernel, without internet.

Each one must also print what its lessons show (so a cell that silently does nothing fails)
and display at least one widget (its dashboard, or the Studio).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# What each notebook prints when its cells did their job.
EXPECTED = {
    "01_drums.ipynb": ["classes: 512", "000000101", "beam 4 x branch 2:"],
    "02_melody.ipynb": ["E4 starts", "no event (hold)", "distinct pitches",
                        "beam 4 x branch 2:"],
    "03_polyphony.ipynb": ["NEW_NOTE C5", "CONTINUED_NOTE C5", "harmonized replay",
                           "pitch classes"],
    "04_performance.ipynb": ["VELOCITY", "NOTE_ON 48", "TIME_SHIFT", "notes per second"],
    "05_improv.ipynb": ["root G   pitches D F G B", "chord tones", "refused:"],
    "06_music_vae.ipynb": ["32 steps x 90 numbers", "E4 starts", "distance A-B", "stop 4:",
                           "of the way from A to B"],
    "07_groovae.ipynb": ["32 steps x 27 numbers", "ms on average", "drum hits on",
                         "hits, grooved"],
    "studio.ipynb": [],
}


def _printed(notebook: nbformat.NotebookNode) -> str:
    return "".join(
        output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs)


def _widget_views(notebook: nbformat.NotebookNode) -> int:
    return sum(WIDGET_VIEW in output.get("data", {})
               for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs)


def test_every_notebook_is_checked():
    assert sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


def _stderr(notebook: nbformat.NotebookNode) -> str:
    """What the cells wrote to stderr: warnings show there, as a pink box in Jupyter."""
    return "".join(output.get("text", "")
                   for cell in notebook.cells if cell.cell_type == "code"
                   for output in cell.outputs if output.get("name") == "stderr")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs(name, monkeypatch):
    monkeypatch.setenv("CI", "true")  # pyfluidsynth prints to stdout when CI is set
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    printed = _printed(notebook)
    for text in EXPECTED[name]:
        assert text in printed, f"{name} did not print {text!r}"
    assert _widget_views(notebook) >= 1
    assert _stderr(notebook) == "", f"{name} shows a warning: {_stderr(notebook)}"
    assert "was found at" not in printed, "pyfluidsynth's import message reached the notebook"
    assert not list(NOTEBOOKS.glob("*.mid")), "notebooks must not leave files behind"
