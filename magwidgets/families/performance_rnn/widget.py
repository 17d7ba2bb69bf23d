"""The Performance RNN widget: note-density and pitch-class controls for conditioned models."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
from note_seq.protobuf import music_pb2
from traitlets import Bool, Float, List, observe

from magwidgets.families.event_rnn.widget import QUARTERS_PER_BAR, EventRNNWidget
from magwidgets.families.performance_rnn.controls import (
    DEFAULT_NOTE_DENSITY,
    DENSITY,
    DISABLE,
    PITCH,
    PITCH_CLASSES,
    SETTINGS,
    STEPS_PER_SECOND,
)
from magwidgets.widgets.controls import control
from magwidgets.widgets.melody_entry import note_name

MAX_NOTE_DENSITY = 64.0  # notes per second: Magenta's top density bin starts here


class PerformanceRNNWidget(EventRNNWidget):
    """Performance RNN: expressive piano in 10 ms steps. Conditioned models follow the
    note-density and pitch-class sliders; the others leave those sliders disabled."""

    family = "performance_rnn"
    model_kind = "performance_rnn models"

    note_density = Float(DEFAULT_NOTE_DENSITY, min=1.0, max=MAX_NOTE_DENSITY,
                         help="Notes per second the model aims for (density-conditioned "
                         "models)")
    pitch_histogram = List(Float(min=0.0, max=1.0), [1.0] * PITCH_CLASSES,
                           minlen=PITCH_CLASSES, maxlen=PITCH_CLASSES,
                           help="Weight of each pitch class C..B (pitch-conditioned models)")
    conditioning = Bool(True, help="Use the density and pitch controls (models where "
                        "conditioning is optional)")

    def steps_per_bar(self) -> float:
        return STEPS_PER_SECOND * 60.0 / self.qpm * QUARTERS_PER_BAR

    @observe("qpm")
    def _steps_from_tempo(self, change: dict[str, Any]) -> None:
        self._steps_from_bars(change)

    def at_tempo(self, primer: music_pb2.NoteSequence) -> music_pb2.NoteSequence:
        return primer  # timing is in seconds; qpm only places the bar lines of the output

    def _make_family_controls(self) -> list[widgets.Widget]:
        self.density_slider = control(self, "note_density", "notes per second", step=1.0)
        self.pitch_sliders = [
            widgets.FloatSlider(value=weight, min=0.0, max=1.0, step=0.05, description=name,
                                orientation="vertical", continuous_update=False,
                                layout={"width": "44px"})
            for name, weight in zip([note_name(pc)[:-2] for pc in range(PITCH_CLASSES)],
                                    self.pitch_histogram)]
        for slider in self.pitch_sliders:
            slider.observe(self._histogram_from_sliders, "value")
        self.conditioning_box = control(self, "conditioning", "conditioning on")
        self.conditioning_note = widgets.HTML()
        self._enable_controls()
        return [widgets.HBox([self.density_slider, self.conditioning_box]),
                widgets.HBox(self.pitch_sliders), self.conditioning_note]

    def _histogram_from_sliders(self, change: dict[str, Any]) -> None:
        self.pitch_histogram = [slider.value for slider in self.pitch_sliders]

    @observe("pitch_histogram")
    def _sliders_from_histogram(self, change: dict[str, Any]) -> None:
        for slider, weight in zip(self.pitch_sliders, change["new"]):
            slider.value = weight

    @observe("model")
    def _enable_controls(self, change: dict[str, Any] | None = None) -> None:
        settings = SETTINGS[self.model.config.id] if self.model is not None else None
        controls = settings.controls if settings else ()
        self.density_slider.disabled = DENSITY not in controls
        for slider in self.pitch_sliders:
            slider.disabled = PITCH not in controls
        self.conditioning_box.disabled = not (settings and settings.optional_conditioning)
        self.conditioning_note.value = (
            "" if settings is None else f"<small>{settings.description}: "
            f"{'conditioned on ' + ' and '.join(controls) if controls else 'no conditioning'}"
            "</small>")

    def family_arguments(self) -> dict[str, Any]:
        settings = SETTINGS[self.require_model().config.id]
        arguments: dict[str, Any] = {"fill_generate_section": True}
        if DENSITY in settings.controls:
            arguments["notes_per_second"] = self.note_density
        if PITCH in settings.controls:
            arguments["pitch_class_histogram"] = list(self.pitch_histogram)
        if settings.optional_conditioning:
            arguments[DISABLE] = not self.conditioning
        return arguments

    def _title(self, model: Any, primer: music_pb2.NoteSequence | None) -> str:
        seconds = self.steps / STEPS_PER_SECOND
        return f"{super()._title(model, primer)}, {seconds:g} s"
