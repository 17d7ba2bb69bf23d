"""Performance RNN configs, encoders and control signals, as Magenta's ``performance_model``.

Each Magenta config is described by ``PerformanceSettings``: velocity bins, the encoding of
performance events, and the control signals (note density, pitch-class histogram) the RNN is
conditioned on, optionally with a "disable conditioning" flag. The encoders are note-seq's.

Control values are given per generation as Magenta takes them: one value, or a list of
values spread evenly over the performance (Magenta's ``_step_to_value``).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Sequence

import note_seq
from note_seq import performance_controls

from magwidgets.errors import GenerationError

STEPS_PER_SECOND = note_seq.DEFAULT_STEPS_PER_SECOND  # 100: a time step is 10 ms
VELOCITY_BINS = 32  # the "with dynamics" configs
MAX_NOTE_DURATION_SECONDS = 5.0  # Magenta ends notes the model leaves hanging after 5 s
DEFAULT_NOTE_DENSITY = performance_controls.DEFAULT_NOTE_DENSITY  # 15 notes per second
DENSITY_WINDOW_SECONDS = 3.0
DENSITY_BIN_RANGES = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)  # notes per second
PITCH_WINDOW_SECONDS = 5.0
PITCH_CLASSES = note_seq.NOTES_PER_OCTAVE  # 12
MAX_CONTROL_VALUES = 10_000  # values in one control list

DENSITY = performance_controls.NoteDensityPerformanceControlSignal.name  # notes_per_second
PITCH = performance_controls.PitchHistogramPerformanceControlSignal.name  # pitch_class_histogram
DISABLE = "disable_conditioning"


@dataclass(frozen=True)
class PerformanceSettings:
    """The non-network part of a Performance RNN config."""

    description: str
    num_velocity_bins: int = VELOCITY_BINS
    encoding: str = "one_hot"  # "one_hot", "index" (compact) or "modulo"
    controls: tuple[str, ...] = ()  # names of the control signals, in input order
    optional_conditioning: bool = False


SETTINGS: dict[str, PerformanceSettings] = {
    "performance": PerformanceSettings("Performance RNN", num_velocity_bins=0),
    "performance_with_dynamics": PerformanceSettings("Performance RNN with dynamics"),
    "performance_with_dynamics_compact": PerformanceSettings(
        "Performance RNN with dynamics (compact input)", encoding="index"),
    "performance_with_dynamics_and_modulo_encoding": PerformanceSettings(
        "Performance RNN with dynamics and modulo encoding", encoding="modulo"),
    "density_conditioned_performance_with_dynamics": PerformanceSettings(
        "Note-density-conditioned Performance RNN + dynamics", controls=(DENSITY,)),
    "pitch_conditioned_performance_with_dynamics": PerformanceSettings(
        "Pitch-histogram-conditioned Performance RNN", controls=(PITCH,)),
    "multiconditioned_performance_with_dynamics": PerformanceSettings(
        "Density- and pitch-conditioned Performance RNN", controls=(DENSITY, PITCH)),
    "optional_multiconditioned_performance_with_dynamics": PerformanceSettings(
        "Optionally multiconditioned Performance RNN", controls=(DENSITY, PITCH),
        optional_conditioning=True),
}


def _control_signal(name: str) -> Any:
    if name == DENSITY:
        return performance_controls.NoteDensityPerformanceControlSignal(
            window_size_seconds=DENSITY_WINDOW_SECONDS,
            density_bin_ranges=list(DENSITY_BIN_RANGES))
    return performance_controls.PitchHistogramPerformanceControlSignal(
        window_size_seconds=PITCH_WINDOW_SECONDS)


def performance_encoder(config_id: str) -> Any:
    """Magenta's encoder/decoder for ``config_id`` (conditional when it has controls)."""
    settings = SETTINGS[config_id]
    bins = settings.num_velocity_bins
    if settings.encoding == "modulo":
        encoder = note_seq.ModuloPerformanceEventSequenceEncoderDecoder(num_velocity_bins=bins)
    elif settings.encoding == "index":
        encoder = note_seq.OneHotIndexEventSequenceEncoderDecoder(
            note_seq.PerformanceOneHotEncoding(num_velocity_bins=bins))
    else:
        encoder = note_seq.OneHotEventSequenceEncoderDecoder(
            note_seq.PerformanceOneHotEncoding(num_velocity_bins=bins))
    if not settings.controls:
        return encoder
    control_encoder = note_seq.MultipleEventSequenceEncoder(
        [_control_signal(name).encoder for name in settings.controls])
    if settings.optional_conditioning:
        control_encoder = note_seq.OptionalEventSequenceEncoder(control_encoder)
    return note_seq.ConditionalEventSequenceEncoderDecoder(control_encoder, encoder)


# -- control values -----------------------------------------------------------------------
def _is_number(value: Any) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(float(value)))


def _values_list(name: str, value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        return [value]
    values = list(value)
    if not values:
        raise GenerationError(f"{name} must be a value or a non-empty list of values, got []")
    if len(values) > MAX_CONTROL_VALUES:
        raise GenerationError(
            f"{name} has {len(values)} values; the limit is {MAX_CONTROL_VALUES}")
    return values


def _density_values(value: Any) -> list[float]:
    values = _values_list(DENSITY, value)
    for density in values:
        if not _is_number(density) or density <= 0:
            raise GenerationError(
                f"{DENSITY} must be a positive number of notes per second (or a list of "
                f"them), got {density!r}")
    return [float(density) for density in values]


def _histogram(value: Any) -> list[float]:
    weights = list(value)
    if len(weights) != PITCH_CLASSES:
        raise GenerationError(
            f"{PITCH} must have {PITCH_CLASSES} weights (C, C#, ..., B), got {len(weights)}: "
            f"{weights!r}")
    if not all(_is_number(weight) for weight in weights):
        raise GenerationError(f"{PITCH} weights must be finite numbers, got {weights!r}")
    negative = [weight for weight in weights if weight < 0]
    if negative:
        raise GenerationError(
            f"{PITCH} weights must be >= 0, got negative weights {negative} in {weights!r}")
    return [float(weight) for weight in weights]


def _histogram_values(value: Any) -> list[list[float]]:
    if not hasattr(value, "__len__") or isinstance(value, (str, bytes)):
        raise GenerationError(
            f"{PITCH} must be a list of {PITCH_CLASSES} weights (or a list of such lists), "
            f"got {value!r}")
    items = list(value)
    if items and all(hasattr(item, "__len__") for item in items):
        return [_histogram(item) for item in _values_list(PITCH, items)]
    return [_histogram(items)]


def _disable_values(value: Any) -> list[bool]:
    values = _values_list(DISABLE, value)
    for flag in values:
        if not isinstance(flag, bool):
            raise GenerationError(
                f"{DISABLE} must be True or False (or a list of them), got {flag!r}")
    return values


def control_values(config_id: str, notes_per_second: Any, pitch_class_histogram: Any,
                   disable_conditioning: Any) -> tuple[list[list[Any]], list[bool] | None]:
    """Checked control values: one list per control signal of the config (defaults where
    not given, as Magenta), and the disable-conditioning flags (None unless optional)."""
    settings = SETTINGS[config_id]
    given = {DENSITY: notes_per_second, PITCH: pitch_class_histogram, DISABLE: disable_conditioning}
    accepted = set(settings.controls) | ({DISABLE} if settings.optional_conditioning else set())
    refused = [name for name, value in given.items() if value is not None and name not in accepted]
    if refused:
        takes = ", ".join(sorted(accepted)) if accepted else "no conditioning arguments"
        raise GenerationError(
            f"config '{config_id}' is not conditioned on {', '.join(refused)}; it takes "
            f"{takes}")
    values = []
    for name in settings.controls:
        if name == DENSITY:
            values.append(_density_values(
                DEFAULT_NOTE_DENSITY if notes_per_second is None else notes_per_second))
        else:
            values.append(_histogram_values(
                performance_controls.DEFAULT_PITCH_HISTOGRAM if pitch_class_histogram is None
                else pitch_class_histogram))
    disable = None
    if settings.optional_conditioning:
        disable = _disable_values(False if disable_conditioning is None else disable_conditioning)
    return values, disable


def step_to_value(step: int, num_steps: int, values: Sequence[Any]) -> Any:
    """Magenta's ``_step_to_value``: the value for time step ``step`` of ``num_steps``."""
    index = min(step * len(values) // num_steps, len(values) - 1)
    return values[index]


class ControlExtender:
    """Magenta's ``_extend_control_events``: one control event per performance event, each
    the control values at the time step reached after the events before it.

    The state is (events read so far, time step reached)."""

    def __init__(self, values: list[list[Any]], disable: list[bool] | None,
                 num_steps: int) -> None:
        self._values = values
        self._disable = disable
        self._num_steps = num_steps

    def event(self, step: int) -> Any:
        controls = tuple(step_to_value(step, self._num_steps, v) for v in self._values)
        if self._disable is None:
            return controls
        return (step_to_value(step, self._num_steps, self._disable), controls)

    def __call__(self, control_events: list[Any], performance: Any,
                 state: tuple[int, int]) -> tuple[int, int]:
        index, step = state
        while index < len(performance):
            event = performance[index]
            if event.event_type == note_seq.PerformanceEvent.TIME_SHIFT:
                step += event.event_value
            index += 1
            control_events.append(self.event(step))
        return index, step
