"""Training an event-RNN config on a data source: data pipeline + Keras network + loop."""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any, Literal, Sequence

import numpy as np

from magwidgets.errors import MagwidgetsError
from magwidgets.train.data import PreparedData, SourceSet, prepare, read_sources
from magwidgets.train.data.prepare import assign_splits
from magwidgets.train.evaluate import bigram_perplexity, pitch_profile
from magwidgets.train.families import check_family
from magwidgets.train.loop import (
    ExampleBatches,
    FitSettings,
    classification_metrics,
    fit,
    plain,
    windows,
)
from magwidgets.train.rnn import MAGENTA_HPARAMS, build_model, masked_loss, network_spec


def read_all(sources: Sequence[str | Path], max_files: int | None = None,
             exclude: Sequence[str] = ()) -> SourceSet:
    """The pieces of every source (``max_files`` each), less those whose file name matches
    an ``exclude`` glob pattern."""
    merged = SourceSet(" + ".join(str(source) for source in sources))
    for source in sources:
        part = read_sources(source, max_files=max_files)
        merged.pieces += [piece for piece in part.pieces if not any(
            fnmatch.fnmatch(Path(piece.name).name, pattern) for pattern in exclude)]
        merged.files_read += part.files_read
        merged.files_skipped.update(part.files_skipped)
        merged.skipped += part.skipped
    return merged


def _held_out_pieces(source: SourceSet, data: PreparedData, eval_fraction: float,
                     seed: int) -> list:
    """The NoteSequences of the pieces ``prepare`` held out (its split, recomputed)."""
    split = "eval" if data.eval else "test"
    return [piece.sequence for piece, assigned in
            zip(source.pieces, assign_splits(source.pieces, eval_fraction, seed))
            if assigned == split]


def _sample(examples: list, count: int, seed: int) -> list:
    """At most ``count`` of ``examples``, chosen with a seeded generator, in their order."""
    if len(examples) <= count:
        return examples
    keep = np.random.default_rng(seed).choice(len(examples), count, replace=False)
    return [examples[index] for index in sorted(keep)]


def train_event_rnn(family: str, config_id: str, sources: Sequence[str | Path],
                    run_dir: str | Path, *, exclude: Sequence[str] = (),
                    layer_sizes: tuple[int, ...] | None = None,
                    attention_wraps: Literal["first", "stack"] = "first",
                    settings: FitSettings | None = None, max_files: int | None = None,
                    eval_fraction: float = 0.1, dropout_keep_prob: float | None = None,
                    window: int | None = None, max_examples: int | None = None
                    ) -> dict[str, Any]:
    """Prepare ``sources`` for ``config_id``, train (or resume) in ``run_dir``; the run record.

    Defaults are Magenta's hparams for the config (layer sizes, clip norm, batch size,
    dropout); ``settings`` overrides the training ones. ``window`` cuts training examples
    into windows of that many steps (evaluation always reads whole examples);
    ``max_examples`` keeps a seeded sample of that many training and held-out examples."""
    check_family(family, config_id)
    hparams = MAGENTA_HPARAMS[config_id]
    settings = settings or FitSettings(batch_size=hparams.batch_size,
                                       clip_norm=hparams.clip_norm)
    source = read_all(sources, max_files, exclude)
    data = prepare(config_id, source, eval_fraction=eval_fraction, seed=settings.seed)
    if max_examples:
        data.train, data.eval, data.test = (_sample(examples, max_examples, settings.seed)
                                            for examples in (data.train, data.eval, data.test))
    held_out = data.eval or data.test
    if not data.train or not held_out:
        raise MagwidgetsError(
            f"{source.source}: need examples for both training and evaluation, got "
            f"{len(data.train)} train and {len(held_out)} eval:\n{data.summary()}")
    spec = network_spec(config_id, layer_sizes=layer_sizes, attention_wraps=attention_wraps,
                        dropout_keep_prob=dropout_keep_prob)
    print(data.summary())
    eval_batches = ExampleBatches(held_out, settings.batch_size)
    about = {"family": family, "config": config_id, "network": spec.as_dict(),
             "source": source.source, "exclude": list(exclude), "data": plain(data.stats),
             "eval_split": "eval" if data.eval else "test", "window": window,
             "baseline": bigram_perplexity(data.train, held_out, spec.num_classes),
             "held_out_profile": pitch_profile(_held_out_pieces(source, data, eval_fraction,
                                                                settings.seed))}
    train = windows(data.train, window) if window else data.train
    return fit(lambda: build_model(spec), masked_loss(),
               ExampleBatches(train, settings.batch_size),
               lambda model: classification_metrics(model, eval_batches),
               run_dir, settings, about)
