"""Reading a GANSynth model directory as Magenta's ``Model.load_from_path`` does.

The directory holds ``experiment.json`` (the training flags) and ``stage_000NN/`` folders of
TF checkpoints; Magenta loads the last stage and generates with the generator's
``ExponentialMovingAverage`` shadow variables (the raw variables are the training weights,
never used to generate). TensorFlow reads them once; they are cached under the checkpoint's
sha256.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from magwidgets.bundles import cache
from magwidgets.errors import BundleError

EXPERIMENT_FILE = "experiment.json"
STAGE_PREFIX = "stage_"
GENERATOR_SCOPE = "Generator/progressive_gan_generator/progressive_gan_"
EMA_SUFFIX = "/ExponentialMovingAverage"
STEP_VARIABLE = "global_step"  # images seen (Magenta's current_image_id)
TIME_VARIABLE = "Variable"  # train_time, used instead when train_time_limit is set
SUPPORTED = {  # flags whose other values Magenta builds differently
    "data_type": "mel", "g_fn": "specgram", "scale_mode": "ALL", "simple_arch": False,
    "data_normalizer": "specgrams_prespecified_normalizer", "kernel_size": 3,
    "audio_length": 64000, "sample_rate": 16000,
}
# Magenta's model.set_flags defaults, for flags an experiment.json leaves out.
DEFAULTS = {
    "data_type": "mel", "audio_length": 64000, "sample_rate": 16000,
    "data_normalizer": "specgrams_prespecified_normalizer", "mag_normalizer_a": 0.0661371661726,
    "mag_normalizer_b": 0.113718730221, "p_normalizer_a": 0.8, "p_normalizer_b": 0.0,
    "stable_stage_num_images": 32, "transition_stage_num_images": 32,
    "train_progressive": True, "train_time_limit": None, "train_time_stage_multiplier": 1.0,
    "g_fn": "specgram", "latent_vector_size": 256, "kernel_size": 3, "start_height": 4,
    "start_width": 8, "scale_mode": "ALL", "scale_base": 2, "num_resolutions": 7,
    "simple_arch": False, "to_rgb_activation": "tanh",
}
FINAL_SHAPE = (128, 1024)  # (frames, mel bins) of the released GANSynth's spectrogram


@dataclass(frozen=True)
class CheckpointInfo:
    """Where a GANSynth's weights are and the flags it was trained with."""

    folder: Path
    flags: dict
    stage: int
    prefix: Path  # <stage folder>/model.ckpt-N


def recognizes(path: Path) -> bool:
    """A folder with ``experiment.json`` and at least one ``stage_*`` folder (no TF)."""
    path = Path(path)
    return (path / EXPERIMENT_FILE).is_file() and any(
        child.is_dir() and child.name.startswith(STAGE_PREFIX) for child in path.iterdir())


def _read_flags(folder: Path) -> dict:
    try:
        flags = json.loads((folder / EXPERIMENT_FILE).read_text())
    except (OSError, ValueError) as error:
        raise BundleError(f"{folder / EXPERIMENT_FILE}: not readable as JSON ({error})") from None
    if not isinstance(flags, dict):
        raise BundleError(f"{folder / EXPERIMENT_FILE}: expected a JSON object of flags")
    merged = {**DEFAULTS, **flags}
    for name, expected in SUPPORTED.items():
        if merged[name] != expected:
            raise BundleError(f"{folder / EXPERIMENT_FILE}: {name} is {merged[name]!r}; "
                              f"magwidgets runs GANSynth models with {name} {expected!r}")
    if merged["to_rgb_activation"] not in ("tanh", "linear"):
        raise BundleError(f"{folder / EXPERIMENT_FILE}: to_rgb_activation is "
                          f"{merged['to_rgb_activation']!r}; expected 'tanh' or 'linear'")
    factor = merged["scale_base"] ** (merged["num_resolutions"] - 1)
    shape = (merged["start_height"] * factor, merged["start_width"] * factor)
    if shape != FINAL_SHAPE:
        raise BundleError(f"{folder / EXPERIMENT_FILE}: the flags give a {shape[0]}x{shape[1]} "
                          f"spectrogram; GANSynth's mel-IF conversion expects "
                          f"{FINAL_SHAPE[0]}x{FINAL_SHAPE[1]} (start_height/width, "
                          f"scale_base, num_resolutions)")
    return merged


def _latest_prefix(stage_folder: Path) -> Path:
    """``tf.train.latest_checkpoint``: the ``checkpoint`` file's model_checkpoint_path."""
    state = stage_folder / "checkpoint"
    if not state.is_file():
        raise BundleError(f"{stage_folder}: no 'checkpoint' file naming the model.ckpt-N files")
    match = re.search(r'^model_checkpoint_path:\s*"(.*)"', state.read_text(), re.MULTILINE)
    if match is None:
        raise BundleError(f"{state}: no model_checkpoint_path line")
    prefix = Path(match.group(1))
    prefix = prefix if prefix.is_absolute() else stage_folder / prefix
    if not Path(f"{prefix}.index").is_file():
        raise BundleError(f"{state}: names {prefix.name}, but {prefix.name}.index is missing")
    return prefix


def locate(path: str | Path) -> CheckpointInfo:
    """The flags and the last stage's checkpoint, refusing anything but the final stage."""
    folder = Path(path).expanduser()
    if not folder.is_dir() or not (folder / EXPERIMENT_FILE).is_file():
        raise BundleError(f"{folder}: not a GANSynth model folder (expected {EXPERIMENT_FILE} "
                          f"and stage_000NN/ checkpoint folders)")
    flags = _read_flags(folder)
    stages = sorted(child.name for child in folder.iterdir()
                    if child.is_dir() and child.name.startswith(STAGE_PREFIX))
    if not stages:
        raise BundleError(f"{folder}: no stage_000NN/ folders, is this a GANSynth model folder?")
    try:
        stage = int(stages[-1].split("_")[-1])
    except ValueError:
        raise BundleError(f"{folder / stages[-1]}: expected a folder named "
                          f"stage_<number>") from None
    final = 2 * flags["num_resolutions"] - 2
    if stage != final:
        raise BundleError(
            f"{folder / stages[-1]}: stage {stage} is not the final stage {final} of a "
            f"{flags['num_resolutions']}-resolution GANSynth; only a finished model makes "
            f"full-resolution audio")
    return CheckpointInfo(folder, flags, stage, _latest_prefix(folder / stages[-1]))


def weight_names(blocks: int) -> list[str]:
    """The generator's variables, without scope and EMA suffix: ``block_<b>/<layer>/<kind>``."""
    return [f"block_{block}/{layer}/{kind}" for block in range(1, blocks + 1)
            for layer in ("conv0", "conv1", "to_rgb") for kind in ("kernel", "bias")]


def _checkpoint_name(name: str) -> str:
    block, layer, kind = name.split("/")
    middle = "conv2d/kernel" if kind == "kernel" else "bias"
    return f"{GENERATOR_SCOPE}{block}/{layer}/{middle}{EMA_SUFFIX}"


def _convert(info: CheckpointInfo) -> dict[str, np.ndarray]:
    from magwidgets.bundles.tf_reader import read_checkpoint_prefix

    blocks = info.flags["num_resolutions"]
    wanted = {_checkpoint_name(name): name for name in weight_names(blocks)}
    variables = read_checkpoint_prefix(
        info.prefix, info.prefix,
        keep=lambda n: n in wanted or n in (STEP_VARIABLE, TIME_VARIABLE))
    missing = [full for full in wanted if full not in variables]
    if len(missing) == len(wanted):
        raise BundleError(f"{info.prefix}: no generator ExponentialMovingAverage variables "
                          f"(e.g. {missing[0]}); Magenta generates with these smoothed "
                          f"weights, so a checkpoint without them cannot be played")
    if missing:
        raise BundleError(f"{info.prefix}: {len(missing)} generator EMA variables are missing, "
                          f"the first {missing[0]}")
    weights = {short: variables[full] for full, short in wanted.items()}
    for name in (STEP_VARIABLE, TIME_VARIABLE):
        if name in variables:
            weights[name] = np.asarray(variables[name])
    return weights


def _check_shapes(weights: dict[str, np.ndarray], flags: dict, inputs: int,
                  source: Path) -> None:
    """Each block's kernels chain (its input channels are the previous block's filters),
    block 1 starts at (start_height, start_width) from z + pitch, to_rgb gives 2 channels."""
    before, square = inputs, (flags["kernel_size"],) * 2
    for block in range(1, flags["num_resolutions"] + 1):
        filters = weights[f"block_{block}/conv1/bias"].shape[0]
        first = (flags["start_height"], flags["start_width"]) if block == 1 else square
        expected = {"conv0/kernel": (*first, before, filters), "conv0/bias": (filters,),
                    "conv1/kernel": (*square, filters, filters), "conv1/bias": (filters,),
                    "to_rgb/kernel": (1, 1, filters, 2), "to_rgb/bias": (2,)}
        for name, shape in expected.items():
            found = weights[f"block_{block}/{name}"].shape
            if found != shape:
                raise BundleError(f"{source}: block_{block}/{name} has shape {found}; "
                                  f"expected {shape} from the flags and the other weights")
        before = filters


def _progress(flags: dict, weights: dict[str, np.ndarray]) -> float:
    """Magenta's training ``progress`` (networks.compute_progress / _from_time): the final
    block alone shapes the output when it equals num_resolutions - 1."""
    blocks = flags["num_resolutions"]
    if not flags["train_progressive"]:
        return float(blocks - 1)
    if flags["train_time_limit"] is not None:
        stages = 2 * blocks - 1
        times = np.cumprod([1.0] + [flags["train_time_stage_multiplier"]] * (stages - 1))
        times = np.cumsum(times * flags["train_time_limit"] / times.sum(), dtype=np.float32)
        train_time = float(weights.get(TIME_VARIABLE, 0.0))
        total = sum(np.clip((train_time - times[i - 1]) / (times[i] - times[i - 1]), 0.0, 1.0)
                    for i in range(1, stages, 2))
        return float(min(total, blocks - 1))
    stable, transition = flags["stable_stage_num_images"], flags["transition_stage_num_images"]
    images = min(int(weights.get(STEP_VARIABLE, 0)),
                 blocks * stable + (blocks - 1) * transition - 1)
    whole, part = divmod(images, stable + transition)
    return whole + max(0.0, (part - stable) / transition)


def load_weights(info: CheckpointInfo, inputs: int) -> dict[str, np.ndarray]:
    """The EMA generator weights (from the cache, else read once with TF), checked to chain
    from ``inputs`` (latent + pitch classes) and to be of a model whose training reached its
    final resolution."""
    weights = cache.cached_weights(cache.checkpoint_digest(info.prefix), "gansynth",
                                   lambda: _convert(info))
    _check_shapes(weights, info.flags, inputs, info.prefix)
    progress = _progress(info.flags, weights)
    if progress != info.flags["num_resolutions"] - 1:
        raise BundleError(f"{info.prefix}: training progress is {progress:g}, not "
                          f"{info.flags['num_resolutions'] - 1}: this checkpoint is still "
                          f"blending in its last resolution, so it is not a finished model")
    return weights
