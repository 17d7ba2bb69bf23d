"""Training an event-RNN config on a data source: data pipeline + Keras network + loop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from magwidgets.errors import MagwidgetsError
from magwidgets.models.configs import CONFIGS
from magwidgets.train.data import prepare
from magwidgets.train.loop import (ExampleBatches, FitSettings, classification_metrics, fit,
                                   plain)
from magwidgets.train.rnn import MAGENTA_HPARAMS, build_model, masked_loss, network_spec

FAMILIES = {"drums": "drums_rnn", "melody": "melody_rnn", "polyphony": "polyphony_rnn",
            "performance": "performance_rnn", "improv": "improv_rnn"}
"""CLI family name -> the family of the event-RNN configs it trains."""


def check_family(family: str, config_id: str) -> None:
    """MagwidgetsError unless ``config_id`` is an event-RNN config of ``family``."""
    if family not in FAMILIES:
        raise MagwidgetsError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")
    configs = sorted(c for c, config in CONFIGS.items() if config.family == FAMILIES[family])
    if config_id not in configs:
        raise MagwidgetsError(f"config {config_id!r} is not a {family} config; "
                              f"{family} configs: {', '.join(configs)}")


def train_event_rnn(family: str, config_id: str, source: str | Path, run_dir: str | Path, *,
                    layer_sizes: tuple[int, ...] | None = None,
                    settings: FitSettings | None = None, max_files: int | None = None,
                    eval_fraction: float = 0.1, dropout_keep_prob: float | None = None,
                    ) -> dict[str, Any]:
    """Prepare ``source`` for ``config_id``, train (or resume) in ``run_dir``; the run record.

    Defaults are Magenta's hparams for the config (layer sizes, clip norm, batch size,
    dropout); ``settings`` overrides the training ones."""
    check_family(family, config_id)
    hparams = MAGENTA_HPARAMS[config_id]
    settings = settings or FitSettings(batch_size=hparams.batch_size,
                                       clip_norm=hparams.clip_norm)
    data = prepare(config_id, source, eval_fraction=eval_fraction, seed=settings.seed,
                   max_files=max_files)
    held_out = data.eval or data.test
    if not data.train or not held_out:
        raise MagwidgetsError(
            f"{source}: need examples for both training and evaluation, got "
            f"{len(data.train)} train and {len(held_out)} eval:\n{data.summary()}")
    spec = network_spec(config_id, layer_sizes=layer_sizes, dropout_keep_prob=dropout_keep_prob)
    print(data.summary())
    eval_batches = ExampleBatches(held_out, settings.batch_size)
    about = {"family": family, "config": config_id, "network": spec.as_dict(),
             "source": str(source), "data": plain(data.stats),
             "eval_split": "eval" if data.eval else "test"}
    return fit(lambda: build_model(spec), masked_loss(),
               ExampleBatches(data.train, settings.batch_size),
               lambda model: classification_metrics(model, eval_batches),
               run_dir, settings, about)
