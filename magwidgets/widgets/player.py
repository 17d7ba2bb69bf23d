"""A player widget for any NoteSequence (synthesized; a MIDI download; the synth used) or any
model-made audio (played as the model made it, louder or quieter only for listening)."""

from __future__ import annotations

import html
import warnings

import ipywidgets as widgets
import numpy as np
from note_seq.protobuf import music_pb2

from magwidgets.io.sequences import SequenceLike, to_note_sequence
from magwidgets.io.waveform import Waveform
from magwidgets.render.audio import (
    BACKEND_NAMES,
    DEFAULT_SAMPLE_RATE,
    TARGET_PEAK,
    Backend,
    synthesize,
    to_wav_bytes,
)
from magwidgets.render.page import PLAYER_CLASS, midi_download_link
from magwidgets.widgets.clock import PlaybackClock


class Player(widgets.VBox):
    """Audio player (ipywidgets ``Audio`` with WAV bytes) plus a MIDI download link.

    ``player.backend`` and the caption say which synthesizer played; ``player.clock``
    reports the browser's playback position (``current_time``, seconds) for a playhead.
    """

    def __init__(self, music: SequenceLike = None, *, sample_rate: int = DEFAULT_SAMPLE_RATE,
                 backend: Backend = "auto", soundfont: str | None = None,
                 filename: str = "magwidgets.mid") -> None:
        self.sample_rate = sample_rate
        self.synth_backend = backend
        self.soundfont = soundfont
        self.filename = filename
        self.backend = ""
        self.audio = widgets.Audio(format="wav", autoplay=False, loop=False, controls=True)
        self.download = widgets.HTML()
        self.caption = widgets.HTML()
        self.clock = PlaybackClock()
        super().__init__(children=(self.audio, widgets.HBox([self.download, self.caption]),
                                   self.clock))
        self.add_class(PLAYER_CLASS)
        self.update(music)

    def update(self, music: SequenceLike) -> None:
        """Render ``music`` (NoteSequence, PrettyMIDI, MIDI path) and load it into the player."""
        sequence = to_note_sequence(music)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            waveform = synthesize(sequence, sample_rate=self.sample_rate,
                                  backend=self.synth_backend, soundfont=self.soundfont)
        for warning in caught:  # still visible to the caller, and shown in the caption
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
        self.backend = waveform.backend
        seconds = len(waveform) / waveform.sample_rate
        notes = "no notes" if not sequence.notes else f"{len(sequence.notes)} notes, {seconds:.1f} s"
        caption = f"{notes}, played by {BACKEND_NAMES[waveform.backend]}"
        if caught:
            caption += f" ({html.escape(str(caught[0].message))})"
        with self.hold_sync():
            self.audio.value = to_wav_bytes(waveform)
            self.download.value = midi_download_link(sequence, self.filename)
            self.caption.value = f"<small>{caption}</small>"
            self.clock.current_time = 0.0

    def update_audio(self, waveform: Waveform,
                     sequence: music_pb2.NoteSequence | None = None) -> None:
        """Play ``waveform`` (a model's audio, peak-normalised for listening only) and, when
        the audio has notes (a transcription), offer them as a MIDI download."""
        peak = float(np.max(np.abs(waveform))) if len(waveform) else 0.0
        playable = Waveform(waveform * (TARGET_PEAK / peak) if peak > 0 else waveform,
                            waveform.sample_rate, waveform.backend)
        self.backend = waveform.backend
        made_by = BACKEND_NAMES.get(waveform.backend, waveform.backend or "a model")
        caption = f"{len(waveform) / max(waveform.sample_rate, 1):.1f} s of audio from {made_by}"
        with self.hold_sync():
            self.audio.value = to_wav_bytes(playable)
            self.download.value = (midi_download_link(sequence, self.filename)
                                   if sequence is not None else "")
            self.caption.value = f"<small>{html.escape(caption)}</small>"
            self.clock.current_time = 0.0
