"""Beam search over event sequences, with the semantics of Magenta's ``beam_search``.

The beam starts as ``beam_size`` copies of the primer. The first iteration takes
``(num_steps - 1) % steps_per_iteration + 1`` steps, later ones ``steps_per_iteration``;
before each later iteration the beam is pruned to the ``beam_size`` entries of highest
total log-likelihood (ties keep their order), and every kept entry is branched
``branch_factor`` times, each branch sampled independently.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from magwidgets.engine.lstm import State, take_state
from magwidgets.families.event_rnn.options import Search


def copy_track(track: Any) -> Any:
    """A copy of a note-seq event sequence that can be extended on its own.

    Its events (ints, frozensets, event tuples) are immutable, so a new event list is a
    complete copy -- much cheaper than ``copy.deepcopy`` of every event.
    """
    if not hasattr(track, "_events"):
        return copy.deepcopy(track)
    clone = copy.copy(track)
    clone._events = list(track._events)
    return clone


@dataclass
class Controls:
    """An entry's control (conditioning) events and their callback state, e.g. chords."""

    events: list[Any]
    state: Any = None

    def copy(self) -> "Controls":
        return Controls(list(self.events), copy.deepcopy(self.state))


@dataclass
class Beam:
    """Entries being extended together: one event sequence, input and state row each."""

    events: list[Any]
    inputs: np.ndarray  # [entries, time, input] fed at the next step
    state: State
    scores: np.ndarray  # [entries]: total log-likelihood so far
    # Entry i has the same inputs and state as entry same_as[i] (set right after
    # branching), so the network need run only once for each of them.
    same_as: np.ndarray | None = None
    controls: list[Controls] | None = None  # for conditional models, one per entry

    def take(self, indices: list[int] | np.ndarray) -> "Beam":
        """Entries at ``indices``; an entry picked twice gets its own copy of its events."""
        first_position: dict[int, int] = {}
        events, same_as, controls = [], [], []
        for position, index in enumerate(int(i) for i in indices):
            repeated = index in first_position
            events.append(copy_track(self.events[index]) if repeated else self.events[index])
            if self.controls is not None:
                entry = self.controls[index]
                controls.append(entry.copy() if repeated else entry)
            same_as.append(first_position.setdefault(index, position))
        repeats = len(first_position) < len(same_as)
        indices = np.asarray(indices, dtype=np.intp)
        return Beam(events, self.inputs[indices], take_state(self.state, indices),
                    self.scores[indices], np.asarray(same_as, dtype=np.intp) if repeats else None,
                    controls if self.controls is not None else None)


StepFn = Callable[[Beam], Beam]


def _branch(beam: Beam, step: StepFn, branch_factor: int, num_steps: int) -> Beam:
    if branch_factor > 1:
        beam = beam.take(np.tile(np.arange(len(beam.events)), branch_factor))
    for _ in range(num_steps):
        beam = step(beam)
    return beam


def _prune(beam: Beam, keep: int) -> Beam:
    order = sorted(range(len(beam.events)), key=lambda i: beam.scores[i], reverse=True)
    kept = order[:keep]
    return beam if kept == list(range(len(beam.events))) else beam.take(kept)


def beam_search(initial: Beam, step: StepFn, num_steps: int, search: Search) -> Beam:
    """Extend the single-entry ``initial`` beam by ``num_steps`` with ``search``'s beam size,
    branch factor and steps per iteration; return the best entry."""
    beam_size, branch_factor = search.beam_size, search.branch_factor
    steps_per_iteration = search.steps_per_iteration
    beam = initial.take([0] * beam_size)
    first_iteration_steps = (num_steps - 1) % steps_per_iteration + 1
    beam = _branch(beam, step, branch_factor, first_iteration_steps)
    for _ in range((num_steps - first_iteration_steps) // steps_per_iteration):
        beam = _prune(beam, beam_size)
        beam = _branch(beam, step, branch_factor, steps_per_iteration)
    return _prune(beam, 1)
