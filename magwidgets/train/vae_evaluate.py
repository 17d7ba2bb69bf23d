"""How well a trained MusicVAE / GrooVAE does on held-out windows, against simple baselines.

Everything runs on the NumPy engine (the model as shipped), on the windows
``magwidgets.train.data.prepare`` made (``Example.inputs`` / ``Example.targets``):

- ``categorical_scores``: reconstruction from z = mu — per-step accuracy of a greedy decode
  (the decoder fed its own choices) and teacher-forced accuracy and perplexity (fed the
  truth, Magenta's training metric) — against chance, the most frequent class and an
  add-one-smoothed bigram model over the same classes fitted on the training windows.
- ``groove_scores``: hits (accuracy, precision, recall, F1 per step and drum), velocity and
  timing errors on the hits it gets right, against a baseline that hits a drum where the
  training windows most often do at that step of the 2 bars, at their mean velocity, on the
  grid.
- ``humanize_scores``: what Groove does to held-out beats given without dynamics and timing:
  share of hits kept, how far velocities and timing move, against the real performance.
- ``beat_share`` / ``key_share``: musical sanity of NoteSequences (kick or snare on a beat;
  notes inside the best major or minor scale).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from note_seq.protobuf import music_pb2

from magwidgets.families.music_vae import MusicVAE
from magwidgets.families.music_vae.network import initial_state, stack_step
from magwidgets.train.data import Example

GREEDY = 1e-5  # a temperature low enough that sampling picks the most likely output
KICK, SNARE = 0, 1  # GrooVAE / drums class indices of the bass drum and the snare
KICK_SNARE_PITCHES = frozenset({35, 36, 38, 40, 37})  # General MIDI kicks, snares, rimshot
MAJOR = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR = (0, 2, 3, 5, 7, 8, 10)
BATCH = 256


def _stack(examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    inputs = np.stack([np.asarray(e.inputs, np.float64) for e in examples])
    targets = np.stack([np.asarray(e.targets) for e in examples])
    return inputs, targets


def encode_mu(vae: MusicVAE, inputs: np.ndarray) -> np.ndarray:
    """mu for each window of ``inputs`` [n, steps, depth], in batches."""
    return np.concatenate([vae.encoder(inputs[i:i + BATCH],
                                       np.full(len(inputs[i:i + BATCH]), inputs.shape[1]))[0]
                           for i in range(0, len(inputs), BATCH)])


def teacher_forced_logits(vae: MusicVAE, z: np.ndarray,
                          decoder_inputs: np.ndarray) -> np.ndarray:
    """The decoder's raw outputs [n, steps, depth] from ``z``, each step fed the given input
    (the previous target: teacher forcing, as in training)."""
    decoder = vae.decoder
    state = initial_state(z, decoder.initial, decoder.cells)
    steps = []
    for t in range(decoder_inputs.shape[1]):
        top = stack_step(decoder.cells, np.concatenate([decoder_inputs[:, t], z], 1), state)
        steps.append(top @ decoder.output[0] + decoder.output[1])
    return np.stack(steps, axis=1)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=-1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))


def bigram_perplexity(train: np.ndarray, held_out: np.ndarray, classes: int) -> float:
    """Perplexity on ``held_out`` class rows [n, steps] of an add-one-smoothed bigram model
    fitted on ``train`` rows (the first step conditioned on a start symbol)."""
    counts = np.ones((classes + 1, classes))

    def pairs(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        previous = np.concatenate([np.full((len(rows), 1), classes), rows[:, :-1]], axis=1)
        return previous.ravel(), rows.ravel()

    np.add.at(counts, pairs(train), 1.0)
    log_probs = np.log(counts / counts.sum(axis=1, keepdims=True))
    return float(math.exp(-log_probs[pairs(held_out)].mean()))


def categorical_scores(vae: MusicVAE, train: Sequence[Example], held_out: Sequence[Example],
                       seed: int = 0) -> dict[str, float]:
    """Held-out reconstruction of a categorical MusicVAE (melody or drums) and baselines."""
    inputs, targets = _stack(held_out)
    classes = vae.decoder.output_depth
    mu = encode_mu(vae, inputs)
    greedy = np.concatenate([vae.decoder(mu[i:i + BATCH], targets.shape[1], GREEDY,
                                         np.random.default_rng(seed))
                             for i in range(0, len(mu), BATCH)])
    previous = np.zeros(targets.shape + (classes,))
    previous[:, 1:] = np.eye(classes)[targets[:, :-1]]
    log_probs = _log_softmax(np.concatenate([
        teacher_forced_logits(vae, mu[i:i + BATCH], previous[i:i + BATCH])
        for i in range(0, len(mu), BATCH)]))
    picked = np.take_along_axis(log_probs, targets[..., None], -1)[..., 0]
    train_targets = np.stack([np.asarray(e.targets) for e in train])
    most_common = np.bincount(train_targets.ravel(), minlength=classes).argmax()
    return {
        "windows": len(targets),
        "reconstruction_accuracy": float((greedy == targets).mean()),
        "teacher_forced_accuracy": float((log_probs.argmax(-1) == targets).mean()),
        "perplexity": float(math.exp(-picked.mean())),
        "chance_accuracy": 1.0 / classes,
        "most_common_class_accuracy": float((targets == most_common).mean()),
        "bigram_perplexity": bigram_perplexity(train_targets, targets, classes),
    }


def _hit_scores(predicted: np.ndarray, truth: np.ndarray, prefix: str) -> dict[str, float]:
    true_positive = float((predicted & truth).sum())
    precision = true_positive / max(predicted.sum(), 1)
    recall = true_positive / max(truth.sum(), 1)
    return {f"{prefix}hit_accuracy": float((predicted == truth).mean()),
            f"{prefix}hit_precision": precision, f"{prefix}hit_recall": recall,
            f"{prefix}hit_f1": 2 * precision * recall / max(precision + recall, 1e-12)}


def groove_scores(vae: MusicVAE, train: Sequence[Example], held_out: Sequence[Example],
                  seed: int = 0) -> dict[str, float]:
    """Held-out greedy reconstruction of a GrooVAE and the step-position baseline: hit
    scores, and mean absolute velocity (0-127) and timing (ms at 120 qpm) errors on the
    hits both the drummer and the model play (against the mean training velocity, and the
    grid)."""
    inputs, targets = _stack(held_out)
    mu = encode_mu(vae, inputs)
    outputs = np.concatenate([vae.decoder(mu[i:i + BATCH], targets.shape[1], GREEDY,
                                          np.random.default_rng(seed))
                              for i in range(0, len(mu), BATCH)])
    hits, velocities, offsets = np.split(targets, 3, axis=-1)
    truth = hits > 0.5
    train_hits, train_velocities, _ = np.split(_stack(train)[1], 3, axis=-1)
    position_rate = train_hits.mean(axis=0)  # [steps, drums]
    mean_velocity = train_velocities[train_hits > 0.5].mean()
    baseline = np.broadcast_to(position_rate > 0.5, truth.shape)
    out_hits, out_velocities, out_offsets = np.split(outputs, 3, axis=-1)
    step_ms = 60_000.0 / 120.0 / vae.config.steps_per_quarter
    scores = {"windows": len(targets), **_hit_scores(out_hits > 0.5, truth, ""),
              **_hit_scores(baseline, truth, "baseline_")}
    both = truth & (out_hits > 0.5)
    scores["velocity_error"] = float(127 * np.abs(out_velocities - velocities)[both].mean())
    scores["baseline_velocity_error"] = float(127 * np.abs(mean_velocity - velocities)[both]
                                              .mean())
    scores["timing_error_ms"] = float(step_ms / 2 * np.abs(out_offsets - offsets)[both].mean())
    scores["baseline_timing_error_ms"] = float(step_ms / 2 * np.abs(offsets)[both].mean())
    return scores


def humanize_scores(vae: MusicVAE, held_out: Sequence[Example], temperature: float = 1.0,
                    seed: int = 0) -> dict[str, float]:
    """Groove on held-out beats given as hits only: the share of input hits the output
    keeps, hits it adds, the spread of its velocities and timing (the input has none), and
    the same spreads in the real performances."""
    inputs, targets = _stack(held_out)
    mu = encode_mu(vae, inputs)
    outputs = np.concatenate([vae.decoder(mu[i:i + BATCH], targets.shape[1], temperature,
                                          np.random.default_rng(seed))
                              for i in range(0, len(mu), BATCH)])
    given = np.split(inputs, 3, axis=-1)[0] > 0.5
    out_hits, out_velocities, out_offsets = np.split(outputs, 3, axis=-1)
    _, real_velocities, real_offsets = np.split(targets, 3, axis=-1)
    played = out_hits > 0.5
    kept = given & played
    step_ms = 60_000.0 / 120.0 / vae.config.steps_per_quarter
    return {"windows": len(targets), "temperature": temperature,
            "hits_kept": float(kept.sum() / max(given.sum(), 1)),
            "hits_added_per_window": float((played & ~given).sum() / len(targets)),
            "velocity_std": float(127 * out_velocities[kept].std()),
            "real_velocity_std": float(127 * real_velocities[given].std()),
            "timing_mean_abs_ms": float(step_ms / 2 * np.abs(out_offsets[kept]).mean()),
            "real_timing_mean_abs_ms": float(step_ms / 2 * np.abs(real_offsets[given]).mean())}


def beat_share(sequence: music_pb2.NoteSequence, qpm: float, beats: int) -> float:
    """Share of the first ``beats`` quarter-note beats with a kick or snare starting within
    a sixteenth of the beat (the sequence at ``qpm``)."""
    beat_seconds = 60.0 / qpm
    tolerance = beat_seconds / 4 / 2
    onsets = [n.start_time for n in sequence.notes if n.pitch in KICK_SNARE_PITCHES]
    on_beat = [any(abs(t - k * beat_seconds) <= tolerance for t in onsets) for k in range(beats)]
    return float(np.mean(on_beat))


def key_share(sequence: music_pb2.NoteSequence) -> float:
    """Share of the notes (weighted by count) inside the best-fitting major or natural
    minor scale over all 12 tonics; 0 for a sequence without notes."""
    pitches = np.bincount([n.pitch % 12 for n in sequence.notes], minlength=12)
    if not pitches.sum():
        return 0.0
    best = max(pitches[[(tonic + step) % 12 for step in scale]].sum()
               for tonic in range(12) for scale in (MAJOR, NATURAL_MINOR))
    return float(best / pitches.sum())
