"""The transcription widget driven as a user would: upload a WAV, press Transcribe, move the
thresholds; what it shows is what the model's API gives."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

import magwidgets as mw
from conftest import note_tuples
from magwidgets.families.onsets_frames.widget import TranscriptionWidget
from magwidgets.widgets.view import AudioView

FIXTURES = Path(__file__).parent / "fixtures" / "magenta-oracle" / "onsets_frames"
CHECKPOINT = FIXTURES / "onsets_frames_uni" / "checkpoint"


def _upload(path: Path) -> list[dict]:
    data = path.read_bytes()
    return [{"name": path.name, "type": "audio/wav", "size": len(data), "content": data,
             "last_modified": datetime.datetime.now(datetime.timezone.utc)}]


def test_upload_transcribe_and_rethreshold():
    model = mw.load_model(CHECKPOINT)
    widget = TranscriptionWidget(model)
    widget.upload.value = _upload(FIXTURES / "piano.wav")
    widget.transcribe_button.click()
    assert widget.results.status.value == ""
    shown = widget.results.current
    expected = model.transcribe(FIXTURES / "piano.wav")
    assert note_tuples(shown.sequences[0]) == note_tuples(expected) and expected.notes
    assert isinstance(widget.results.views[0], AudioView)
    assert widget.results.views[0].pianoroll is not None
    widget.frame_threshold = 0.9  # decodes again, without the model
    stricter = model.transcribe(FIXTURES / "piano.wav", frame_threshold=0.9)
    assert note_tuples(widget.results.current.sequences[0]) == note_tuples(stricter)
    assert len(widget.results.results) == 2


def test_a_text_file_is_one_readable_line(tmp_path):
    widget = TranscriptionWidget(mw.load_model(CHECKPOINT))
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    widget.upload.value = _upload(text)
    widget.transcribe_button.click()
    assert "notes.wav: not a readable audio file" in widget.results.status.value
    with pytest.raises(mw.MagwidgetsError, match="no setting 'onset_treshold'"):
        TranscriptionWidget(CHECKPOINT, onset_treshold=0.3)
