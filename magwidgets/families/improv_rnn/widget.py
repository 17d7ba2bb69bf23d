"""The Improv RNN widget: a melody over a typed chord progression."""

from __future__ import annotations

import re
from typing import Any

import ipywidgets as widgets
from traitlets import Unicode, observe

from magwidgets.errors import GenerationError, MagwidgetsError
from magwidgets.families.event_rnn.widget import EventRNNWidget
from magwidgets.families.improv_rnn.chords import check_chord_symbol
from magwidgets.families.improv_rnn.model import PITCH_CHORD_CONFIGS
from magwidgets.widgets.controls import control
from magwidgets.widgets.primer_input import error_html

_CHORD_SEPARATORS = re.compile(r"[\s,|]+")


def parse_chords(text: str, triads_only: bool) -> list[str]:
    """Chord symbols from ``"C Am | F G7"`` (spaces, commas or bar lines between them).

    Raises:
        GenerationError: no chords, or a symbol the model cannot use (naming it).
    """
    chords = [figure for figure in _CHORD_SEPARATORS.split(text.strip()) if figure]
    if not chords:
        raise GenerationError("type a chord progression, one chord per bar, e.g. C Am F G7")
    for position, figure in enumerate(chords):
        check_chord_symbol(figure, triads_only, GenerationError, f"chord {position + 1}")
    return chords


class ImprovRNNWidget(EventRNNWidget):
    """Improv RNN: improvises a melody over the chord progression typed in ``chords``
    (one chord per bar, repeated to the end)."""

    family = "improv_rnn"
    model_kind = "improv_rnn models"

    chords = Unicode("C Am F G7", help="Backing chords, one per bar (repeated): e.g. C Am F G7")

    def _make_family_controls(self) -> list[widgets.Widget]:
        self.chords_box = control(self, "chords", "chords (one per bar)",
                                  layout={"width": "520px"})
        self.chords_message = widgets.HTML()
        return [widgets.HBox([self.chords_box, self.chords_message])]

    def _triads_only(self) -> bool:
        return self.model is None or self.model.config.id not in PITCH_CHORD_CONFIGS

    @observe("chords", "model")
    def _check_chords(self, change: dict[str, Any]) -> None:
        try:
            parse_chords(self.chords, self._triads_only())
        except MagwidgetsError as err:
            self.chords_message.value = error_html(err)
        else:
            self.chords_message.value = ""

    def family_arguments(self) -> dict[str, Any]:
        return {"chords": parse_chords(self.chords, self._triads_only())}
