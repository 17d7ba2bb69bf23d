"""The transcription widget: a sound in (an uploaded WAV/FLAC/OGG or any ``Waveform``), its
notes out, shown as the audio above the transcribed pianoroll with one player."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
from note_seq.protobuf import music_pb2
from traitlets import Float

from magwidgets.errors import MagwidgetsError
from magwidgets.families.onsets_frames.model import OnsetsAndFrames
from magwidgets.io.waveform import Waveform, read_audio
from magwidgets.widgets.base import ModelWidget
from magwidgets.widgets.controls import control
from magwidgets.widgets.results import Result
from magwidgets.widgets.uploads import uploaded_file

MAX_AUDIO_BYTES = 200 * 1024 * 1024  # about 10 minutes of 16-bit stereo 44.1 kHz WAV


class TranscriptionWidget(ModelWidget):
    """Onsets and Frames: transcribe a recording of piano music into notes. The thresholds
    re-decode the last transcription without running the model again."""

    model_kind = "Onsets and Frames models"

    onset_threshold = Float(0.5, min=0.0, max=1.0, help="How sure the model must be that a "
                            "note starts (higher: fewer, surer notes)")
    frame_threshold = Float(0.5, min=0.0, max=1.0, help="How sure it must be that a note "
                            "still sounds (higher: shorter notes)")

    def __init__(self, model: OnsetsAndFrames | str | None = None, **settings: Any) -> None:
        super().__init__(accept="")
        self.upload = widgets.FileUpload(accept=".wav,.flac,.ogg", multiple=False,
                                         description="Upload audio")
        self.transcribe_button = self.action_button("Transcribe", self.transcribe_upload,
                                                    icon="music")
        self.controls = widgets.HBox([control(self, "onset_threshold", "note starts"),
                                      control(self, "frame_threshold", "note holds")])
        self.audio: Waveform | None = None
        self._outputs: dict | None = None
        self.children = (self.picker, self.upload, self.controls, self.transcribe_button,
                         self.results)
        self._use_initial_model(model)
        self.apply_settings(settings)
        self.observe(self._decode_again, ["onset_threshold", "frame_threshold"])

    def accepts(self, model: Any) -> bool:
        return isinstance(model, OnsetsAndFrames)

    def transcribe_upload(self) -> music_pb2.NoteSequence:
        """Transcribe the uploaded sound file."""
        name, data = uploaded_file(self.upload.value, max_bytes=MAX_AUDIO_BYTES,
                                   what="sound file", error=MagwidgetsError)
        return self.transcribe(read_audio(data, name=name))

    def transcribe(self, audio: Waveform) -> music_pb2.NoteSequence:
        """Transcribe ``audio`` and show it with its notes (also returned)."""
        model = self.require_model()
        with self.results.busy(1, "Transcribing"):
            self._outputs = model.predict(audio, audio.sample_rate)
        self.audio = audio
        return self._show()

    def _decode_again(self, change: dict[str, Any]) -> None:
        if self._outputs is not None:
            self._show()

    def _show(self) -> music_pb2.NoteSequence:
        notes = self.require_model().decode(self._outputs, onset_threshold=self.onset_threshold,
                                            frame_threshold=self.frame_threshold)
        self.results.add(Result(
            title=f"transcription, {self.audio.seconds:.1f} s, thresholds "
                  f"{self.onset_threshold:g} / {self.frame_threshold:g}",
            items=((self.audio, notes),),
            captions=(f"{len(notes.notes)} notes in {self.audio.seconds:.1f} s of audio",),
            name="transcription"))
        return notes
