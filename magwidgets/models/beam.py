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

from magwidgets.models.lstm import State, take_state


@dataclass
class Beam:
    """Entries being extended together: one event sequence, input and state row each."""

    events: list[Any]
    inputs: np.ndarray  # [entries, time, input] fed at the next step
    state: State
    scores: np.ndarray  # [entries]: total log-likelihood so far

    def take(self, indices: list[int] | np.ndarray) -> "Beam":
        """Entries at ``indices``; an entry picked twice gets its own copy of its events."""
        seen: set[int] = set()
        events = []
        for index in indices:
            index = int(index)
            events.append(copy.deepcopy(self.events[index]) if index in seen else self.events[index])
            seen.add(index)
        indices = np.asarray(indices, dtype=np.intp)
        return Beam(events, self.inputs[indices], take_state(self.state, indices),
                    self.scores[indices])


StepFn = Callable[[Beam], Beam]


def _branch(beam: Beam, step: StepFn, branch_factor: int, num_steps: int) -> Beam:
    if branch_factor > 1:
        beam = beam.take(np.tile(np.arange(len(beam.events)), branch_factor))
    for _ in range(num_steps):
        beam = step(beam)
    return beam


def _prune(beam: Beam, keep: int) -> Beam:
    order = sorted(range(len(beam.events)), key=lambda i: beam.scores[i], reverse=True)
    return beam.take(order[:keep])


def beam_search(initial: Beam, step: StepFn, num_steps: int, beam_size: int,
                branch_factor: int, steps_per_iteration: int) -> Beam:
    """Extend the single-entry ``initial`` beam by ``num_steps``; return the best entry."""
    beam = initial.take([0] * beam_size)
    first_iteration_steps = (num_steps - 1) % steps_per_iteration + 1
    beam = _branch(beam, step, branch_factor, first_iteration_steps)
    for _ in range((num_steps - first_iteration_steps) // steps_per_iteration):
        beam = _prune(beam, beam_size)
        beam = _branch(beam, step, branch_factor, steps_per_iteration)
    return _prune(beam, 1)
