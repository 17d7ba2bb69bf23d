"""How good is a trained event RNN? A baseline to beat, musical sanity checks, a model card.

- Baseline: an add-one-smoothed bigram model over the same event vocabulary (the next
  event's class given the previous one), fitted on the training labels and scored on the
  held-out labels, as perplexity per event -- the model must be clearly below it.
- Musical sanity, on samples drawn at temperature 1.0 with the NumPy engine: what a musician
  would check first for each family (kick or snare on the beats, notes in one key, chord
  tones over the chords, note density and pitch range like the data's).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from note_seq import chord_symbols_lib
from note_seq.drums_encoder_decoder import DEFAULT_DRUM_TYPE_PITCHES
from note_seq.protobuf import music_pb2

from magwidgets.io.sequences import tempo_of
from magwidgets.train.data import Example
from magwidgets.train.families import family_id

SAMPLES = 50
TEMPERATURE = 1.0
BARS = 4  # per sample, for the step-based families
PERFORMANCE_SECONDS = 5.0
PERFORMANCE_STEPS_PER_SECOND = 100
KICK_AND_SNARE = frozenset(DEFAULT_DRUM_TYPE_PITCHES[0] + DEFAULT_DRUM_TYPE_PITCHES[1])
MAJOR = (0, 2, 4, 5, 7, 9, 11)
HARMONIC_MINOR = (0, 2, 3, 5, 7, 8, 11)
BACKING = ["C", "Am", "F", "G7", "Dm7", "G7", "C", "C"]  # a common classroom progression
PITCH_PERCENTILES = (5, 95)


def bigram_perplexity(train: Sequence[Example], held_out: Sequence[Example],
                      num_classes: int) -> float:
    """Perplexity per event of an add-one bigram model of the labels (a sequence's first
    label from add-one unigram counts) fitted on ``train``, scored on ``held_out``."""
    pairs = np.ones((num_classes, num_classes))
    firsts = np.ones(num_classes)
    for example in train:
        labels = np.asarray(example.targets, np.intp)
        firsts[labels[0]] += 1
        np.add.at(pairs, (labels[:-1], labels[1:]), 1)
    pairs /= pairs.sum(axis=1, keepdims=True)
    firsts /= firsts.sum()
    total, count = 0.0, 0
    for example in held_out:
        labels = np.asarray(example.targets, np.intp)
        total -= math.log(firsts[labels[0]]) + np.log(pairs[labels[:-1], labels[1:]]).sum()
        count += len(labels)
    return math.exp(total / count)


def _onsets(sequence: music_pb2.NoteSequence, after: float) -> list[music_pb2.NoteSequence.Note]:
    return [note for note in sequence.notes if note.start_time >= after - 1e-6]


def pitch_profile(sequences: Sequence[music_pb2.NoteSequence]) -> dict[str, float]:
    """Notes per second and the pitch range (5th-95th percentile) of some music."""
    pitches = [note.pitch for sequence in sequences for note in sequence.notes]
    seconds = sum(sequence.total_time for sequence in sequences)
    low, high = np.percentile(pitches, PITCH_PERCENTILES) if pitches else (0, 0)
    return {"notes_per_second": len(pitches) / seconds if seconds else 0.0,
            "pitch_low": float(low), "pitch_high": float(high)}


def _beat_hits(sequence: music_pb2.NoteSequence, start: float, qpm: float) -> tuple[int, int]:
    """(beats with a kick or snare onset, beats) from ``start`` on."""
    beat = 60.0 / qpm
    count = round((sequence.total_time - start) / beat)
    hit = {round((note.start_time - start) / beat) for note in _onsets(sequence, start)
           if note.pitch in KICK_AND_SNARE and
           abs((note.start_time - start) / beat - round((note.start_time - start) / beat)) < 1e-3}
    return len(hit & set(range(count))), count


def scale_share(pitches: Sequence[int]) -> float:
    """Share of notes in the best-fitting major or (harmonic) minor scale."""
    if not pitches:
        return 0.0
    classes = Counter(pitch % 12 for pitch in pitches)
    best = max(sum(classes[(tonic + degree) % 12] for degree in scale)
               for tonic in range(12) for scale in (MAJOR, HARMONIC_MINOR))
    return best / len(pitches)


def chord_tone_share(sequence: music_pb2.NoteSequence, after: float) -> tuple[int, int]:
    """(notes whose pitch class is in the chord sounding at their onset, notes) from
    ``after`` on, with the chords from the sequence's CHORD_SYMBOL annotations."""
    chords = sorted((annotation.time, set(chord_symbols_lib.chord_symbol_pitches(annotation.text)))
                    for annotation in sequence.text_annotations
                    if annotation.annotation_type == music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL
                    and annotation.text != "N.C.")
    inside = total = 0
    for note in _onsets(sequence, after):
        sounding = [pitches for time, pitches in chords if time <= note.start_time + 1e-6]
        if sounding:
            total += 1
            inside += (note.pitch % 12) in sounding[-1]
    return inside, total


def sample_sanity(model: Any, family: str, samples: int = SAMPLES,
                  temperature: float = TEMPERATURE, seed: int = 0) -> dict[str, Any]:
    """The musical checks of ``family`` over ``samples`` generations from scratch."""
    steps = sanity_steps(family)
    generated = []
    for index in range(samples):
        options = {"chords": BACKING} if family == "improv_rnn" else {}
        generated.append(model.generate(steps=steps, temperature=temperature,
                                        seed=seed + index, **options))
    result: dict[str, Any] = {"samples": samples, "temperature": temperature}
    if family == "drums_rnn":
        hits = [_beat_hits(sequence, 0.0, tempo_of(sequence))
                for sequence in generated]
        result["beats_with_kick_or_snare"] = sum(h for h, _ in hits) / max(1, sum(b for _, b in hits))
    elif family == "melody_rnn":
        shares = [scale_share([note.pitch for note in sequence.notes]) for sequence in generated]
        result["notes_in_best_scale"] = float(np.mean(shares))
    elif family == "improv_rnn":
        counts = [chord_tone_share(sequence, 0.0) for sequence in generated]
        inside, total = sum(c for c, _ in counts), sum(t for _, t in counts)
        result["chord_tones"] = inside / max(1, total)
        result["non_chord_tones"] = 1.0 - result["chord_tones"] if total else 0.0
    result.update(pitch_profile(generated))
    result["notes_per_sample"] = float(np.mean([len(sequence.notes) for sequence in generated]))
    return result


_CHECKS = (  # (key, label, shown as a share?)
    ("beats_with_kick_or_snare", "beats with a kick or snare", True),
    ("notes_in_best_scale", "notes in the best-fitting major/minor scale", True),
    ("chord_tones", "chord tones (pitch class in the sounding chord)", True),
    ("non_chord_tones", "non-chord tones", True),
    ("notes_per_second", "notes per second", False),
    ("pitch_low", "pitch range, 5th percentile (MIDI)", False),
    ("pitch_high", "pitch range, 95th percentile (MIDI)", False),
    ("notes_per_sample", "notes per sample", False),
)


def _sanity_table(sanity: dict[str, Any], reference: dict[str, float] | None) -> list[str]:
    """Markdown rows: each check on the samples, and on the held-out data where known."""
    def shown(value: float, share: bool) -> str:
        return f"{value:.0%}" if share else f"{value:.1f}"

    lines = ["| check | samples | held-out data |", "|---|---|---|"]
    for key, label, share in _CHECKS:
        if key in sanity:
            known = reference is not None and key in reference
            lines.append(f"| {label} | {shown(sanity[key], share)} | "
                         f"{shown(reference[key], share) if known else ''} |")
    return lines


def write_model_card(name: str, run_dir: Path, folder: Path, data_note: str,
                     model_file: str) -> dict[str, Any]:
    """Evaluate the model in ``folder / model_file`` (trained in ``run_dir``) and write
    ``card.md``, ``sample.png`` and ``meta.json`` next to it; returns the figures."""
    import magwidgets as mw
    from magwidgets.render.pianoroll_figure import PianoRoll

    record = json.loads((Path(run_dir) / "run.json").read_text())
    family = family_id(record["family"])
    model = mw.load_model(folder / model_file, config=record["config"])
    best = record["epochs"][record["best_epoch"] - 1]
    sanity = sample_sanity(model, family)
    sample = model.generate(steps=sanity_steps(family), temperature=TEMPERATURE, seed=1234,
                            **({"chords": BACKING} if family == "improv_rnn" else {}))
    PianoRoll(sample).to_png(folder / "sample.png")
    (folder / "meta.json").write_text(json.dumps(
        {"name": name, "family": family, "config": record["config"], "file": model_file}, indent=1) + "\n")
    network = record["network"]
    baseline = record["baseline"]
    data = record["data"]
    lines = [
        f"# Starter model `{name}`: {record['config']} ({family})", "",
        f"Load it with `mw.load_model(\"starter:{name}\")`.", "",
        "## Data and licence", "", data_note, "",
        f"Source: `{record['source']}`. Files read: {data['files_read']}; examples: "
        + ", ".join(f"{split} {count}" for split, count in data["examples"].items()) +
        (f" (training cut into {record['window']}-step windows)" if record.get("window") else "")
        + ".", "",
        "## Network and training", "",
        f"- config `{record['config']}`: LSTM layers {network['layer_sizes']}"
        + (f", attention over the last {network['attention_length']} outputs around "
           f"{'the first layer' if network['attention_wraps'] == 'first' else 'the whole stack'}"
           if network["attention_length"] else "")
        + f"; {network['input_size']} inputs, {network['num_classes']} classes",
        f"- Adam, learning rate {record['settings']['learning_rate']}, batch "
        f"{record['settings']['batch_size']}, gradient clip {record['settings']['clip_norm']}, "
        f"dropout keep {network['dropout_keep_prob']}",
        f"- {record['steps']} training steps in {len(record['epochs'])} epochs "
        f"({record['stopped']}), {best['seconds']:.0f} s to the best epoch on {record['device']}; "
        f"the exported weights are epoch {best['epoch']}'s (lowest eval loss)", "",
        "## Evaluation on held-out data", "",
        "| | perplexity per event | accuracy |", "|---|---|---|",
        f"| this model | {best['eval_perplexity']:.2f} | {best['eval_accuracy']:.1%} |",
        f"| add-one bigram baseline (same events) | {baseline:.2f} | |", "",
        f"## Musical sanity: {sanity['samples']} samples at temperature {TEMPERATURE}", "",
    ]
    lines += _sanity_table(sanity, record.get("held_out_profile"))
    if family == "improv_rnn":
        lines += ["", f"Backing chords (one per bar, repeated): {' '.join(BACKING)}."]
    lines += ["", "## Sample", "", "![a sample at temperature 1.0](sample.png)", "",
              "Rebuild with `python scripts/train_starter_models.py " + name + "`.", ""]
    (folder / "card.md").write_text("\n".join(lines), encoding="utf-8")
    return {"perplexity": best["eval_perplexity"], "baseline": baseline, **sanity}


def sanity_steps(family: str) -> int:
    """Steps of one sample: four bars of sixteenths, or five seconds of performance."""
    if family == "performance_rnn":
        return int(PERFORMANCE_SECONDS * PERFORMANCE_STEPS_PER_SECOND)
    return BARS * 16
