"""``EventRNNWidget``: the controls every event RNN shares, over ``generate_with_score``.

Each family widget (``families/<family>/widget.py``) adds only its own options through
``family_arguments()`` and its own controls through ``family_controls``.

Length is set in bars (``bars``) or in the model's steps (``steps``): changing bars sets
steps to whole bars; ``steps`` is what is generated. The primer is played at the widget's
``qpm`` (an uploaded file sets ``qpm`` to its own tempo), and the continuation starts after
the primer's end (after the whole grid for the drum grid).
"""

from __future__ import annotations

from typing import Any, ClassVar

import ipywidgets as widgets
import note_seq
from note_seq import sequences_lib
from note_seq.protobuf import music_pb2
from traitlets import Float, Int, observe

from magwidgets import hub
from magwidgets.families.event_rnn.model import (
    MAX_QPM,
    MAX_TOTAL_STEPS,
    MIN_QPM,
    EventRNN,
    Generation,
)
from magwidgets.families.registry import family as family_record
from magwidgets.widgets.base import ModelWidget
from magwidgets.widgets.controls import SeedControl, control
from magwidgets.widgets.model_picker import named_models
from magwidgets.widgets.primer_input import PrimerInput
from magwidgets.widgets.results import Result

QUARTERS_PER_BAR = 4  # the widgets write 4/4, as Magenta's models were trained
DEFAULT_STEPS_PER_QUARTER = 4  # before a model is loaded
MAX_BARS = 32
MAX_SEARCH = 16  # beam size and branch factor offered by the sliders
MAX_VARIATIONS = 8
UI_MIN_QPM, UI_MAX_QPM = 30.0, 300.0  # the qpm slider's range (the models take more)
_TEMPO_TOLERANCE = 1e-6  # qpm
TEMPO_DECIMALS = 2  # an uploaded file's tempo, rounded


class EventRNNWidget(ModelWidget):
    """Sliders, primer input and Generate for one event-RNN family.

    ``generate()`` returns one NoteSequence per variation and shows each with a pianoroll,
    a player and its log-likelihood; ``results.history`` lists recent runs.
    """

    primer_sources: ClassVar[tuple[str, ...]] = ("none", "midi", "notes", "last")
    family: ClassVar[str] = ""  # the RnnConfig family this widget plays, e.g. "drums_rnn"

    temperature = Float(1.0, min=0.1, max=3.0, help="Sampling temperature: below 1 plays safe "
                        "and repetitive, above 1 is more surprising")
    bars = Int(2, min=1, max=MAX_BARS, help="Length to generate, in bars of 4/4")
    steps = Int(2 * QUARTERS_PER_BAR * DEFAULT_STEPS_PER_QUARTER, min=1, max=MAX_TOTAL_STEPS,
                help="Length to generate, in the model's steps (sixteenths for most models)")
    beam_size = Int(1, min=1, max=MAX_SEARCH, help="Beam search: candidates kept (1 = plain "
                    "sampling)")
    branch_factor = Int(1, min=1, max=MAX_SEARCH, help="Beam search: branches per candidate")
    steps_per_iteration = Int(1, min=1, max=MAX_SEARCH,
                              help="Beam search: steps sampled before pruning the beam")
    qpm = Float(note_seq.DEFAULT_QUARTERS_PER_MINUTE, min=max(MIN_QPM, UI_MIN_QPM),
                max=min(MAX_QPM, UI_MAX_QPM), help="Tempo in quarter notes per minute")
    variations = Int(1, min=1, max=MAX_VARIATIONS, help="How many continuations to make")

    def __init__(self, model: EventRNN | str | None = None, *,
                 view_options: dict[str, Any] | None = None, **traits: Any) -> None:
        super().__init__(view_options=view_options)
        self.primer = PrimerInput(self.primer_sources)
        self.primer.observe(self._take_upload_tempo, "uploaded")
        self.generate_button = self.action_button("Generate", self.generate)
        self.controls = widgets.GridBox(
            [control(self, "temperature", "temperature", step=0.1),
             control(self, "bars", "length (bars)"),
             control(self, "steps", "length (steps)", kind=widgets.BoundedIntText),
             control(self, "qpm", "tempo (qpm)", step=1.0),
             control(self, "variations", "variations"),
             control(self, "beam_size", "beam size"),
             control(self, "branch_factor", "branch factor"),
             control(self, "steps_per_iteration", "steps per iteration"),
             SeedControl(self)],
            layout={"grid_template_columns": "repeat(auto-fill, 350px)"})
        self.family_controls = widgets.VBox(self._make_family_controls())
        self.children = (self.picker, self.primer, self.controls, self.family_controls,
                         self.generate_button, self.results)
        self._use_initial_model(model)
        self.apply_settings(traits)

    def accepts(self, model: Any) -> bool:
        return isinstance(model, EventRNN) and model.config.family == self.family

    def named_models(self) -> list[tuple[str, str]]:
        return named_models(family_record(self.family).configs, hub.choices(self.family))

    # -- length -----------------------------------------------------------------------
    def steps_per_bar(self) -> float:
        """The model's steps in one bar of 4/4 at the current tempo."""
        per_quarter = (self.model.config.steps_per_quarter if self.model is not None
                       else DEFAULT_STEPS_PER_QUARTER)
        return float(per_quarter * QUARTERS_PER_BAR)

    @observe("bars", "model")
    def _steps_from_bars(self, change: dict[str, Any]) -> None:
        self.steps = max(1, round(self.bars * self.steps_per_bar()))

    @observe("steps")
    def _bars_from_steps(self, change: dict[str, Any]) -> None:
        bars = change["new"] / self.steps_per_bar()
        if bars == round(bars) and 1 <= bars <= MAX_BARS:
            self.bars = int(bars)

    def _take_upload_tempo(self, change: dict[str, Any]) -> None:
        sequence = change["new"]
        if sequence is not None and sequence.tempos:
            qpm = round(sequence.tempos[0].qpm, TEMPO_DECIMALS)  # MIDI stores µs per quarter
            self.qpm = min(max(qpm, self.traits()["qpm"].min), self.traits()["qpm"].max)

    # -- family hooks -----------------------------------------------------------------
    def _make_family_controls(self) -> list[widgets.Widget]:
        """The family's own controls (none for drums and melody)."""
        return []

    def family_arguments(self) -> dict[str, Any]:
        """The family's own ``generate_with_score`` keywords, from its traits."""
        return {}

    def at_tempo(self, primer: music_pb2.NoteSequence) -> music_pb2.NoteSequence:
        """The primer played at ``qpm`` (stretched when it has another single tempo)."""
        if len(primer.tempos) > 1:
            return primer  # the model refuses it with a clear message
        if primer.tempos and abs(primer.tempos[0].qpm - self.qpm) > _TEMPO_TOLERANCE:
            primer = sequences_lib.stretch_note_sequence(primer, primer.tempos[0].qpm / self.qpm)
        del primer.tempos[:]
        primer.tempos.add(qpm=self.qpm)
        return primer

    # -- generation -------------------------------------------------------------------
    def section_start(self, primer: music_pb2.NoteSequence | None) -> float | None:
        """Where the continuation starts: at the primer's end (after the whole grid, not
        its last hit). Magenta quantizes a start time on a step boundary to the next step,
        so half a step before is asked for; when a note ends later than that, the model's
        default (the step where the last note ends) is the same step."""
        if primer is None:
            return None
        seconds_per_bar = QUARTERS_PER_BAR * 60.0 / self.qpm
        start = primer.total_time - 0.5 * seconds_per_bar / self.steps_per_bar()
        last_end = max((note.end_time for note in primer.notes), default=0.0)
        return start if last_end <= start else None

    def generate(self) -> list[music_pb2.NoteSequence]:
        """Generate ``variations`` continuations of the primer with the current settings,
        show them, add them to the history and return them (one NoteSequence each).

        Raises:
            MagwidgetsError: no model, an unusable primer or settings (the Generate button
                shows the message in the widget instead).
        """
        model = self.require_model()
        primer = self.primer.sequence(self.qpm, self.results.shown_sequences())
        if primer is not None:
            primer = self.at_tempo(primer)
        arguments = dict(
            start_time=self.section_start(primer), steps=self.steps,
            qpm=self.qpm, temperature=self.temperature, beam_size=self.beam_size,
            branch_factor=self.branch_factor, steps_per_iteration=self.steps_per_iteration,
            **self.family_arguments())
        seeds = self.seeds(self.variations)
        made: list[Generation] = []
        with self.results.busy(len(seeds)) as progress:
            for seed in seeds:
                made.append(model.generate_with_score(primer, seed=seed, **arguments))
                progress.value += 1
        self.results.add(Result(
            title=self._title(model, primer),
            items=tuple(generation.sequence for generation in made),
            captions=tuple(f"variation {k + 1} · seed {seed} · log-likelihood "
                           f"{generation.log_likelihood:.2f}"
                           for k, (seed, generation) in enumerate(zip(seeds, made))),
            primer_end=made[0].generated_start if primer is not None else None,
            name=model.config.id))
        self.results.show_info(f"{len(made)} × {self.bars_text()} from {model.config.id}")
        return [generation.sequence for generation in made]

    def bars_text(self) -> str:
        bars = self.steps / self.steps_per_bar()
        return f"{bars:g} bar{'s' if bars != 1 else ''}"

    def _title(self, model: EventRNN, primer: music_pb2.NoteSequence | None) -> str:
        primer_text = "no primer" if primer is None else f"primer: {self.primer.source}"
        return (f"{model.config.id}, {self.bars_text()}, temperature {self.temperature:g}, "
                f"{primer_text}")
