"""Inputs of the model widgets: uploads (good, not MIDI, too large), the drum grid, typed
notes and the keyboard, and bad input shown in the widget with the widget still usable."""

from __future__ import annotations

import datetime
from pathlib import Path

ERROR_MARK = "⚠"  # what error_html puts before a message in the widget


def upload_value(path: Path, data: bytes | None = None) -> list[dict]:
    """What ipywidgets 8 puts in ``FileUpload.value`` when a browser uploads ``path``
    (or ``data`` under its name)."""
    data = path.read_bytes() if data is None else data
    return [{"name": path.name, "type": "audio/midi", "size": len(data),
             "content": memoryview(data),
             "last_modified": datetime.datetime.now(datetime.timezone.utc)}]
