"""The GANSynth widget: an instrument is a point in a latent space of timbres; pick two,
morph between them, play one note at any pitch, or play a whole score with the pair."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np
from traitlets import Float, Int

from magwidgets.families.gansynth.model import HIGHEST_PITCH, LOWEST_PITCH, GANSynth
from magwidgets.families.gansynth.score import slerp
from magwidgets.io.sequences import SequenceLike
from magwidgets.io.waveform import Waveform
from magwidgets.widgets.base import MAX_SEED, ModelWidget
from magwidgets.widgets.controls import control
from magwidgets.widgets.melody_entry import note_name
from magwidgets.widgets.results import Result


class GANSynthWidget(ModelWidget):
    """GANSynth: ``instrument_a`` and ``instrument_b`` are seeds of two timbres, ``morph``
    goes from one to the other, ``pitch`` is the MIDI note; ``play_note()`` makes 4 s of
    audio, ``play_score(music)`` plays a melody with the instruments morphing over time."""

    model_kind = "GANSynth models"

    pitch = Int(60, min=LOWEST_PITCH, max=HIGHEST_PITCH, help="The note to play (MIDI pitch; "
                "60 is middle C)")
    instrument_a = Int(101, min=0, max=MAX_SEED, help="The first instrument: each number is "
                       "a different timbre")
    instrument_b = Int(7, min=0, max=MAX_SEED, help="The second instrument")
    morph = Float(0.0, min=0.0, max=1.0, help="0 plays instrument A, 1 instrument B, and "
                  "values between blend their timbres")

    def __init__(self, model: GANSynth | str | None = None, **settings: Any) -> None:
        super().__init__(accept="")
        self._notes: dict[tuple, Waveform] = {}  # decoded on demand, kept for the slider
        self.note_button = self.action_button("Play note", self.play_note)
        self.new_button = self.action_button("New instrument", self.new_instrument,
                                             icon="random")
        self.controls = widgets.GridBox(
            [control(self, "pitch", "pitch"), control(self, "morph", "A → B"),
             control(self, "instrument_a", "instrument A", kind=widgets.BoundedIntText),
             control(self, "instrument_b", "instrument B", kind=widgets.BoundedIntText)],
            layout={"grid_template_columns": "repeat(auto-fill, 350px)"})
        self.children = (self.picker, self.controls,
                         widgets.HBox([self.note_button, self.new_button]), self.results)
        self._use_initial_model(model)
        self.apply_settings(settings)

    def accepts(self, model: Any) -> bool:
        return isinstance(model, GANSynth)

    def instruments(self) -> np.ndarray:
        """The two instruments' latent vectors [2, latent]."""
        model = self.require_model()
        return np.stack([model.random_z(1, seed)[0]
                         for seed in (self.instrument_a, self.instrument_b)])

    def new_instrument(self) -> Waveform:
        """Draw a new instrument A (a fresh seed) and play it."""
        self.instrument_a = int(np.random.default_rng().integers(MAX_SEED))
        self.morph = 0.0
        return self.play_note()

    def play_note(self) -> Waveform:
        """4 s of ``pitch`` at the current morph, shown and returned (Magenta's samples)."""
        key = (self.instrument_a, self.instrument_b, round(self.morph, 3), self.pitch)
        if key not in self._notes:
            z_a, z_b = self.instruments()
            z = slerp(z_a, z_b, self.morph)
            with self.results.busy(1, "Synthesizing"):
                self._notes[key] = self.require_model().generate(self.pitch, z=z)
        note = self._notes[key]
        self.results.add(Result(
            title=f"{note_name(self.pitch)}, instruments {self.instrument_a} → "
                  f"{self.instrument_b} at {self.morph:.2f}",
            items=(note,), captions=(f"{note_name(self.pitch)} · peak "
                                     f"{float(np.max(np.abs(note))):.2f}",),
            name="gansynth"))
        return note

    def play_score(self, music: SequenceLike) -> Waveform:
        """Play ``music`` (a NoteSequence or MIDI file) with the instruments morphing from A
        to B over its length, as Magenta's ``gansynth_generate --midi_file`` does."""
        model = self.require_model()
        with self.results.busy(1, "Synthesizing the score"):
            audio = model.render(music, z_instruments=self.instruments(),
                                 seconds_per_instrument=model.clip_seconds(music) / 2)
        self.results.add(Result(title="score, instruments A → B", items=(audio,),
                                captions=(f"{audio.seconds:.1f} s",), name="gansynth-score"))
        return audio
