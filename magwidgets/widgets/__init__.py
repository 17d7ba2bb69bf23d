"""Jupyter widgets: the player, the pianoroll + player view, and one widget per model.

Model widgets (ipywidgets 8 boxes; every control is a traitlet, so code and sliders agree)::

    w = DrumsRNNWidget("drum_kit_rnn.mag")      # or a loaded model, or None (use the picker)
    w.temperature = 1.2                          # moves the slider too
    w.primer.source = "grid"; w.primer.grid.toggle(0, 0)   # kick on step 1
    sequences = w.generate()                     # one NoteSequence per variation, shown below
    w.generate_button.click()                    # the same, errors shown in w.results.status

Shared surface (``ModelWidget``): ``model`` (set it, or ``load(spec)`` with ``starter:<name>``,
``hub:<name>`` or a path), ``seed`` (None: a fresh one each run), ``picker`` (ModelPicker:
``named`` dropdown, ``path`` + ``load_button``, ``upload``, ``message``) and ``results``
(ResultsPanel: ``status`` line, ``progress``, ``views`` — one SequenceView per sequence, each
with ``.pianoroll`` and ``.player`` — ``captions``, ``history`` dropdown, ``results`` list of
``Result`` and ``current``).

Event RNNs (``EventRNNWidget``: ``temperature``, ``bars``, ``steps``, ``qpm``, ``variations``,
``beam_size``, ``branch_factor``, ``steps_per_iteration``; ``primer`` is a PrimerInput with
``source`` in none/midi/grid/notes/last, ``upload``, ``grid`` (DrumGrid), ``notes``
(MelodyEntry: ``text`` + keyboard); ``generate_button``; ``generate()``):
``DrumsRNNWidget``, ``MelodyRNNWidget``, ``PolyphonyRNNWidget`` (``condition_on_primer``,
``inject_primer``), ``PerformanceRNNWidget`` (``note_density``, ``pitch_histogram``,
``conditioning``), ``ImprovRNNWidget`` (``chords``).
"""

from magwidgets.widgets.base import ModelWidget
from magwidgets.widgets.player import Player
from magwidgets.widgets.rnn import EventRNNWidget
from magwidgets.widgets.rnn_families import (DrumsRNNWidget, ImprovRNNWidget, MelodyRNNWidget,
                                             PerformanceRNNWidget, PolyphonyRNNWidget)
from magwidgets.widgets.view import SequenceView, show

__all__ = ["DrumsRNNWidget", "EventRNNWidget", "ImprovRNNWidget", "MelodyRNNWidget",
           "ModelWidget", "PerformanceRNNWidget", "Player", "PolyphonyRNNWidget",
           "SequenceView", "show"]
