"""Train, evaluate and ship the four MusicVAE / GrooVAE starter models.

    python scripts/train_vae_starters.py [--only drums_2bar ...] [--stage train|ship|all]

``train`` prepares each model's data (``magwidgets.train.data.prepare``, kept as a pickle in
the work folder so a second stage or a resumed run does not parse the corpus again) and
trains it in ``<work>/<name>/`` (resumed if stopped), one model at a time, each under a
time budget. ``ship`` exports the best checkpoint as a float32 Magenta.js folder into
``magwidgets/starter/models/<name>/magentajs/`` (and as Magenta's ``.tar`` into the work
folder, for ``scripts/check_magenta_loads_vae.py``), evaluates it on held-out data
(``magwidgets.train.vae_evaluate``: the Groove MIDI test split, which neither training nor
early stopping saw; the folk tunes held out for evaluation) and writes ``meta.json``,
``card.md`` and ``sample.png`` beside it.

Models (all at the same small sizes: encoder 1 x 128 each way, decoder 2 x 128, z 32):

- ``mel_2bar``: cat-mel_2bar_small on the folk tunes of the music21 corpus (Ryan's Mammoth
  Collection, O'Neill's 1850), random 10% of the tunes held out;
- ``drums_2bar``: cat-drums_2bar_small on the Groove MIDI Dataset (its own split column);
- ``groove_humanize``: groovae_2bar_humanize on the Groove MIDI Dataset;
- ``groove_tap2drum``: groovae_2bar_tap_fixed_velocity on the Groove MIDI Dataset.

Time: about 10 minutes of 2-core CPU training per model, plus data preparation (seconds for
Groove MIDI, many minutes for the folk corpus the first time). TensorFlow's CPU kernels are
not bit-for-bit deterministic, so a rerun gives models of the same quality, not the same
bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import music21
import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from note_seq import sequences_lib  # noqa: E402

import magwidgets as mw  # noqa: E402
from magwidgets.render.pianoroll_figure import PianoRoll  # noqa: E402
from magwidgets.train import vae_evaluate as ev  # noqa: E402
from magwidgets.train.data import PreparedData, prepare  # noqa: E402
from magwidgets.train.event_rnn import read_all  # noqa: E402
from magwidgets.train.loop import FitSettings, RunFolder  # noqa: E402
from magwidgets.train.vae import train_vae_on, vae_spec  # noqa: E402
from magwidgets.train.vae_export import export_magentajs, export_tar  # noqa: E402

GROOVE_MIDI = ROOT / ".." / "shared" / "datasets" / "groove-midi"
# Ryan's Mammoth Collection and O'Neill's 1850: the folk corpus less the Essen songs, whose
# thousands of tunes take music21 too long to parse for a 10-minute training budget
FOLK_TUNES = tuple(str(Path(music21.__file__).parent / "corpus" / name)
                   for name in ("ryansMammoth", "oneills1850"))
STARTERS = ROOT / "magwidgets" / "starter" / "models"
MODEL_FOLDER = "magentajs"  # float32 Magenta.js checkpoint: loads with NumPy, no TensorFlow
SIZES = dict(enc_rnn_size=(128,), dec_rnn_size=(128, 128), z_size=32)
MINUTES = 9.0  # training budget per model
EPOCHS = 60
SAMPLES = 50  # samples for the musical sanity figures, at temperature 1.0
BEATS = 8  # quarter-note beats in a 2-bar window
WINDOW_SECONDS = 4.0  # a 2-bar window at the 120 qpm the converters write
GROOVE_CREDIT = (
    "The [Groove MIDI Dataset](https://magenta.tensorflow.org/datasets/groove) v1.0.0 by Jon "
    "Gillick, Adam Roberts, Jesse Engel, Mohammad Norouzi and David Bamman (*Learning to "
    "Groove with Inverse Sequence Transformations*, ICML 2019): 1,150 MIDI files, about 13.6 "
    "hours of drumming by 10 drummers on a Roland TD-11 kit, licensed **CC BY 4.0** "
    "(https://creativecommons.org/licenses/by/4.0/). These weights are trained on it and "
    "credit it as the licence requires. Its own split column is used: train for training, "
    "validation for early stopping, test for the figures below.")
FOLK_CREDIT = (
    "Folk tunes from the [music21](https://www.music21.org) corpus (distributed with music21 "
    "under the BSD licence): Ryan's Mammoth Collection (1883) and O'Neill's *Music of "
    "Ireland* (1850), both public domain (the corpus's Essen songs are left out: parsing "
    "them takes longer than this model's training). A seeded 10% of the tunes is held out "
    "(early stopping and the figures below).")


@dataclass(frozen=True)
class Starter:
    """One starter model: its config, data and the hparams that differ from Magenta's."""

    name: str
    config_id: str
    source: str | tuple[str, ...]  # a folder or corpus, or several
    overrides: dict = field(default_factory=dict)
    why: str = "none"  # the reason for the overrides, for the model card

    @property
    def folk(self) -> bool:
        return self.source == FOLK_TUNES

    @property
    def source_text(self) -> str:
        """The data source(s), relative to the repository's parent where inside it."""
        sources = [self.source] if isinstance(self.source, str) else list(self.source)
        return " + ".join(s.replace(str(ROOT / ".."), "..") for s in sources)


MODELS = [
    Starter("drums_2bar", "cat-drums_2bar_small", str(GROOVE_MIDI)),
    Starter("groove_humanize", "groovae_2bar_humanize", str(GROOVE_MIDI),
            {"dropout_keep_prob": 0.7},
            "dropout keep probability 0.7 instead of Magenta's 0.3, which suits a 4x wider "
            "network trained for far more steps"),
    Starter("groove_tap2drum", "groovae_2bar_tap_fixed_velocity", str(GROOVE_MIDI),
            {"dropout_keep_prob": 0.7},
            "dropout keep probability 0.7 instead of Magenta's 0.3, which suits a 4x wider "
            "network trained for far more steps"),
    Starter("mel_2bar", "cat-mel_2bar_small", FOLK_TUNES),
]
BY_NAME = {model.name: model for model in MODELS}


def prepared(model: Starter, work: Path) -> PreparedData:
    """The model's training data, prepared once and kept in ``work``."""
    cache = work / f"{model.config_id}.data.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    began = time.perf_counter()
    sources = [model.source] if isinstance(model.source, str) else list(model.source)
    data = prepare(model.config_id, read_all(sources))
    print(f"{model.name}: data prepared in {time.perf_counter() - began:.0f} s")
    print(data.summary())
    work.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(data))
    return data


def train(model: Starter, work: Path, epochs: int, minutes: float) -> dict:
    """Train (or resume, up to ``epochs`` in all) one starter model in ``work/<name>`` for
    at most ``minutes`` more; its run record."""
    data = prepared(model, work)
    spec = vae_spec(model.config_id, **SIZES, **model.overrides)
    settings = FitSettings(epochs=epochs, batch_size=64, learning_rate=1e-3, clip_norm=1.0,
                           patience=4, max_minutes=minutes)
    return train_vae_on(data, work / model.name, spec, settings,
                        {"source": model.source_text, "starter": model.name})


# -- shipping: export, evaluate, card ----------------------------------------------------------

def held_out(data: PreparedData) -> tuple[str, list]:
    """The split the figures use: Groove MIDI's test split, else the eval split."""
    return ("test", data.test) if data.test else ("eval", data.eval)


def sanity(model: Starter, vae, windows: list) -> dict:
    """Musical sanity at temperature 1.0, and the same measure on the real held-out music."""
    rng = np.random.default_rng(0)
    real = [vae.converter.from_output(np.asarray(w.targets)) for w in windows]
    if model.config_id == "groovae_2bar_humanize":
        return {**ev.humanize_scores(vae, windows, temperature=1.0),
                "greedy": ev.humanize_scores(vae, windows, temperature=ev.GREEDY)}
    if model.config_id == "groovae_2bar_tap_fixed_velocity":
        mu = ev.encode_mu(vae, np.stack([np.asarray(w.inputs, np.float64) for w in windows]))
        made = [vae.converter.from_output(row) for row in
                vae.decoder(mu, vae.config.max_seq_len, 1.0, np.random.default_rng(0))]
        return {"drumified_windows": len(made), "temperature": 1.0,
                "kick_or_snare_beat_share": _mean(ev.beat_share(s, 120.0, BEATS) for s in made),
                "real_kick_or_snare_beat_share": _mean(ev.beat_share(s, 120.0, BEATS)
                                                       for s in real)}
    samples = vae.sample(SAMPLES, temperature=1.0, seed=0)
    if model.config_id == "cat-drums_2bar_small":
        return {"samples": SAMPLES,
                "kick_or_snare_beat_share": _mean(ev.beat_share(s, 120.0, BEATS)
                                                  for s in samples),
                "real_kick_or_snare_beat_share": _mean(ev.beat_share(s, 120.0, BEATS)
                                                       for s in real),
                "empty_samples": sum(not s.notes for s in samples)}
    shuffled = [_random_pitches(s, rng) for s in real]
    return {"samples": SAMPLES, "key_share": _mean(ev.key_share(s) for s in samples if s.notes),
            "real_key_share": _mean(ev.key_share(s) for s in real if s.notes),
            "random_pitch_key_share": _mean(ev.key_share(s) for s in shuffled if s.notes),
            "notes_per_sample": _mean(len(s.notes) for s in samples),
            "empty_samples": sum(not s.notes for s in samples)}


def _mean(values) -> float:
    return float(np.mean(list(values)))


def _random_pitches(sequence, rng: np.random.Generator):
    """The melody with each note's pitch drawn uniformly from its octave (a no-key
    baseline for the key share)."""
    copy = type(sequence)()
    copy.CopyFrom(sequence)
    for note in copy.notes:
        note.pitch = note.pitch - note.pitch % 12 + int(rng.integers(12))
    return copy


def _joined(sequences: list) -> object:
    """The 2-bar sequences one after another (each takes its whole 2 bars)."""
    for sequence in sequences:
        sequence.total_time = max(sequence.total_time, WINDOW_SECONDS)
    return sequences_lib.concatenate_sequences(sequences)


def sample_image(model: Starter, vae, windows: list, path: Path) -> str:
    """A pianoroll PNG of what the model does; returns its caption."""
    if model.config_id == "groovae_2bar_humanize":
        robotic = vae.converter.from_output(np.asarray(windows[0].targets))
        step = WINDOW_SECONDS / vae.config.max_seq_len
        for note in robotic.notes:
            note.start_time = round(note.start_time / step) * step
            note.end_time, note.velocity = note.start_time + step, 80
        shown = _joined([robotic, vae.humanize(robotic, seed=0)])
        caption = ("a held-out 2-bar beat played on the grid at one velocity, then the same "
                   "beat after humanize (opacity = velocity)")
    elif model.config_id == "groovae_2bar_tap_fixed_velocity":
        taps = vae.converter.from_output(np.asarray(windows[0].targets))
        shown = _joined([taps, vae.drumify(taps, seed=0)])
        caption = ("a held-out 2-bar beat, then drumify of its rhythm (every hit taken as a "
                   "tap)")
    elif model.config_id == "cat-drums_2bar_small":
        shown = _joined(vae.sample(4, temperature=1.0, seed=1))
        caption = "four 2-bar samples at temperature 1.0"
    else:
        a, b = (vae.converter.from_output(np.asarray(windows[k].targets)) for k in (0, 7))
        shown = _joined(vae.interpolate(a, b, 5, temperature=0.5, seed=0))
        caption = ("interpolation in 5 steps between two held-out 2-bar tunes (temperature "
                   "0.5)")
    roll = PianoRoll(shown, color_by="velocity", window_bars=10, title=f"{model.name}: "
                     f"{caption}")
    roll.to_png(path)
    return caption


def ship(model: Starter, work: Path, data: PreparedData, folder: Path) -> dict:
    """Export, evaluate and document one trained starter model into ``folder``."""
    run = RunFolder(work / model.name)
    record = run.read_record()
    folder.mkdir(parents=True, exist_ok=True)
    shipped = export_magentajs(run.path, folder / MODEL_FOLDER, overwrite=True)
    export_tar(run.path, work / f"{model.name}.tar")  # for check_magenta_loads_vae.py
    vae = mw.load_model(shipped)
    split, windows = held_out(data)
    scores = (ev.groove_scores(vae, data.train, windows) if vae.config.converter == "groove"
              else ev.categorical_scores(vae, data.train, windows))
    meta = {
        "name": model.name, "family": "music_vae", "config": model.config_id,
        "file": MODEL_FOLDER, "bytes": sum(f.stat().st_size for f in shipped.iterdir()),
        "network": record["network"], "hparams_changed": model.why,
        "data": {"source": model.source_text,
                 "licence": "public domain tunes from the music21 corpus (BSD)" if model.folk
                 else "CC BY 4.0",
                 "windows": {"train": len(data.train), "eval": len(data.eval),
                             "test": len(data.test)}, "held_out_split": split},
        "training": {"steps": record["steps"], "epochs": len(record["epochs"]),
                     "best_epoch": record["best_epoch"], "stopped": record["stopped"],
                     "seconds": record["epochs"][-1]["seconds"], "device": record["device"],
                     "batch_size": record["settings"]["batch_size"],
                     "learning_rate": record["settings"]["learning_rate"],
                     "best": record["epochs"][record["best_epoch"] - 1]},
        "held_out": scores, "sanity": sanity(model, vae, windows),
    }
    meta["sample"] = {"file": "sample.png",
                      "caption": sample_image(model, vae, windows, folder / "sample.png")}
    (folder / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    (folder / "card.md").write_text(card(model, meta))
    print(f"{model.name}: shipped to {folder} ({meta['bytes'] / 1e6:.2f} MB); Magenta's "
          f"tar of it: {work / f'{model.name}.tar'}")
    return meta


def _table(rows: list[tuple[str, str, str]]) -> str:
    lines = ["| measure | model | baseline |", "|---|---|---|"]
    return "\n".join(lines + [f"| {a} | {b} | {c} |" for a, b, c in rows])


def _figures(meta: dict) -> str:
    """The card's evaluation section: held-out scores against baselines, and sanity."""
    s, q = meta["held_out"], meta["sanity"]
    split = meta["data"]["held_out_split"]
    if "perplexity" in s:
        rows = [("reconstruction accuracy (greedy decode from z = mu, per 16th step)",
                 f"{s['reconstruction_accuracy']:.3f}",
                 f"{s['most_common_class_accuracy']:.3f} (always the most common class); "
                 f"{s['chance_accuracy']:.4f} (chance)"),
                ("teacher-forced accuracy", f"{s['teacher_forced_accuracy']:.3f}", ""),
                ("teacher-forced perplexity", f"{s['perplexity']:.2f}",
                 f"{s['bigram_perplexity']:.2f} (add-one bigram over the same classes)")]
    else:
        rows = [("hit F1 (greedy decode from z = mu)", f"{s['hit_f1']:.3f}",
                 f"{s['baseline_hit_f1']:.3f} (hit where the training windows usually hit "
                 "at that step)"),
                ("hit precision / recall", f"{s['hit_precision']:.3f} / {s['hit_recall']:.3f}",
                 f"{s['baseline_hit_precision']:.3f} / {s['baseline_hit_recall']:.3f}"),
                ("velocity error on hits it plays right (MIDI velocity)",
                 f"{s['velocity_error']:.1f}",
                 f"{s['baseline_velocity_error']:.1f} (the mean training velocity)"),
                ("timing error on hits it plays right (ms at 120 qpm)",
                 f"{s['timing_error_ms']:.1f}",
                 f"{s['baseline_timing_error_ms']:.1f} (on the grid)")]
    text = [f"Held out ({split} split, {s['windows']} 2-bar windows never trained on):", "",
            _table(rows), ""]
    config = meta["config"]
    if config == "groovae_2bar_humanize":
        g = q["greedy"]
        text += [f"Humanize of all {q['windows']} held-out beats given as hits only (no "
                 "velocities, on the grid):", "",
                 _table([("input hits kept (temperature 1.0 / greedy)",
                          f"{q['hits_kept']:.3f} / {g['hits_kept']:.3f}", "1.0 (unchanged)"),
                         ("hits added per 2 bars", f"{q['hits_added_per_window']:.2f} / "
                          f"{g['hits_added_per_window']:.2f}", "0"),
                         ("velocity spread (std, MIDI velocity)", f"{q['velocity_std']:.1f}",
                          f"0 in the input; {q['real_velocity_std']:.1f} played by the drummer"),
                         ("mean timing offset from the grid (ms)",
                          f"{q['timing_mean_abs_ms']:.1f}",
                          f"0 in the input; {q['real_timing_mean_abs_ms']:.1f} played")])]
    elif config == "groovae_2bar_tap_fixed_velocity":
        text += [f"Drumify of all {q['drumified_windows']} held-out rhythms (the beats above "
                 "reduced to taps) at temperature 1.0:", "",
                 _table([("share of quarter-note beats with a kick or snare",
                          f"{q['kick_or_snare_beat_share']:.3f}",
                          f"{q['real_kick_or_snare_beat_share']:.3f} in the drummers' beats")])]
    elif config == "cat-drums_2bar_small":
        text += [f"{q['samples']} samples at temperature 1.0 (z from N(0, I)):", "",
                 _table([("share of quarter-note beats with a kick or snare",
                          f"{q['kick_or_snare_beat_share']:.3f}",
                          f"{q['real_kick_or_snare_beat_share']:.3f} in held-out beats"),
                         ("empty samples", str(q["empty_samples"]), "")])]
    else:
        text += [f"{q['samples']} samples at temperature 1.0 (z from N(0, I)):", "",
                 _table([("share of notes in the best-fitting major / minor scale",
                          f"{q['key_share']:.3f}",
                          f"{q['real_key_share']:.3f} held-out tunes; "
                          f"{q['random_pitch_key_share']:.3f} the same tunes with random "
                          "pitches"),
                         ("notes per 2-bar sample", f"{q['notes_per_sample']:.1f}", ""),
                         ("empty samples", str(q["empty_samples"]), "")])]
    return "\n".join(text)


def card(model: Starter, meta: dict) -> str:
    """The model card (markdown)."""
    net, train = meta["network"], meta["training"]
    windows = meta["data"]["windows"]
    credit = FOLK_CREDIT if model.folk else GROOVE_CREDIT
    changed = "" if model.why == "none" else f" Changed from Magenta's hparams: {model.why}."
    beta_end = net["max_beta"] * (1.0 - net["beta_rate"] ** train["steps"])
    augmented = (" Training windows transposed at random by -5..+5 semitones, as Magenta's "
                 "augmenter does." if model.folk else "")
    if model.folk:
        changed += (" With Magenta's slow KL schedule a run this short stays close to an "
                    "autoencoder: reconstruction and interpolation are its strength, and "
                    "samples from N(0, I) are less typical than a fully trained model's.")
    return f"""# {model.name}: MusicVAE `{model.config_id}`

Magenta's `{model.config_id}` MusicVAE, trained by magwidgets on openly licensed data, at
smaller sizes so it ships inside the package ({meta['bytes'] / 1e6:.2f} MB). Load it with
`mw.load_model("starter:{model.name}")`. It is stored as a Magenta.js checkpoint folder
(`magentajs/`: float32 weights under Magenta's variable names, read with NumPy alone), so
Magenta.js loads it too; the same weights exported as Magenta's checkpoint `.tar`
(`magwidgets export <run> --format mag`) load in Magenta 2.1.4's `TrainedModel` with the
sizes below as hparams.

## Data

{credit}

Windows (2 bars, 16th-note steps, extracted by Magenta's rules): {windows['train']} train,
{windows['eval']} eval, {windows['test']} test.

## Network and training

- Encoder: bidirectional LSTM, {' x '.join(map(str, net['enc_rnn_size']))} units each way;
  z size {net['z_size']}; decoder: LSTM {' x '.join(map(str, net['dec_rnn_size']))}
  (Magenta's `{model.config_id}`: encoder 512, decoder 256 x 256, z 256).
- Loss as Magenta's: reconstruction + beta x max(KL - free bits, 0), free bits
  {net['free_bits']:g}, max beta {net['max_beta']:g}, beta rate {net['beta_rate']:g};
  dropout keep probability {net['dropout_keep_prob']:g}.{changed}
- KL weight beta = max beta x (1 - beta rate ^ step): {beta_end:.3f} at the last step.
- Adam, learning rate {train['learning_rate']:g} (constant), gradient norm clipped at 1,
  batch {train['batch_size']}, teacher forcing.{augmented}
- {train['steps']} steps in {train['epochs']} epochs ({train['seconds'] / 60:.1f} min on
  {train['device']}, stopped by {train['stopped']}); the checkpoint is epoch
  {train['best_epoch']}, the lowest eval reconstruction loss
  ({train['best']['eval_loss']:.3f} nats per step, KL {train['best']['eval_kl_bits']:.1f} bits).

## Evaluation

{_figures(meta)}

## Sample

![sample](sample.png)

{meta['sample']['caption'].capitalize()}.

Made by `scripts/train_vae_starters.py`; the figures by `magwidgets.train.vae_evaluate`.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=sorted(BY_NAME), help="models to do")
    parser.add_argument("--stage", choices=("train", "ship", "all"), default="all")
    parser.add_argument("--work", type=Path, default=Path("/tmp/magwidgets-vae-starters"),
                        help="folder for prepared data and training runs")
    parser.add_argument("--minutes", type=float, default=MINUTES,
                        help="training time per model (per resumed session)")
    parser.add_argument("--epochs", type=int, default=EPOCHS,
                        help="epochs in all; raise it to resume a finished run")
    args = parser.parse_args()
    for name in args.only or [model.name for model in MODELS]:
        model = BY_NAME[name]
        if args.stage in ("train", "all"):
            record = train(model, args.work, args.epochs, args.minutes)
            print(f"{name}: {record['steps']} steps, stopped by {record['stopped']}")
        if args.stage in ("ship", "all"):
            ship(model, args.work, prepared(model, args.work), STARTERS / name)


if __name__ == "__main__":
    main()
