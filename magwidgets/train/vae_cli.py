"""``magwidgets train music_vae`` and ``magwidgets export`` of a MusicVAE run.

    magwidgets train music_vae --config cat-drums_2bar_small --data ../shared/datasets/groove-midi \\
        --out runs/drums --layers 128,128 --max-minutes 10
    magwidgets export runs/drums --format mag --out drums.tar      # Magenta's checkpoint .tar
    magwidgets export runs/drums --format magentajs --out drums-js

``--layers`` sets the decoder's LSTM sizes; the encoder gets one bidirectional layer of the
decoder's first size, and z its quarter (Magenta's small configs: decoder 256,256, encoder
512, z 256, which ``--layers`` left out gives). For a MusicVAE run, ``--format mag`` writes
Magenta's checkpoint ``.tar`` (what Magenta publishes MusicVAE models as; ``.mag`` bundles
are for the event RNNs).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from magwidgets.errors import MagwidgetsError
from magwidgets.train.loop import FitSettings, RunFolder
from magwidgets.train.vae import MAGENTA_HPARAMS, train_vae
from magwidgets.train.vae_export import export_magentajs, export_tar


def train_music_vae_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Train a MusicVAE from the ``magwidgets train`` arguments; prints and returns the
    run record."""
    sizes = {}
    if args.layers:
        sizes = {"dec_rnn_size": args.layers, "enc_rnn_size": (args.layers[0],),
                 "z_size": max(1, args.layers[0] // 4)}
    settings = None
    if args.config in MAGENTA_HPARAMS:
        settings = FitSettings(epochs=args.epochs, batch_size=args.batch_size or 64,
                               learning_rate=args.learning_rate,
                               clip_norm=MAGENTA_HPARAMS[args.config].grad_clip,
                               patience=args.patience, max_minutes=args.max_minutes,
                               seed=args.seed)
    record = train_vae(args.config, args.data, args.out, exclude=args.exclude,
                       dropout_keep_prob=args.dropout_keep_prob, settings=settings,
                       max_files=args.max_files, **sizes)
    best = record["epochs"][record["best_epoch"] - 1]
    print(f"{args.out}: {len(record['epochs'])} epochs, {record['steps']} steps "
          f"({record['stopped']}); best epoch {best['epoch']}: eval loss "
          f"{best['eval_loss']:.3f} nats/step, accuracy {best['eval_accuracy']:.3f}, KL "
          f"{best['eval_kl_bits']:.1f} bits. Export with `magwidgets export {args.out} "
          "--format mag --out model.tar`")
    return record


def export_music_vae(run: RunFolder, record: dict[str, Any], format: str, out: Path,
                     force: bool = False) -> Path:
    """Write a MusicVAE run (``record`` its run.json) as Magenta's checkpoint ``.tar``
    (``format`` "mag" or "tar") or a Magenta.js folder ("magentajs"); ``force`` is the
    CLI's ``--force``, which the caller has already checked ``out`` against."""
    if record.get("family") != "music_vae":
        raise MagwidgetsError(f"{run.path}: not a MusicVAE run")
    if format in ("mag", "tar"):
        return export_tar(run.path, out)
    if format == "magentajs":
        return export_magentajs(run.path, out, overwrite=True)
    raise MagwidgetsError(f"a MusicVAE exports as 'mag' (a checkpoint .tar) or 'magentajs', "
                          f"not {format!r}")
