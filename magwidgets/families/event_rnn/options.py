"""The typed options of event-RNN generation: which section to fill (:class:`Section`) and how
to sample it (:class:`Search`), checked once when made; ``split_options`` sorts a call's
keywords into them and the family's own, refusing unknown ones with the nearest names."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from magwidgets.errors import GenerationError
from magwidgets.validation import check_number, refuse_unknown

MAX_TOTAL_STEPS = 32_768  # about an hour of sixteenths at 120 qpm
MAX_BEAM_ENTRIES = 1_024  # beam_size * branch_factor sequences run as one batch
MAX_SEED = 2**32 - 1  # numpy's seeds are unsigned 32-bit here
MIN_TEMPERATURE = 1e-6  # below this the softmax of float32 logits is all 0/1 or NaN
MIN_QPM, MAX_QPM = 1.0, 1000.0


@dataclass(frozen=True)
class Section:
    """The part of the timeline to generate: ``start_time``..``end_time`` in seconds, or
    ``steps`` steps from ``start_time`` (None: where the primer ends, for the family's
    default length); ``qpm`` is the tempo when the primer has none."""

    start_time: float | None = None
    end_time: float | None = None
    steps: int | None = None
    qpm: float | None = None

    def __post_init__(self) -> None:
        if self.steps is not None and self.end_time is not None:
            raise GenerationError("give either end_time or steps, not both")
        if self.start_time is not None:
            check_number("start_time", self.start_time, low=0.0)
        if self.end_time is not None:
            check_number("end_time", self.end_time, low=0.0, low_open=True)
        if self.steps is not None:
            check_number("steps", self.steps, low=1, high=MAX_TOTAL_STEPS, integer=True)
        if self.qpm is not None:
            check_number("qpm", self.qpm, low=MIN_QPM, high=MAX_QPM)


@dataclass(frozen=True)
class Search:
    """Sampling and beam search as Magenta runs them: the softmax ``temperature``, the beam
    (``beam_size`` x ``branch_factor`` candidates, pruned every ``steps_per_iteration``
    steps) and the ``seed`` (None: a fresh one)."""

    temperature: float = 1.0
    beam_size: int = 1
    branch_factor: int = 1
    steps_per_iteration: int = 1
    seed: int | None = None

    def __post_init__(self) -> None:
        check_number("temperature", self.temperature, low=MIN_TEMPERATURE)
        check_number("beam_size", self.beam_size, low=1, high=MAX_BEAM_ENTRIES, integer=True)
        check_number("branch_factor", self.branch_factor, low=1, high=MAX_BEAM_ENTRIES,
                     integer=True)
        check_number("steps_per_iteration", self.steps_per_iteration, low=1,
                     high=MAX_TOTAL_STEPS, integer=True)
        if self.seed is not None:
            check_number("seed", self.seed, low=0, high=MAX_SEED, integer=True)
        if self.beam_size * self.branch_factor > MAX_BEAM_ENTRIES:
            raise GenerationError(
                f"beam_size * branch_factor = {self.beam_size * self.branch_factor} sequences "
                f"at once; the limit is {MAX_BEAM_ENTRIES}")

    def rng(self) -> np.random.Generator:
        """The random generator of this run."""
        return np.random.default_rng(self.seed)


SECTION_KEYWORDS = tuple(field.name for field in fields(Section))
SEARCH_KEYWORDS = tuple(field.name for field in fields(Search))


def split_options(options: dict[str, Any], family_keywords: tuple[str, ...], model: str
                  ) -> tuple[Section, Search, dict[str, Any]]:
    """``options`` as a Section, a Search and the family's own keywords; GenerationError
    for a keyword nobody takes, naming the closest ones."""
    refuse_unknown(options, (*SECTION_KEYWORDS, *SEARCH_KEYWORDS, *family_keywords),
                   f"{model}.generate takes no option")
    section = Section(**{k: options[k] for k in SECTION_KEYWORDS if k in options})
    search = Search(**{k: options[k] for k in SEARCH_KEYWORDS if k in options})
    return section, search, {k: options[k] for k in family_keywords if k in options}
