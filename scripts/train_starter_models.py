"""Train, export, evaluate and document magwidgets' shipped event-RNN starter models.

Each model is trained with the ``magwidgets train`` command line on openly licensed data,
exported with ``magwidgets export`` into magwidgets/starter/models/<name>/magentajs/, then
evaluated (held-out perplexity against an add-one bigram baseline, musical sanity of 50
samples) by magwidgets.train.evaluate, which writes card.md, meta.json and sample.png.

    python scripts/train_starter_models.py                 # every model, one at a time
    python scripts/train_starter_models.py drums melody    # some of them
    python scripts/train_starter_models.py --skip-training  # re-export and re-evaluate

Runs go to build/starter-runs/<name> (resumed if present). Seeded, but TensorFlow's CPU
kernels are not bit-for-bit deterministic, so a rerun gives a model of the same quality.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RUNS = ROOT / "build" / "starter-runs"
MODELS = ROOT / "magwidgets" / "starter" / "models"
SHIPPED = "magentajs"  # the model folder inside magwidgets/starter/models/<name>/
DATASETS = ROOT.parent / "shared" / "datasets"
EWLD_CONSERVATIVE = ROOT / "build" / "starter-data" / "openewld-conservative"
FOLK_FILES = 150  # of the 1,129 folk collection files (tens of tunes each): reading all takes long
EPOCHS = 40  # an upper bound: early stopping or the time budget ends each run first
DROPOUT_KEEP = 0.8  # less than Magenta's 0.5: a few minutes of training is far from overfitting


@dataclass(frozen=True)
class Recipe:
    """How one starter model is trained, and the data credits for its card."""

    name: str
    family: str
    config: str
    data: tuple[str, ...]
    layers: str
    minutes: float
    data_note: str  # markdown: what the data is, its licence and attribution
    batch_size: int = 16
    window: int = 64  # training windows (steps): many short sequences learn faster on a CPU
    learning_rate: float = 3e-3  # above Magenta's 1e-3: minutes of training, not days
    dropout_keep_prob: float = DROPOUT_KEEP
    exclude: tuple[str, ...] = ()
    attention_wraps: str = "first"
    max_files: int | None = None  # per source

    def train_arguments(self, run: Path) -> list[str]:
        arguments = [self.family, "--config", self.config, "--out", str(run),
                     "--layers", self.layers, "--batch-size", str(self.batch_size),
                     "--epochs", str(EPOCHS), "--max-minutes", str(self.minutes),
                     "--learning-rate", str(self.learning_rate),
                     "--dropout-keep-prob", str(self.dropout_keep_prob),
                     "--window", str(self.window), "--attention-wraps", self.attention_wraps]
        for source in self.data:
            arguments += ["--data", source]
        if self.max_files:
            arguments += ["--max-files", str(self.max_files)]
        for pattern in self.exclude:
            arguments += ["--exclude", pattern]
        return arguments


GROOVE = (
    "The [Groove MIDI Dataset](https://magenta.tensorflow.org/datasets/groove) (Gillick, "
    "Roberts, Engel, Eck, Bamman: *Learning to Groove with Inverse Sequence Transformations*, "
    "ICML 2019): 13.6 hours of drumming by 10 drummers on a Roland TD-11 kit, **CC BY 4.0**, "
    "with its own train / validation / test split (validation is the held-out set here).")
FOLK = (
    "Folk tunes from the [music21](https://www.music21.org) corpus: Ryan's Mammoth Collection "
    "(1883) and O'Neill's *Music of Ireland* (1850), both public domain, and the Essen folk "
    "song collection (Helmut Schaffrath), distributed with music21 (BSD licence) "
    "for research and teaching. 10% of the tunes (seeded) are held out.")
BACH = (
    "The 371 four-part chorales of J. S. Bach (public domain) as encoded in the "
    "[music21](https://www.music21.org) corpus (BSD licence); 10% of the chorales (seeded) "
    "are held out.")
EWLD = (
    "Lead sheets (melody + chord symbols): the public-domain subset of "
    "[OpenEWLD](https://github.com/00sapo/OpenEWLD) (Simonetta et al., MIT licence; only "
    "songs marked for conservative use), plus the music21 folk tunes with chords inferred by "
    "note-seq's chord inference. 10% of the songs (seeded) are held out.")
PIANO = (
    "Expressive solo piano performances: the [Vienna 4x22 Piano Corpus](https://github.com/CPJKU/vienna4x22) "
    "(Werner Goebl, *The Vienna 4x22 Piano Corpus*, 1999, doi:10.21939/4X22; updates by CPJKU; "
    "**CC BY 4.0**; the two synthetic *average* performances left out) and the 56 "
    "transcriptions in the [GiantMIDI-Piano](https://github.com/bytedance/GiantMIDI-Piano) "
    "repository (Kong et al., ByteDance; **CC BY 4.0**; automatic transcriptions of public "
    "recordings, so the grant cannot cover performers' rights). 10% of the files (seeded) "
    "are held out.")

RECIPES = {recipe.name: recipe for recipe in (
    Recipe("melody", "melody_rnn", "attention_rnn", ("music21:folk",), "128,128", 8, FOLK,
           max_files=FOLK_FILES),
    Recipe("melody_basic", "melody_rnn", "basic_rnn", ("music21:folk",), "128,128", 6, FOLK,
           max_files=FOLK_FILES),
    Recipe("polyphony", "polyphony_rnn", "polyphony", ("music21:bach",), "192,192", 8, BACH),
    Recipe("improv", "improv_rnn", "chord_pitches_improv",
           (str(EWLD_CONSERVATIVE), "music21:folk"), "128,128", 8, EWLD, max_files=FOLK_FILES),
    Recipe("performance", "performance_rnn", "performance_with_dynamics",
           (str(DATASETS / "vienna4x22"), str(DATASETS / "giantmidi-subset")), "256,256", 5,
           PIANO, dropout_keep_prob=1.0, exclude=("*average*",)),
    # Magenta.js runs attention only around a whole stack of three layers (attention.ts)
    Recipe("drums", "drums_rnn", "drum_kit", (str(DATASETS / "groove-midi"),), "128,128,128", 6,
           GROOVE, attention_wraps="stack"),
)}


def link_conservative_ewld() -> None:
    """OpenEWLD's conservative public-domain subset (MANIFEST.csv: traditional or first
    performed before 1930) as a folder of links, so training reads only those songs."""
    source = DATASETS / "openewld-pd"
    with open(source / "MANIFEST.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["conservative_use"] == "yes"]
    for row in rows:
        link = EWLD_CONSERVATIVE / row["path"]
        if not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(source / row["path"])


def magwidgets(*arguments: str) -> None:
    command = [sys.executable, "-m", "magwidgets", *arguments]
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"models to build (default: all of "
                                                 f"{', '.join(RECIPES)})")
    parser.add_argument("--runs", type=Path, default=RUNS)
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    from magwidgets.train.evaluate import write_model_card

    link_conservative_ewld()
    for name in args.names or list(RECIPES):
        recipe = RECIPES[name]
        run = args.runs / name
        if not args.skip_training:
            magwidgets("train", *recipe.train_arguments(run))
        folder = MODELS / name
        folder.mkdir(parents=True, exist_ok=True)
        # Shipped as a Magenta.js folder: magwidgets reads it with NumPy alone (no TensorFlow
        # on first load) and Magenta.js runs the configs it supports. The .mag export of the
        # same weights stays in the run folder (for Magenta 2.1.4: check_magenta_loads_export).
        magwidgets("export", str(run), "--format", "magentajs", "--out",
                   str(folder / SHIPPED), "--force")
        magwidgets("export", str(run), "--format", "mag", "--out", str(run / "model.mag"),
                   "--force")
        figures = write_model_card(name, run, folder, recipe.data_note, SHIPPED)
        print(f"{name}: perplexity {figures['perplexity']:.2f} (bigram baseline "
              f"{figures['baseline']:.2f}); card in {folder / 'card.md'}", flush=True)


if __name__ == "__main__":
    main()
