"""The training loop every family shares: batches in, a trained model and a run folder out.

A run folder holds ``checkpoints/last.keras`` (model + optimizer, to resume from),
``checkpoints/best.keras`` (lowest eval loss, to export), TensorBoard logs in ``logs/`` and
``run.json``: what was trained on what, the settings, every epoch's metrics and the step
count. Keras places the work on a GPU when TensorFlow sees one.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from magwidgets.errors import MagwidgetsError  # noqa: E402
from magwidgets.train.data import Example, SparseRows, pad_batch  # noqa: E402

RUN_FILE = "run.json"
LAST = "checkpoints/last.keras"
BEST = "checkpoints/best.keras"
LENGTH_QUANTUM = 64  # batches are padded to a multiple of this many steps

Batch = tuple[np.ndarray, np.ndarray, np.ndarray]  # inputs, targets, per-step weights


@dataclass(frozen=True)
class FitSettings:
    """How long and how fast to train."""

    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 1e-3
    clip_norm: float | None = 3.0  # global gradient norm clip, as Magenta's clip_norm
    patience: int = 3  # epochs without a lower eval loss before stopping early
    max_minutes: float | None = None  # stop (after evaluating) once training took this long
    seed: int = 0


def windows(examples: Sequence[Example], length: int) -> list[Example]:
    """Each example cut into consecutive windows of at most ``length`` steps (truncated
    backpropagation through time: many short sequences train faster than a few long ones)."""
    cut = []
    for example in examples:
        sparse = isinstance(example.inputs, SparseRows)
        inputs = np.asarray(example.inputs)
        for start in range(0, len(example.targets), length):
            part = inputs[start:start + length]
            cut.append(Example(SparseRows(part) if sparse else part,
                               example.targets[start:start + length]))
    return cut


class ExampleBatches:
    """Examples grouped into padded batches of similar length (little padding, few shapes)."""

    def __init__(self, examples: Sequence[Example], batch_size: int) -> None:
        if not examples:
            raise MagwidgetsError("no examples to batch")
        order = np.argsort([len(example.targets) for example in examples], kind="stable")
        self._groups = [[examples[i] for i in order[start:start + batch_size]]
                        for start in range(0, len(order), batch_size)]

    def __len__(self) -> int:
        return len(self._groups)

    def batches(self, rng: np.random.Generator | None = None) -> Iterator[Batch]:
        """Every batch once, in a shuffled order when ``rng`` is given."""
        order = rng.permutation(len(self._groups)) if rng is not None else range(len(self))
        for index in order:
            group = self._groups[index]
            longest = max(len(example.targets) for example in group)
            yield pad_batch(group, LENGTH_QUANTUM * math.ceil(longest / LENGTH_QUANTUM))


def classification_metrics(model: keras.Model, batches: ExampleBatches) -> dict[str, float]:
    """Loss (nats per predicted class), accuracy and perplexity over every weighted step,
    for a model whose outputs are logits over the classes in the targets."""
    total_loss = total_correct = total_weight = 0.0
    for inputs, targets, weights in batches.batches():
        logits = np.asarray(model(inputs, training=False), np.float64)
        logits -= logits.max(axis=-1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        picked = np.take_along_axis(log_probs, targets[..., None].astype(np.intp), -1)[..., 0]
        total_loss -= float((picked * weights).sum())
        total_correct += float(((logits.argmax(-1) == targets) * weights).sum())
        total_weight += float(weights.sum())
    loss = total_loss / total_weight
    return {"loss": loss, "accuracy": total_correct / total_weight, "perplexity": math.exp(loss)}


@dataclass
class RunFolder:
    """Paths and the record of one run folder."""

    path: Path

    @property
    def record_path(self) -> Path:
        return self.path / RUN_FILE

    def read_record(self) -> dict[str, Any]:
        if not self.record_path.exists():
            raise MagwidgetsError(f"{self.path}: not a training run (no {RUN_FILE})")
        return json.loads(self.record_path.read_text())

    def write_record(self, record: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        temporary = self.record_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(plain(record), indent=1))
        temporary.replace(self.record_path)

    def best_model(self) -> keras.Model:
        """The checkpoint with the lowest eval loss; MagwidgetsError if none was saved."""
        best = self.path / BEST
        if not best.exists():
            raise MagwidgetsError(
                f"{self.path}: no checkpoint to export (expected {BEST}); train first with "
                "`magwidgets train ... --out " f"{self.path}`")
        return keras.saving.load_model(best)


def plain(value: Any) -> Any:
    """``value`` (dataclasses, dicts with tuple keys, NumPy scalars ...) as JSON data."""
    if hasattr(value, "__dataclass_fields__"):  # not asdict: it rebuilds Counters wrongly
        value = {name: getattr(value, name) for name in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {(" / ".join(map(str, key)) if isinstance(key, tuple) else str(key)): plain(item)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value


def _device() -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return f"GPU ({len(gpus)})" if gpus else "CPU"


class _Logs:
    """TensorBoard scalars under ``logs/train`` and ``logs/eval``, written with TensorFlow's
    own summary writer (viewing them needs the ``tensorboard`` package; writing does not)."""

    def __init__(self, folder: Path) -> None:
        import tensorflow as tf
        from tensorflow.core.framework import summary_pb2

        self._tf = tf
        self._writers = {split: tf.summary.create_file_writer(str(folder / split))
                         for split in ("train", "eval")}
        self._metadata = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"),
            data_class=summary_pb2.DATA_CLASS_SCALAR).SerializeToString()

    def scalars(self, split: str, values: dict[str, float], step: int) -> None:
        with self._writers[split].as_default():
            for name, value in values.items():
                self._tf.summary.write(name, self._tf.constant(value, self._tf.float32),
                                       step=step, metadata=self._metadata)
        self._writers[split].flush()


def fit(build: Callable[[], keras.Model], loss: keras.losses.Loss, train: ExampleBatches,
        evaluate: Callable[[keras.Model], dict[str, float]], run_dir: str | Path,
        settings: FitSettings, about: dict[str, Any]) -> dict[str, Any]:
    """Train until ``settings.epochs`` epochs, early stopping or the time budget; resume
    from ``run_dir``'s last checkpoint when there is one. ``evaluate`` returns the eval
    metrics (``loss`` at least) after each epoch; ``about`` (family, config, sizes, data
    statistics ...) goes into run.json. Returns the run record."""
    run = RunFolder(Path(run_dir))
    keras.utils.set_random_seed(settings.seed)
    if (run.path / LAST).exists():
        record = {**run.read_record(), "settings": asdict(settings)}
        model = keras.saving.load_model(run.path / LAST)
    else:
        record = {**about, "settings": asdict(settings), "epochs": [], "steps": 0}
        model = build()
        model.compile(optimizer=keras.optimizers.Adam(settings.learning_rate,
                                                      global_clipnorm=settings.clip_norm),
                      loss=loss)
    record["device"] = _device()
    logs = _Logs(run.path / "logs")
    rng = np.random.default_rng(settings.seed + len(record["epochs"]))
    began = time.perf_counter()
    earlier = record["epochs"][-1]["seconds"] if record["epochs"] else 0.0
    record["stopped"] = "epochs"
    for epoch in range(len(record["epochs"]) + 1, settings.epochs + 1):
        train_loss, out_of_time = _train_epoch(model, train, rng, record, logs, epoch,
                                               began, settings.max_minutes)
        metrics = evaluate(model)
        logs.scalars("eval", metrics, record["steps"])
        record["epochs"].append({"epoch": epoch, "train_loss": train_loss, "steps": record["steps"],
                                 "seconds": round(earlier + time.perf_counter() - began, 1),
                                 **{f"eval_{name}": value for name, value in metrics.items()}})
        best = min(record["epochs"], key=lambda row: row["eval_loss"])
        (run.path / LAST).parent.mkdir(parents=True, exist_ok=True)
        if best["epoch"] == epoch:
            model.save(run.path / BEST)
        model.save(run.path / LAST)
        record["best_epoch"] = best["epoch"]
        tqdm.write(f"epoch {epoch}: train loss {train_loss:.3f}, eval loss "
                   f"{metrics['loss']:.3f}" + "".join(
                       f", {name} {value:.3f}" for name, value in metrics.items()
                       if name != "loss"))
        if out_of_time:
            record["stopped"] = f"time budget ({settings.max_minutes} min)"
        elif epoch - best["epoch"] >= settings.patience:
            record["stopped"] = f"early stopping (no better eval loss for {settings.patience} epochs)"
        run.write_record(record)
        if record["stopped"] != "epochs":
            break
    run.write_record(record)
    return record


def _train_epoch(model: keras.Model, train: ExampleBatches, rng: np.random.Generator,
                 record: dict[str, Any], logs: _Logs, epoch: int, began: float,
                 max_minutes: float | None) -> tuple[float, bool]:
    """One pass over the shuffled batches (cut short by the time budget): (mean loss, cut?)."""
    losses = []
    progress = tqdm(train.batches(rng), total=len(train), desc=f"epoch {epoch}", leave=False)
    for inputs, targets, weights in progress:
        loss = float(model.train_on_batch(inputs, targets, sample_weight=weights))
        losses.append(loss)
        record["steps"] += 1
        progress.set_postfix(loss=f"{loss:.3f}")
        if record["steps"] % 10 == 0:
            logs.scalars("train", {"loss": loss}, record["steps"])
        if max_minutes is not None and time.perf_counter() - began > 60 * max_minutes:
            progress.close()
            return float(np.mean(losses)), True
    return float(np.mean(losses)), False
