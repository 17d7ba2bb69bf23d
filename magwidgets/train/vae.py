"""The Keras MusicVAE of the one-level configs (2-bar melody and drums, GrooVAE), as
Magenta's ``music_vae`` trains it, and training it on prepared windows.

The network is the one the NumPy engine runs (``magwidgets.families.music_vae``): a
bidirectional LSTM encoder whose last forward and backward outputs give ``mu`` and
``sigma = softplus(.)``; ``z = mu + sigma * eps`` while training (``mu`` otherwise); a
stacked-LSTM decoder whose state starts at ``tanh(dense(z))`` (``z_to_initial_state``, split
into each layer's c and h) and whose input each step is the previous target (zeros first:
teacher forcing) concatenated with z; a linear ``output_projection``. The loss is Magenta's:
categorical cross-entropy (or GrooVAE's hit sigmoid cross-entropy + velocity and offset
squared errors, over every step and drum) summed over steps, plus ``beta * max(KL -
free_bits * ln 2, 0)``, ``beta = max_beta * (1 - beta_rate ** step)``. Here both terms are
divided by the window length, so the loss reads in nats per step. Dropout is Magenta's
``DropoutWrapper(input_keep_prob)`` on every LSTM's input.

Layers are Keras ``LSTM``s (TF1 ``LSTMBlockCell`` arithmetic once their gates are reordered;
``vae_export`` does that). Two deliberate differences from Magenta, both inert at the
training lengths used here: teacher forcing throughout (Magenta's ``inverse_sigmoid``
scheduled sampling with rate 1000 samples with probability under 1% for the first 2,000
steps), and a constant learning rate (Magenta's ``0.9999 ** step`` decay lowers it by under
20% in 2,000 steps).

Entry points: ``train_vae(config_id, source, run_dir, ...)`` prepares the data and trains (or
resumes); ``train_vae_on(data, run_dir, spec, settings)`` trains on ``PreparedData``
already made. Both return the run record (``run.json``), whose ``"network"`` is the
``VaeSpec``; ``vae_export`` turns the run into Magenta's ``.tar`` or a Magenta.js folder.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Iterator, Sequence

import keras
import numpy as np
from keras import ops

from magwidgets.errors import MagwidgetsError
from magwidgets.families.music_vae.configs import VAE_CONFIGS
from magwidgets.train.data import Example, PreparedData, prepare
from magwidgets.train.loop import FitSettings, fit, plain

LN2 = math.log(2.0)
TRANSPOSE_RANGE = 5  # cat-mel configs: Magenta's NoteSequenceAugmenter(transpose_range=(-5, 5))
MELODY_FIRST_PITCH_CLASS = 2  # melody one-hot: 0 no event, 1 note off, then pitches
EVAL_BATCH = 256


@dataclass(frozen=True)
class VaeHparams:
    """The hparams of a Magenta MusicVAE config that training uses (``configs.py``)."""

    enc_rnn_size: tuple[int, ...]
    dec_rnn_size: tuple[int, ...]
    z_size: int
    free_bits: float
    max_beta: float
    beta_rate: float = 0.0
    dropout_keep_prob: float = 1.0
    batch_size: int = 512
    grad_clip: float = 1.0


_MEL_SMALL = VaeHparams((512,), (256, 256), 256, free_bits=0, max_beta=0.2, beta_rate=0.99999)
_DRUMS_SMALL = VaeHparams((512,), (256, 256), 256, free_bits=48, max_beta=0.2)
_BIG = dict(enc_rnn_size=(2048,), dec_rnn_size=(2048, 2048, 2048), z_size=512)
_GROOVE = VaeHparams((512,), (256, 256), 256, free_bits=48, max_beta=0.2,
                     dropout_keep_prob=0.3)
MAGENTA_HPARAMS: dict[str, VaeHparams] = {
    "cat-mel_2bar_small": _MEL_SMALL,
    "cat-mel_2bar_big": replace(_MEL_SMALL, max_beta=0.5, **_BIG),
    "cat-drums_2bar_small": _DRUMS_SMALL,
    "cat-drums_2bar_big": replace(_DRUMS_SMALL, **_BIG),
    "groovae_2bar_humanize": _GROOVE,
    "groovae_2bar_tap_fixed_velocity": _GROOVE,
    "groovae_2bar_add_closed_hh": _GROOVE,
    "groovae_4bar": _GROOVE,
}
"""Magenta's hparams of every config this trainer builds (the one-level, non-NADE ones)."""


@dataclass(frozen=True)
class VaeSpec:
    """Everything that fixes one trainable MusicVAE: shapes, loss and regularisation."""

    config_id: str
    enc_rnn_size: tuple[int, ...]
    dec_rnn_size: tuple[int, ...]
    z_size: int
    input_depth: int  # encoder input width
    output_depth: int  # decoder classes (categorical) or GrooVAE's 27 values
    steps: int  # window length (Magenta's max_seq_len)
    groove: bool  # GrooVAE loss and outputs, else categorical
    free_bits: float
    max_beta: float
    beta_rate: float
    dropout_keep_prob: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "VaeSpec":
        """The spec stored in a run record (lists back to tuples)."""
        return cls(**{**values, "enc_rnn_size": tuple(values["enc_rnn_size"]),
                      "dec_rnn_size": tuple(values["dec_rnn_size"])})


def vae_spec(config_id: str, *, enc_rnn_size: Sequence[int] | None = None,
             dec_rnn_size: Sequence[int] | None = None, z_size: int | None = None,
             free_bits: float | None = None, beta_rate: float | None = None,
             dropout_keep_prob: float | None = None) -> VaeSpec:
    """The spec of ``config_id`` with Magenta's hparams wherever an argument is None."""
    if config_id not in MAGENTA_HPARAMS:
        raise MagwidgetsError(f"config {config_id!r} cannot be trained here; trainable "
                              f"MusicVAE configs: {', '.join(sorted(MAGENTA_HPARAMS))}")
    from magwidgets.families.music_vae.assemble import make_converter

    config, hparams = VAE_CONFIGS[config_id], MAGENTA_HPARAMS[config_id]
    converter = make_converter(config)
    sizes = {"encoder": tuple(enc_rnn_size or hparams.enc_rnn_size),
             "decoder": tuple(dec_rnn_size or hparams.dec_rnn_size),
             "z": (z_size or hparams.z_size,)}
    for what, values in sizes.items():
        if not values or min(values) < 1:
            raise MagwidgetsError(f"{what} sizes must be positive integers, got {list(values)}")
    keep = hparams.dropout_keep_prob if dropout_keep_prob is None else dropout_keep_prob
    if not 0.0 < keep <= 1.0:
        raise MagwidgetsError(f"dropout_keep_prob must be in (0, 1], got {keep!r}")
    return VaeSpec(config_id, sizes["encoder"], sizes["decoder"], sizes["z"][0],
                   converter.input_depth, converter.output_depth, config.max_seq_len,
                   config.decoder == "groove",
                   float(hparams.free_bits if free_bits is None else free_bits),
                   float(hparams.max_beta),
                   float(hparams.beta_rate if beta_rate is None else beta_rate), keep)


# -- the network ---------------------------------------------------------------------------

@keras.saving.register_keras_serializable(package="magwidgets")
class LatentSample(keras.layers.Layer):
    """``z`` from (mu, sigma): a reparameterized draw while training, which also adds
    Magenta's KL cost (free bits, annealed beta, per window step) to the model's losses;
    ``mu`` otherwise. Counts the training steps for the beta schedule."""

    def __init__(self, free_bits: float, max_beta: float, beta_rate: float, steps: int,
                 seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.free_bits, self.max_beta = float(free_bits), float(max_beta)
        self.beta_rate, self.steps, self.seed = float(beta_rate), int(steps), int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def build(self, input_shape) -> None:
        self.step = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                    name="step")

    def call(self, inputs, training: bool = False):
        mu, sigma = inputs
        if not training:
            return mu
        beta = self.max_beta * (1.0 - ops.power(self.beta_rate, self.step))
        self.step.assign_add(1.0)
        cost = ops.maximum(kl_divergence(mu, sigma) - self.free_bits * LN2, 0.0)
        self.add_loss(beta * ops.mean(cost) / self.steps)
        return mu + sigma * keras.random.normal(ops.shape(mu), seed=self.seed_generator)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "free_bits": self.free_bits,
                "max_beta": self.max_beta, "beta_rate": self.beta_rate,
                "steps": self.steps, "seed": self.seed}


def kl_divergence(mu, sigma):
    """KL(N(mu, diag sigma^2) || N(0, I)) in nats, per row."""
    return 0.5 * ops.sum(mu**2 + sigma**2 - 1.0 - 2.0 * ops.log(sigma), axis=-1)


def _small_normal() -> keras.initializers.Initializer:
    """Magenta's initializer for mu, sigma and z_to_initial_state kernels."""
    return keras.initializers.RandomNormal(stddev=0.001)


def _lstm(size: int, name: str, **options) -> keras.layers.LSTM:
    return keras.layers.LSTM(size, return_sequences=True, unit_forget_bias=True, name=name,
                             **options)


def _dropped(x, spec: VaeSpec, name: str):
    """Magenta's ``DropoutWrapper(input_keep_prob)`` on an LSTM's input, while training."""
    if spec.dropout_keep_prob >= 1.0:
        return x
    return keras.layers.Dropout(1.0 - spec.dropout_keep_prob, name=f"{name}_dropout")(x)


def encoder_layer_names(index: int) -> tuple[str, str]:
    """The Keras names of encoder layer ``index``'s forward and backward LSTMs."""
    return f"encoder_fw_{index}", f"encoder_bw_{index}"


def decoder_layer_name(index: int) -> str:
    return f"decoder_{index}"


def build_model(spec: VaeSpec, seed: int = 0) -> keras.Model:
    """The network of ``spec``: (encoder inputs [batch, steps, input_depth], decoder inputs
    [batch, steps, output_depth] = the targets one step late) -> logits [batch, steps,
    output_depth]. Windows are whole (no padding), as every MusicVAE example is."""
    encoder_inputs = keras.Input((spec.steps, spec.input_depth), name="encoder_inputs")
    decoder_inputs = keras.Input((spec.steps, spec.output_depth), name="decoder_inputs")
    x = encoder_inputs
    for index, size in enumerate(spec.enc_rnn_size):
        fw_name, bw_name = encoder_layer_names(index)
        forward, last_forward, _ = _lstm(size, fw_name, return_state=True)(
            _dropped(x, spec, fw_name))
        backward, last_backward, _ = _lstm(size, bw_name, return_state=True,
                                           go_backwards=True)(_dropped(x, spec, bw_name))
        x = ops.concatenate([forward, ops.flip(backward, axis=1)], axis=-1)
    encoded = ops.concatenate([last_forward, last_backward], axis=-1)
    mu = keras.layers.Dense(spec.z_size, kernel_initializer=_small_normal(), name="mu")(encoded)
    sigma = keras.layers.Dense(spec.z_size, activation="softplus",
                               kernel_initializer=_small_normal(), name="sigma")(encoded)
    z = LatentSample(spec.free_bits, spec.max_beta, spec.beta_rate, spec.steps, seed,
                     name="latent")([mu, sigma])
    state = keras.layers.Dense(2 * sum(spec.dec_rnn_size), activation="tanh",
                               kernel_initializer=_small_normal(),
                               name="z_to_initial_state")(z)
    # TF1's MultiRNNCell state flattens as (c, h) per layer; Keras' LSTM takes [h, c]
    ends = np.cumsum([size for size in spec.dec_rnn_size for _ in "ch"])[:-1]
    states = ops.split(state, [int(end) for end in ends], axis=-1)
    x = ops.concatenate([decoder_inputs, keras.layers.RepeatVector(spec.steps)(z)], axis=-1)
    for index, size in enumerate(spec.dec_rnn_size):
        name = decoder_layer_name(index)
        x = _lstm(size, name)(_dropped(x, spec, name),
                              initial_state=[states[2 * index + 1], states[2 * index]])
    logits = keras.layers.Dense(spec.output_depth, name="output_projection")(x)
    return keras.Model([encoder_inputs, decoder_inputs], logits, name=spec.config_id)


def latent_model(model: keras.Model) -> keras.Model:
    """The encoder half of a trained network: encoder inputs -> (mu, sigma)."""
    return keras.Model(model.inputs[0], [model.get_layer("mu").output,
                                         model.get_layer("sigma").output])


# -- losses --------------------------------------------------------------------------------

@keras.saving.register_keras_serializable(package="magwidgets")
class GrooveLoss(keras.losses.Loss):
    """GrooVAE's per-step loss: sigmoid cross-entropy of the 9 hits, squared error of
    sigmoid(velocity) and tanh(offset), summed over the drums (Magenta sums them over every
    drum, hit or not: silent drums learn velocity 0 and offset 0)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("reduction", "mean_with_sample_weight")
        super().__init__(**kwargs)

    def call(self, y_true, y_pred):
        return ops.sum(ops.concatenate(groove_losses(y_true, y_pred), axis=-1), axis=-1)


def groove_losses(targets, logits) -> tuple:
    """(hit cross-entropies, velocity squared errors, offset squared errors), each
    [..., drums], for GrooVAE targets and raw outputs."""
    hits, velocities, offsets = ops.split(targets, 3, axis=-1)
    hit_logits, velocity_logits, offset_logits = ops.split(logits, 3, axis=-1)
    cross_entropy = (ops.maximum(hit_logits, 0.0) - hit_logits * hits
                     + ops.log1p(ops.exp(-ops.abs(hit_logits))))
    return (cross_entropy, (ops.sigmoid(velocity_logits) - velocities) ** 2,
            (ops.tanh(offset_logits) - offsets) ** 2)


def reconstruction_loss(spec: VaeSpec) -> keras.losses.Loss:
    """The decoder's per-step loss, averaged over the batch's steps."""
    if spec.groove:
        return GrooveLoss()
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                      reduction="mean_with_sample_weight")


# -- batches -------------------------------------------------------------------------------

Batch = tuple[tuple[np.ndarray, np.ndarray], np.ndarray, np.ndarray]


class WindowBatches:
    """MusicVAE windows in batches of (encoder inputs, decoder inputs), targets, weights;
    for cat-mel configs the training batches are transposed by -5..+5 semitones at random,
    as Magenta's augmenter does (a shift that would leave the 88-key range is not made)."""

    def __init__(self, examples: Sequence[Example], spec: VaeSpec, batch_size: int,
                 transpose: bool = False) -> None:
        if not examples:
            raise MagwidgetsError("no MusicVAE windows to batch")
        wrong = [len(e.targets) for e in examples if len(e.targets) != spec.steps]
        if wrong:
            raise MagwidgetsError(f"{len(wrong)} windows are not {spec.steps} steps long "
                                  f"(e.g. {wrong[0]}); '{spec.config_id}' trains on whole "
                                  "windows")
        self.examples, self.spec, self.batch_size = list(examples), spec, batch_size
        self.transpose = transpose

    def __len__(self) -> int:
        """Batches in a training epoch."""
        return max(1, len(self.examples) // self.batch_size)

    def batches(self, rng: np.random.Generator | None = None) -> Iterator[Batch]:
        """Every window once, in order; or, given ``rng``, a training epoch: shuffled,
        augmented if set, whole batches only (a smaller last batch would make Keras trace
        its training step again), so each epoch leaves out a different remainder."""
        if rng is None:
            order, count = np.arange(len(self.examples)), math.ceil(
                len(self.examples) / self.batch_size)
        else:
            order, count = rng.permutation(len(self.examples)), len(self)
        for index in range(count):
            group = [self.examples[i]
                     for i in order[index * self.batch_size:(index + 1) * self.batch_size]]
            yield self._batch(group, rng if self.transpose else None)

    def _batch(self, group: list[Example], rng: np.random.Generator | None) -> Batch:
        targets = np.stack([np.asarray(e.targets) for e in group])
        if rng is not None:
            targets = _transposed(targets, rng, self.spec.output_depth)
            encoder_inputs = np.eye(self.spec.input_depth, dtype=np.float32)[targets]
        else:
            encoder_inputs = np.stack([np.asarray(e.inputs, np.float32) for e in group])
        previous = (targets.astype(np.float32) if self.spec.groove
                    else np.eye(self.spec.output_depth, dtype=np.float32)[targets])
        decoder_inputs = np.zeros_like(previous)
        decoder_inputs[:, 1:] = previous[:, :-1]
        weights = np.ones(targets.shape[:2], np.float32)
        return (encoder_inputs, decoder_inputs), targets, weights


def _transposed(targets: np.ndarray, rng: np.random.Generator, depth: int) -> np.ndarray:
    """Melody class indices [batch, steps], each row shifted by a random -5..+5 semitones
    (by 0 where the shift would leave the range)."""
    shifts = rng.integers(-TRANSPOSE_RANGE, TRANSPOSE_RANGE + 1, size=len(targets))
    pitched = targets >= MELODY_FIRST_PITCH_CLASS
    moved = targets + pitched * shifts[:, None]
    inside = np.all(~pitched | ((moved >= MELODY_FIRST_PITCH_CLASS) & (moved < depth)), axis=1)
    return np.where(inside[:, None], moved, targets)


# -- evaluation during training --------------------------------------------------------------

class WindowEvaluator:
    """Held-out metrics decoding from z = mu, for ``fit``'s ``evaluate``: ``loss``
    (reconstruction nats per step), ``accuracy`` (categorical: argmax class per step;
    GrooVAE: hit / no hit per step and drum), ``kl_bits`` (mean KL of the posterior), and
    for GrooVAE the velocity and offset squared errors. Runs a compiled prediction in
    batches of one shape (the last one padded), rebuilt only when the model changes."""

    def __init__(self, batches: WindowBatches) -> None:
        self.batches = batches
        self._model: keras.Model | None = None
        self._probe: keras.Model | None = None

    def __call__(self, model: keras.Model) -> dict[str, float]:
        if model is not self._model:
            self._model = model
            self._probe = keras.Model(model.inputs, [model.outputs[0],
                                                     *latent_model(model).outputs])
        spec, size = self.batches.spec, self.batches.batch_size
        totals: dict[str, float] = {}
        for (encoder_inputs, decoder_inputs), targets, _ in self.batches.batches():
            count = len(targets)
            padded = [np.concatenate([x, np.zeros((size - count, *x.shape[1:]), x.dtype)])
                      for x in (encoder_inputs, decoder_inputs)]
            logits, mu, sigma = (np.asarray(t, np.float64)[:count]
                                 for t in self._probe.predict_on_batch(padded))
            values = (_groove_metrics(logits, targets) if spec.groove
                      else _categorical_metrics(logits, targets))
            values["kl_bits"] = float(np.sum(np.asarray(kl_divergence(mu, sigma)))) / LN2
            for name, value in values.items():
                totals[name] = totals.get(name, 0.0) + value
        return {name: value / len(self.batches.examples) for name, value in totals.items()}


def _categorical_metrics(logits: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """Per-window sums of the mean step loss and accuracy."""
    logits = logits - logits.max(axis=-1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, targets[..., None].astype(np.intp), -1)[..., 0]
    return {"loss": float(-picked.mean(axis=1).sum()),
            "accuracy": float((logits.argmax(-1) == targets).mean(axis=1).sum())}


def _groove_metrics(logits: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """Per-window sums of the mean step loss, hit accuracy and squared errors."""
    targets = targets.astype(np.float64)
    hits, velocities, offsets = (np.asarray(part) for part in groove_losses(targets, logits))
    hit_logits = np.split(logits, 3, axis=-1)[0]
    truth = np.split(targets, 3, axis=-1)[0] > 0.5
    steps = hits.shape[1]
    return {"loss": float((hits + velocities + offsets).sum() / steps),
            "accuracy": float(((hit_logits > 0) == truth).mean(axis=(1, 2)).sum()),
            "velocity_mse": float(velocities.mean(axis=(1, 2)).sum()),
            "offset_mse": float(offsets.mean(axis=(1, 2)).sum())}


# -- training ------------------------------------------------------------------------------

def default_settings(config_id: str) -> FitSettings:
    """Training settings from Magenta's hparams (grad clip 1.0), at a batch size that gives
    many steps on a small data set."""
    return FitSettings(batch_size=64, learning_rate=1e-3,
                       clip_norm=MAGENTA_HPARAMS[config_id].grad_clip)


def train_vae_on(data: PreparedData, run_dir: str | Path, spec: VaeSpec,
                 settings: FitSettings, about: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    """Train (or resume) ``spec`` on ``data.train``, evaluating on ``data.eval`` (or
    ``data.test``) each epoch; the run record."""
    held_out = data.eval or data.test
    if not data.train or not held_out:
        raise MagwidgetsError(f"need MusicVAE windows for both training and evaluation, got "
                              f"{len(data.train)} train and {len(held_out)} eval")
    if data.config_id != spec.config_id:
        raise MagwidgetsError(f"the data was prepared for {data.config_id!r}, the network "
                              f"is {spec.config_id!r}")
    augment = VAE_CONFIGS[spec.config_id].converter == "melody"
    train = WindowBatches(data.train, spec, settings.batch_size, transpose=augment)
    evaluation = WindowEvaluator(WindowBatches(held_out, spec, EVAL_BATCH))
    record = {"family": "music_vae", "config": spec.config_id, "network": spec.as_dict(),
              "data": plain(data.stats) if data.stats is not None else None,
              "eval_split": "eval" if data.eval else "test", **(about or {})}
    return fit(lambda: build_model(spec, settings.seed), reconstruction_loss(spec), train,
               evaluation, run_dir, settings, record)


def train_vae(config_id: str, sources: str | Path | Sequence[str | Path],
              run_dir: str | Path, *, exclude: Sequence[str] = (),
              enc_rnn_size: Sequence[int] | None = None,
              dec_rnn_size: Sequence[int] | None = None, z_size: int | None = None,
              beta_rate: float | None = None, dropout_keep_prob: float | None = None,
              settings: FitSettings | None = None, max_files: int | None = None,
              eval_fraction: float = 0.1) -> dict[str, Any]:
    """Prepare ``sources`` (folders, or corpora such as ``music21:folk``; files matching an
    ``exclude`` glob left out) for ``config_id`` and train (or resume) in ``run_dir``.
    Sizes and beta/dropout default to Magenta's hparams for the config, ``settings`` to
    ``default_settings``; the run record."""
    from magwidgets.train.event_rnn import read_all

    spec = vae_spec(config_id, enc_rnn_size=enc_rnn_size, dec_rnn_size=dec_rnn_size,
                    z_size=z_size, beta_rate=beta_rate, dropout_keep_prob=dropout_keep_prob)
    settings = settings or default_settings(config_id)
    if isinstance(sources, (str, Path)):
        sources = [sources]
    source_set = read_all(sources, max_files, exclude)
    data = prepare(config_id, source_set, eval_fraction=eval_fraction, seed=settings.seed)
    print(data.summary())
    return train_vae_on(data, run_dir, spec, settings, {"source": source_set.source,
                                                        "exclude": list(exclude)})
