"""Onsets and Frames speed and memory at the MAESTRO checkpoint's size, random weights.

Both configs (``onsets_frames``: bidirectional, 22.6 M weights; ``onsets_frames_uni``:
unidirectional, 19.9 M), weights of the release shapes under Magenta's own variable names
(read through ``checkpoint.canonical_weights``). The audio is the piano fixture WAV repeated
to ``--seconds`` (60). It times ``transcribe`` (WAV samples -> mel -> network ->
NoteSequence; median of 3 after a warm-up), prints the mel/network split, the real-time
factor, the CPU seconds (all threads) and, with ``tracemalloc``, the peak memory of ``predict`` for 30/60/120 s of audio.

Magenta side by side: with ``MAGENTA_PYTHON`` set (and librosa 0.7.2 in ``OF_PYLIB``), it
runs ``onsets_frames_magenta.py`` on the same WAV (Magenta's warm session); otherwise it
quotes the fixture README's Magenta timings (5 s clips), labelled as such.

    python benchmarks/onsets_frames_speed.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from magwidgets.families.onsets_frames.checkpoint import canonical_weights  # noqa: E402
from magwidgets.families.onsets_frames.mel import mel_spectrogram  # noqa: E402
from magwidgets.families.onsets_frames.model import OnsetsAndFrames  # noqa: E402
from magwidgets.families.onsets_frames.network import build_network  # noqa: E402

FIXTURES = ROOT / "tests/fixtures/magenta-oracle/onsets_frames"
REPEATS = 3
# The fixture README's Magenta 2.1.4 timings (2 cores, TF 2.15.1, full size, random init,
# warm tf.Session "forward" incl. mel and predict_sequence, median of 3), 5.0 s piano clip.
README_MAGENTA_FORWARD_S = {"onsets_frames": 0.71, "onsets_frames_uni": 0.82}
README_CLIP_S = 80123 / 16000
FILTERS, FC_SIZE, UNITS, PITCHES = (48, 48, 96), 768, 256, 88


def release_variables(bidirectional: bool, seed: int = 0) -> dict[str, np.ndarray]:
    """Random variables of the MAESTRO checkpoint's shapes under Magenta's names
    (model.py for the bidirectional config, model_tpu.py for the unidirectional one)."""
    rng = np.random.default_rng(seed)

    def draw(*shape, scale=None):
        fan_in = np.prod(shape[:-1]) if len(shape) > 1 else 1
        return (rng.standard_normal(shape) * (scale or 1 / np.sqrt(fan_in))).astype(np.float32)

    v = {}
    for stack in ("onsets", "offsets", "velocity", "frame"):
        channels = 1
        for k, filters in enumerate(FILTERS):
            v[f"{stack}/conv{k}/weights"] = draw(3, 3, channels, filters)
            v[f"{stack}/conv{k}/BatchNorm/beta"] = draw(filters, scale=0.1)
            v[f"{stack}/conv{k}/BatchNorm/moving_mean"] = draw(filters, scale=0.1)
            v[f"{stack}/conv{k}/BatchNorm/moving_variance"] = np.ones(filters, np.float32)
            channels = filters
        v[f"{stack}/fc_end/weights"] = draw(57 * FILTERS[-1], FC_SIZE)
        v[f"{stack}/fc_end/biases"] = draw(FC_SIZE, scale=0.1)
    for stack, inputs in (("onsets", FC_SIZE), ("offsets", FC_SIZE), ("frame", 3 * PITCHES)):
        cells = ([f"{stack}/cudnn_lstm/stack_bidirectional_rnn/cell_0/bidirectional_rnn/{d}/"
                  "cudnn_compatible_lstm_cell" for d in ("fw", "bw")] if bidirectional
                 else [f"{stack}/lstm/rnn/multi_rnn_cell/cell_0/basic_lstm_cell"])
        for cell in cells:
            v[f"{cell}/kernel"] = draw(inputs + UNITS, 4 * UNITS)
            v[f"{cell}/bias"] = draw(4 * UNITS, scale=0.1)
    suffix = "probs" if bidirectional else "logits"
    width = UNITS * (2 if bidirectional else 1)
    for name, inputs in ((f"onsets/onset_{suffix}", width), (f"offsets/offset_{suffix}", width),
                         (f"frame/frame_{suffix}", width), ("velocity/onset_velocities", FC_SIZE),
                         (f"frame/activation_{suffix}", FC_SIZE)):
        v[f"{name}/weights"] = draw(inputs, PITCHES)
        v[f"{name}/biases"] = draw(PITCHES, scale=0.1)
    return v


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def audio(seconds: float) -> np.ndarray:
    pcm, _ = soundfile.read(FIXTURES / "piano.wav", dtype="int16")
    clip = pcm.astype(np.float32) / np.float32(32767)
    return np.tile(clip, int(np.ceil(seconds * 16000 / len(clip))))[:int(seconds * 16000)]


def peak_mb(model: OnsetsAndFrames, samples: np.ndarray) -> float:
    mel = mel_spectrogram(samples)
    tracemalloc.start()
    model.forward(mel)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2 ** 20


def ours(seconds: float) -> dict:
    samples = audio(seconds)
    results = {}
    for name, bidirectional in (("onsets_frames", True), ("onsets_frames_uni", False)):
        variables = release_variables(bidirectional)
        model = OnsetsAndFrames(build_network(canonical_weights(variables, Path(name)),
                                              Path(name)), Path(name))
        model.transcribe(samples[:16000 * 5])  # warm-up
        totals, mels, cpu = [], [], []
        for _ in range(REPEATS):
            start, start_cpu = time.perf_counter(), cpu_seconds()
            mel = mel_spectrogram(samples)
            middle = time.perf_counter()
            model.decode(model.forward(mel))
            totals.append(time.perf_counter() - start)
            cpu.append(cpu_seconds() - start_cpu)
            mels.append(middle - start)
        clip = audio(README_CLIP_S)
        short = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            model.transcribe(clip)
            short.append(time.perf_counter() - start)
        results[name] = {
            "magenta_parameters": int(sum(v.size for v in variables.values())),
            "median_s": statistics.median(totals), "all_s": totals,
            "cpu_median_s": statistics.median(cpu),
            "mel_median_s": statistics.median(mels), "clip_5s_median_s": statistics.median(short),
            "peak_mb": {f"{s}s": round(peak_mb(model, audio(s)), 1) for s in (30, 60, 120)},
            "threads": model.threads, "chunk_frames": model.chunk_frames}
    return results


def magenta(seconds: float) -> tuple[dict | None, str]:
    python = os.environ.get("MAGENTA_PYTHON")
    tools = next((p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared")
                  if (p / "fixtures/magenta-oracle/tools").is_dir()), None)
    if not python or tools is None:
        return None, "MAGENTA_PYTHON not set" if not python else "no Magenta oracle tools"
    with tempfile.TemporaryDirectory() as folder:
        results = {}
        for label, length in (("long", seconds), ("clip_5s", README_CLIP_S)):
            wav = Path(folder) / f"{label}.wav"
            soundfile.write(wav, audio(length), 16000, subtype="PCM_16")
            run = subprocess.run([python, str(ROOT / "benchmarks/onsets_frames_magenta.py"),
                                  str(tools / "fixtures/magenta-oracle/tools"), str(wav)],
                                 capture_output=True, text=True, timeout=1800)
            if run.returncode != 0:
                return None, "Magenta run failed: " + run.stderr.strip()[-400:]
            results[label] = json.loads(run.stdout.strip().splitlines()[-1])
    return results, "measured now"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    print("load average before:", os.getloadavg())
    mine = ours(args.seconds)
    print("load average after magwidgets:", os.getloadavg())
    theirs, how = magenta(args.seconds)
    print("load average after Magenta:", os.getloadavg())
    for name, r in mine.items():
        print(f"\n{name} ({r['magenta_parameters']:,} weights as Magenta counts them; "
              f"{r['threads']} threads, chunks of {r['chunk_frames']} frames)")
        print(f"  magwidgets, {args.seconds:.0f} s of audio: {r['median_s']:.2f} s median "
              f"(mel {r['mel_median_s']:.2f} s) = {args.seconds / r['median_s']:.1f}x real time;"
              f" all {[round(t, 2) for t in r['all_s']]}; CPU {r['cpu_median_s']:.2f} s")
        print(f"  magwidgets, 5.0 s clip: {r['clip_5s_median_s']:.3f} s")
        print(f"  peak memory of predict (tracemalloc): {r['peak_mb']} MB")
        if theirs:
            long, clip = theirs["long"][name], theirs["clip_5s"][name]
            print(f"  Magenta 2.1.4 warm session ({how}), {args.seconds:.0f} s: "
                  f"{long['median_s']:.2f} s (CPU {long['cpu_median_s']:.2f} s) = "
                  f"{args.seconds / long['median_s']:.1f}x real time "
                  f"-> Magenta time / magwidgets time = {long['median_s'] / r['median_s']:.2f}; 5.0 s "
                  f"clip: {clip['median_s']:.3f} s -> "
                  f"{clip['median_s'] / r['clip_5s_median_s']:.2f}")
        else:
            quoted = README_MAGENTA_FORWARD_S[name]
            print(f"  Magenta 2.1.4 warm session, 5.0 s clip: {quoted:.2f} s (QUOTED from the "
                  f"fixture README, not measured: {how}) -> Magenta time / magwidgets time = "
                  f"{quoted / r['clip_5s_median_s']:.2f}")


if __name__ == "__main__":
    main()
