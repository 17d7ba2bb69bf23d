"""``magwidgets train`` and ``magwidgets export``: train a model on music files, then bundle it.

Handlers import TensorFlow lazily, so ``magwidgets info`` / ``generate`` stay fast.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from magwidgets.errors import MagwidgetsError
from magwidgets.families import family
from magwidgets.train.families import check_family, family_id, trainable_families

EXPORT_NAME = {"mag": "model.mag", "magentajs": "magentajs"}  # default, in the run folder


def _layer_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected layer sizes like 128,128 (positive integers), got {text!r}")
    return sizes


def _quiet_tensorflow() -> None:
    """TensorFlow's C++ start-up log is noise on a command line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _train(args: argparse.Namespace) -> None:
    check_family(args.family, args.config)
    _quiet_tensorflow()
    family(args.family).train_function()(args)


def train_event_rnn_from_args(args: argparse.Namespace) -> None:
    """``magwidgets train <event-RNN family>``: train, then say how it went."""
    from magwidgets.train.event_rnn import train_event_rnn
    from magwidgets.train.loop import FitSettings
    from magwidgets.train.rnn import MAGENTA_HPARAMS

    hparams = MAGENTA_HPARAMS[args.config]
    settings = FitSettings(
        epochs=args.epochs, batch_size=args.batch_size or hparams.batch_size,
        learning_rate=args.learning_rate, clip_norm=hparams.clip_norm,
        patience=args.patience, max_minutes=args.max_minutes, seed=args.seed)
    record = train_event_rnn(args.family, args.config, args.data, args.out,
                             exclude=args.exclude, layer_sizes=args.layers,
                             attention_wraps=args.attention_wraps, settings=settings,
                             max_files=args.max_files, dropout_keep_prob=args.dropout_keep_prob,
                             window=args.window, max_examples=args.max_examples)
    best = record["epochs"][record["best_epoch"] - 1]
    print(f"{args.out}: {len(record['epochs'])} epochs, {record['steps']} steps "
          f"({record['stopped']}); best epoch {best['epoch']}: eval loss "
          f"{best['eval_loss']:.3f}, perplexity {best['eval_perplexity']:.2f}, accuracy "
          f"{best['eval_accuracy']:.3f}. Export with `magwidgets export {args.out} --format mag`")


def _export(args: argparse.Namespace) -> None:
    _quiet_tensorflow()
    from magwidgets.train.loop import RunFolder

    run = RunFolder(Path(args.run_dir))
    record = run.read_record()
    out = Path(args.out) if args.out else run.path / EXPORT_NAME[args.format]
    if out.exists() and not args.force:
        raise MagwidgetsError(f"{out} exists; pass --force to overwrite it")
    family(family_id(record["family"])).export_function()(run, record, args.format, out,
                                                           args.force)
    print(f"{out}: written ({args.format})")


def export_event_rnn_run(run: Any, record: dict, format: str, out: Path, force: bool) -> None:
    """``magwidgets export`` for an event-RNN run: a ``.mag`` or a Magenta.js folder."""
    if format == "mag":
        from magwidgets.train.export_mag import export_run_mag

        export_run_mag(run, out)
    else:
        from magwidgets.train.export_js import export_run_magentajs

        export_run_magentajs(run, out, overwrite=force)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``train`` and ``export`` subcommands to the ``magwidgets`` parser."""
    train = commands.add_parser("train", help="train a model on music files or a corpus")
    train.add_argument("family", choices=trainable_families())
    train.add_argument("--config", required=True, help="config id, e.g. drum_kit, attention_rnn")
    train.add_argument("--data", required=True, action="append",
                       help="folder of MIDI/MusicXML/ABC files, or a corpus like music21:bach "
                            "(repeat to combine sources)")
    train.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                       help="leave out files whose name matches (repeatable)")
    train.add_argument("--out", required=True, help="run folder (resumed if it has a checkpoint)")
    train.add_argument("--epochs", type=int, default=20)
    train.add_argument("--batch-size", type=int, help="default: Magenta's for the config")
    train.add_argument("--layers", type=_layer_sizes,
                       help="LSTM sizes, e.g. 128,128 (default: Magenta's for the config)")
    train.add_argument("--attention-wraps", choices=("first", "stack"), default="first",
                       help="attention configs: wrap the first layer (Magenta 2.x) or the "
                            "whole stack (older Magenta; the one Magenta.js can run)")
    train.add_argument("--learning-rate", type=float, default=1e-3)
    train.add_argument("--dropout-keep-prob", type=float,
                       help="keep probability of each layer's output (default: Magenta's)")
    train.add_argument("--patience", type=int, default=3,
                       help="stop after this many epochs without a lower eval loss")
    train.add_argument("--max-minutes", type=float, help="stop after about this much training")
    train.add_argument("--window", type=int,
                       help="train on windows of this many steps (default: whole examples)")
    train.add_argument("--max-examples", type=int,
                       help="train and evaluate on a seeded sample of this many examples")
    train.add_argument("--max-files", type=int, help="read at most this many files")
    train.add_argument("--seed", type=int, default=0)
    train.set_defaults(run=_train)

    export = commands.add_parser("export", help="bundle a trained run as .mag or Magenta.js")
    export.add_argument("run_dir", help="run folder written by `magwidgets train`")
    export.add_argument("--format", choices=sorted(EXPORT_NAME), default="mag")
    export.add_argument("--out", help="file (.mag) or folder (magentajs) to write "
                                      "(default: inside the run folder)")
    export.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    export.set_defaults(run=_export)
