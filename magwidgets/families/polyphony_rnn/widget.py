"""The Polyphony RNN widget: continue or harmonize."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
from traitlets import Bool

from magwidgets.families.event_rnn.widget import EventRNNWidget
from magwidgets.widgets.controls import control


class PolyphonyRNNWidget(EventRNNWidget):
    """Polyphony RNN: continues polyphonic piano music, or harmonizes a melody when the
    primer is injected during generation."""

    family = "polyphony_rnn"
    model_kind = "polyphony_rnn models"

    condition_on_primer = Bool(False, help="Let the model read the primer before it starts")
    inject_primer = Bool(True, help="Replay the primer's notes during generation, so the "
                         "model adds notes around them (harmonization)")

    def _make_family_controls(self) -> list[widgets.Widget]:
        return [widgets.HBox([control(self, "condition_on_primer", "condition on primer"),
                              control(self, "inject_primer", "inject primer")])]

    def family_arguments(self) -> dict[str, Any]:
        return {"condition_on_primer": self.condition_on_primer,
                "inject_primer_during_generation": self.inject_primer}
