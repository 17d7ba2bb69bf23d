"""MusicVAE and GrooVAE widgets: sample, interpolate (with a latent slider to scrub), encode
an upload's windows; Groove (humanize) and Drumify (taps to drums).

Interpolation encodes both ends once; moving ``position`` decodes the latent point there
with one fixed seed (so going back to a point plays the same music) and caches each point.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import note_seq
import numpy as np
from note_seq import sequences_lib
from note_seq.protobuf import music_pb2
from traitlets import Any as AnyTrait
from traitlets import Bool, Float, Int, observe, validate

from magwidgets import hub
from magwidgets.errors import BundleError, GenerationError, PrimerError
from magwidgets.families.music_vae import VAE_CONFIGS, MusicVAE, slerp
from magwidgets.families.music_vae.model import EncodedWindow
from magwidgets.loading import load_model
from magwidgets.widgets.base import ModelWidget
from magwidgets.widgets.controls import SeedControl, control
from magwidgets.widgets.model_picker import named_models
from magwidgets.widgets.primer_input import PrimerInput
from magwidgets.widgets.results import Result

MAX_SAMPLES = 8
MAX_WINDOWS_SHOWN = 4  # windows of an encoded upload shown (two rolls each)
MAX_INTERPOLATION_STEPS = 33  # points on the latent slider, ends included
VAE_TEMPERATURE_MAX = 3.0
GROOVE_CONFIGS = tuple(name for name, c in VAE_CONFIGS.items() if c.converter == "groove")
MUSIC_VAE_CONFIGS = tuple(name for name in VAE_CONFIGS if name not in GROOVE_CONFIGS)
HUMANIZE_CONFIG, DRUMIFY_CONFIG = "groovae_2bar_humanize", "groovae_2bar_tap_fixed_velocity"
CHECKPOINT_SUFFIX = ".tar"


class _VAEWidget(ModelWidget):
    """What both VAE widgets share: temperature, a config for ``.tar`` checkpoints, qpm."""

    temperature = Float(0.5, min=0.1, max=VAE_TEMPERATURE_MAX,
                        help="Decoder sampling temperature: low is the most likely notes, "
                        "high is freer")
    qpm = Float(note_seq.DEFAULT_QUARTERS_PER_MINUTE, min=30.0, max=300.0,
                help="Tempo of the drum grid and typed notes used as input")

    def __init__(self, configs: tuple[str, ...], **kwargs: Any) -> None:
        self.checkpoint_config = widgets.Dropdown(options=configs, description="config",
                                                  layout={"width": "300px"},
                                                  tooltip="the config of a .tar checkpoint")
        super().__init__(accept=CHECKPOINT_SUFFIX, picker_extras=[self.checkpoint_config],
                         **kwargs)

    def _read_model(self, spec: str) -> Any:
        if spec.endswith(CHECKPOINT_SUFFIX):
            return load_model(spec, config=self.checkpoint_config.value)
        return load_model(spec)

    def _input(self, which: PrimerInput) -> music_pb2.NoteSequence:
        """The sequence chosen in ``which`` (the result on display serves "last result")."""
        sequence = which.sequence(self.qpm, self.results.shown_sequences())
        if sequence is None:
            raise PrimerError(f"choose an input for {which.picker.description}")
        return sequence

    def _use_initial_model(self, model: Any, config: str | None = None) -> None:
        """As ModelWidget's; ``config`` names the config of a ``.tar`` path."""
        if config is not None:
            self.checkpoint_config.value = config
        super()._use_initial_model(model)


class MusicVAEWidget(_VAEWidget):
    """MusicVAE (melody, drums, trio configs): Sample, Interpolate between inputs ``a`` and
    ``b`` with the ``position`` slider, and Encode an upload into its windows."""

    model_kind = "MusicVAE models (melody, drums or trio configs; GrooVAE has its own widget)"

    count = Int(2, min=1, max=MAX_SAMPLES, help="How many sequences Sample makes")
    same_z = Bool(False, help="Decode one latent point for every sample (only the decoder's "
                  "sampling differs)")
    interpolation_steps = Int(9, min=2, max=MAX_INTERPOLATION_STEPS,
                              help="Points on the interpolation slider, both ends included")
    position = Float(0.0, min=0.0, max=1.0, help="Where on the way from A (0) to B (1) to "
                     "decode; moving it plays the point there")

    def __init__(self, model: MusicVAE | str | None = None, *, config: str | None = None,
                 view_options: dict[str, Any] | None = None, **traits: Any) -> None:
        super().__init__(MUSIC_VAE_CONFIGS, view_options=view_options)
        self.a = PrimerInput(("midi", "last", "notes", "grid"), label="A")
        self.b = PrimerInput(("midi", "last", "notes", "grid"), label="B")
        self.b.which = 2
        self.source = PrimerInput(("midi", "last"), label="Encode")
        self.sample_button = self.action_button("Sample", self.sample, icon="random")
        self.interpolate_button = self.action_button("Interpolate", self.interpolate,
                                                      icon="exchange")
        self.encode_button = self.action_button("Encode windows", self.encode, icon="th")
        self.position_slider = widgets.FloatSlider(
            min=0.0, max=1.0, step=1.0 / (self.interpolation_steps - 1), readout_format=".2f",
            description="A → B", continuous_update=True, disabled=True,
            layout={"width": "600px"})
        widgets.link((self, "position"), (self.position_slider, "value"))
        self._ends: np.ndarray | None = None  # mu of A and B, [2, z_size]
        self._points: dict[float, music_pb2.NoteSequence] = {}
        self._point_seed = 0
        common = [control(self, "temperature", "temperature", step=0.05), SeedControl(self)]
        self.tabs = widgets.Tab(children=[
            widgets.VBox([widgets.HBox([control(self, "count", "samples"),
                                        control(self, "same_z", "same z")]),
                          self.sample_button]),
            widgets.VBox([self.a, self.b, control(self, "interpolation_steps", "points"),
                          self.interpolate_button, self.position_slider]),
            widgets.VBox([self.source, self.encode_button])],
            titles=("Sample", "Interpolate", "Encode"))
        self.children = (self.picker, widgets.HBox(common), self.tabs, self.results)
        self._use_initial_model(model, config)
        self.apply_settings(traits)

    def accepts(self, model: Any) -> bool:
        return isinstance(model, MusicVAE) and model.config.id in MUSIC_VAE_CONFIGS

    def named_models(self) -> list[tuple[str, str]]:
        return named_models(MUSIC_VAE_CONFIGS,
                            hub.choices("music_vae", configs=MUSIC_VAE_CONFIGS))

    @observe("interpolation_steps")
    def _snap_slider(self, change: dict[str, Any]) -> None:
        self.position_slider.step = 1.0 / (change["new"] - 1)

    @validate("position")
    def _snap_position(self, proposal: dict[str, Any]) -> float:
        points = self.interpolation_steps - 1
        return round(float(proposal["value"]) * points) / points

    @observe("model", "temperature")
    def _forget_interpolation(self, change: dict[str, Any]) -> None:
        self._ends = None
        self._points = {}
        self.position_slider.disabled = True

    def sample(self) -> list[music_pb2.NoteSequence]:
        """``count`` sequences decoded from random latent points; shown and returned."""
        model = self.require_model()
        seed = self.seeds(1)[0]
        with self.results.busy(1, "Sampling"):
            made = model.sample(self.count, temperature=self.temperature, same_z=self.same_z,
                                seed=seed)
        same = ", same z" if self.same_z else ""
        self.results.add(Result(
            title=f"{model.config.id}: {self.count} samples, temperature "
                  f"{self.temperature:g}{same}, seed {seed}",
            items=tuple(made),
            captions=tuple(f"sample {k + 1} · seed {seed}" for k in range(len(made))),
            name=f"{model.config.id}-sample"))
        self.results.show_info(f"{len(made)} samples from {model.config.id}")
        return made

    def interpolate(self) -> music_pb2.NoteSequence:
        """Encode inputs A and B, then decode the point at ``position``; returns it.

        Moving ``position`` afterwards decodes (and caches) the point there."""
        model = self.require_model()
        a, b = self._input(self.a), self._input(self.b)
        with self.results.busy(1, "Encoding"):
            _, mu, _ = model.encode([a, b])
        self._ends = mu.astype(np.float64)
        self._points = {}
        self._point_seed = self.seeds(1)[0]
        self.position_slider.disabled = False
        sequence = self._point(self.position)
        self.results.add(self._point_result(sequence, "interpolation"))
        self.results.show_info("move the A → B slider to hear the points between")
        return sequence

    def _point(self, position: float) -> music_pb2.NoteSequence:
        """The decoded point at ``position`` (cached); needs ``interpolate()`` first."""
        if self._ends is None:
            raise GenerationError("press Interpolate first: it encodes A and B")
        if position not in self._points:
            z = slerp(self._ends[0], self._ends[1], position)
            self._points[position] = self.require_model().decode(
                z, temperature=self.temperature, seed=self._point_seed)[0]
        return self._points[position]

    def _point_result(self, sequence: music_pb2.NoteSequence, title: str) -> Result:
        name = self.require_model().config.id
        return Result(title=f"{name}: {title} A → B at {self.position:.2f}",
                      items=(sequence,),
                      captions=(f"{self.position:.2f} of the way from A to B · seed "
                                f"{self._point_seed}",),
                      name=f"{name}-at-{self.position:.2f}")

    @observe("position")
    def _scrub(self, change: dict[str, Any]) -> None:
        if self._ends is not None:
            self.results.show(self._point_result(self._point(change["new"]), "point"))

    def encode(self) -> list[music_pb2.NoteSequence]:
        """Encode every window of the input and show (up to ``MAX_WINDOWS_SHOWN``) each
        one's notes beside the model's idea of it: decoded from its mean. Returns those
        decodings."""
        model = self.require_model()
        sequence = self._input(self.source)
        seed = self.seeds(1)[0]
        with self.results.busy(1, "Encoding"):
            every = model.encode_windows(sequence)
            windows = every[:MAX_WINDOWS_SHOWN]
            decoded = model.decode(np.stack([w.mu for w in windows]),
                                   temperature=self.temperature, seed=seed)
        pairs = [(window_notes(sequence, w), heard) for w, heard in zip(windows, decoded)]
        span = [f"window {k + 1} ({w.start_time:.2f}–{w.end_time:.2f} s)"
                for k, w in enumerate(windows)]
        self.results.add(Result(
            title=f"{model.config.id}: {len(every)} windows of "
                  f"{sequence.filename or 'the input'}",
            items=tuple(part for pair in pairs for part in pair),
            captions=tuple(caption for k, w in enumerate(windows) for caption in (
                f"{span[k]}: the input", f"{span[k]}: decoded from its mean "
                f"(|z| = {np.linalg.norm(w.mu):.2f}, seed {seed})")),
            name=f"{model.config.id}-window"))
        shown = f"; showing the first {len(windows)}" if len(every) > len(windows) else ""
        self.results.show_info(f"{len(every)} windows of {model.config.slice_bars} bars{shown}")
        return decoded


def window_notes(sequence: music_pb2.NoteSequence,
                 window: EncodedWindow) -> music_pb2.NoteSequence:
    """The notes ``window`` was read from (its span and instruments), moved to start at 0."""
    part = sequences_lib.extract_subsequence(sequence, window.start_time, window.end_time)
    kept = [note for note in part.notes if note.instrument in window.instruments]
    del part.notes[:]
    part.notes.extend(kept)
    return part


class GrooVAEWidget(_VAEWidget):
    """GrooVAE: Groove (humanize a quantized beat: timing and velocity) with ``model``, and
    Drumify (turn taps, or any rhythm, into a drum beat) with ``drumify_model``.

    ``load`` puts a humanize checkpoint in ``model`` and a tap checkpoint in
    ``drumify_model`` (for a ``.tar``, the picker's config says which it is)."""

    model_kind = "GrooVAE humanize models (groovae_2bar_humanize) as model"

    drumify_model = AnyTrait(None, help="The GrooVAE tap model Drumify runs")

    def __init__(self, model: MusicVAE | str | None = None,
                 drumify_model: MusicVAE | str | None = None, *,
                 view_options: dict[str, Any] | None = None, **traits: Any) -> None:
        super().__init__((HUMANIZE_CONFIG, DRUMIFY_CONFIG), view_options=view_options)
        self.input = PrimerInput(("grid", "midi", "notes", "last"), label="Input")
        self.groove_button = self.action_button("Groove", self.groove, icon="music")
        self.drumify_button = self.action_button("Drumify", self.drumify, icon="hand-paper-o")
        self.children = (self.picker, self.input,
                         widgets.HBox([control(self, "temperature", "temperature", step=0.05),
                                       control(self, "qpm", "tempo (qpm)", step=1.0),
                                       SeedControl(self)]),
                         widgets.HBox([self.groove_button, self.drumify_button]), self.results)
        self._use_initial_model(model, HUMANIZE_CONFIG)
        self._use_initial_model(drumify_model, DRUMIFY_CONFIG)
        self.apply_settings(traits)

    def accepts(self, model: Any) -> bool:
        return isinstance(model, MusicVAE) and model.config.id == HUMANIZE_CONFIG

    def named_models(self) -> list[tuple[str, str]]:
        configs = (HUMANIZE_CONFIG, DRUMIFY_CONFIG)
        return named_models(configs, hub.choices("music_vae", configs=configs))

    @validate("drumify_model")
    def _check_drumify_model(self, proposal: dict[str, Any]) -> Any:
        model = proposal["value"]
        if model is not None and not (isinstance(model, MusicVAE)
                                      and model.config.id == DRUMIFY_CONFIG):
            raise BundleError(f"Drumify needs a GrooVAE tap model ({DRUMIFY_CONFIG}); "
                              f"this is {model!r}")
        return model

    def use(self, model: Any) -> None:
        if isinstance(model, MusicVAE) and model.config.id == DRUMIFY_CONFIG:
            self.drumify_model = model
        else:
            self.model = model

    def _run(self, what: str, model: MusicVAE) -> music_pb2.NoteSequence:
        drums = self._input(self.input)
        seed = self.seeds(1)[0]
        with self.results.busy(1, what.capitalize()):
            run = model.drumify if what == "drumify" else model.humanize
            made = run(drums, temperature=self.temperature, seed=seed)
        source = drums.filename or self.input.source
        self.results.add(Result(
            title=f"{what} of {source}, temperature {self.temperature:g}, seed {seed}",
            items=(made,), captions=(f"{what} · {len(made.notes)} notes · seed {seed}",),
            name=what))
        self.results.show_info(f"{what}: {len(made.notes)} notes from {model.config.id}")
        return made

    def groove(self) -> music_pb2.NoteSequence:
        """Humanize the input beat (the model adds timing and dynamics); shown and returned."""
        return self._run("groove", self.require_model())

    def drumify(self) -> music_pb2.NoteSequence:
        """Turn the input's rhythm into a drum beat; shown and returned."""
        if self.drumify_model is None:
            raise BundleError(f"no Drumify model loaded: load a {DRUMIFY_CONFIG} checkpoint "
                              "(choose that config for a .tar)")
        return self._run("drumify", self.drumify_model)
