"""The tutorial notebooks run top to bottom in a real kernel."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"


def _outputs(notebook) -> str:
    return "".join(
        output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    )


@pytest.mark.parametrize("name", ["01_drums_and_melody.ipynb"])
def test_notebook_runs(tmp_path, name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    text = _outputs(notebook)
    assert "DrumsRNN(config='drum_kit'" in text
    assert "drum hits over" in text
    assert text.count("distinct pitches") == 3
    assert "beam 4 x branch 2:" in text
    written = NOTEBOOKS / "beat.mid"
    assert written.is_file()
    shutil.move(written, tmp_path / "beat.mid")  # leave the source tree clean
