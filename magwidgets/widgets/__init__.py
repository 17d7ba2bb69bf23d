"""Jupyter widgets: the toolkit every family widget is built from (the model widget base, the
results panel, the player, the pianoroll + player view). The family widgets live in their
family folders (``families/<family>/widget.py``) and are exported as ``mw.<Name>Widget``.

Model widgets (ipywidgets 8 boxes; every control is a traitlet, so code and sliders agree)::

    w = DrumsRNNWidget("drum_kit_rnn.mag")      # or a loaded model, or None (use the picker)
    w.temperature = 1.2                          # moves the slider too
    w.primer.source = "grid"; w.primer.grid.toggle(0, 0)   # kick on step 1
    sequences = w.generate()                     # one NoteSequence per variation, shown below
    w.generate_button.click()                    # the same, errors shown in w.results.status

Shared surface (``ModelWidget``): ``model`` (set it, ``use(model)``, or ``load(spec)`` with
``starter:<name>``, ``hub:<name>`` or a path), ``seed`` (None: a fresh one each run),
``picker`` (ModelPicker: ``named`` dropdown of the starter models, then the hub's, of the
widget's kind; ``path`` + ``load_button``, ``upload``, ``message``) and ``results``
(ResultsPanel: ``status`` line, ``progress``, ``views`` — one SequenceView per sequence, each
with ``.pianoroll`` and ``.player`` — ``captions``, ``history`` dropdown, ``results`` list of
``Result`` and ``current``).

Event RNNs (``EventRNNWidget``: ``temperature``, ``bars``, ``steps``, ``qpm``, ``variations``,
``beam_size``, ``branch_factor``, ``steps_per_iteration``; ``primer`` is a PrimerInput with
``source`` in none/midi/grid/notes/last, ``upload``, ``grid`` (DrumGrid), ``notes``
(MelodyEntry: ``text`` + keyboard); ``generate_button``; ``generate()``):
``DrumsRNNWidget``, ``MelodyRNNWidget``, ``PolyphonyRNNWidget`` (``condition_on_primer``,
``inject_primer``), ``PerformanceRNNWidget`` (``note_density``, ``pitch_histogram``,
``conditioning``), ``ImprovRNNWidget`` (``chords``). ``primer.which`` picks the sequence of
the result on display that "last result" continues.

VAEs (``temperature``, ``qpm`` for grid/typed input, ``seed``; a ``.tar`` checkpoint is read
with the picker's ``checkpoint_config``): ``MusicVAEWidget(model, config=...)`` — ``sample()``
(``count``, ``same_z``; ``sample_button``), ``interpolate()`` between inputs ``a`` and ``b``
(PrimerInputs; default: sequences 1 and 2 of the result on display) then ``position`` (0..1,
``position_slider``, ``interpolation_steps`` points, decoded on demand with one seed and
cached), ``encode()`` the windows of input ``source``; ``GrooVAEWidget(model, drumify_model)``
— ``groove()`` / ``drumify()`` on ``input`` (``groove_button``, ``drumify_button``).
"""

from magwidgets.widgets.base import ModelWidget
from magwidgets.widgets.player import Player
from magwidgets.widgets.view import SequenceView, show

__all__ = ["ModelWidget", "Player", "SequenceView", "show"]
