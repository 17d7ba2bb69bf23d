"""Speed of NSynth decoding (fast generation) at the released h512_bo16 size, random weights.

Reports samples per second at batch 1 and 8 (median over runs of one 512-sample frame, after
a warm-up), beside two bounds measured on this machine: the time to stream the weights one
sample reads from memory once (single-thread read bandwidth), for Magenta's layout (every tap
every sample) and for ours (past taps once per block). Magenta's own fast generator
(``fastgen.generate_audio_sample``, random init) runs side by side when ``MAGENTA_PYTHON`` is
set to the oracle venv's python; otherwise the figure quoted in the fixture README is shown,
labelled as such. The encoder's time for 16384 samples is reported too.

Usage: ``python benchmarks/nsynth_speed.py [--runs N] [--magenta-steps N] [--check]``;
``--check`` exits 1 when batch 1 is not 5x Magenta's or not within 3x of the bound.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from magwidgets.families.nsynth.checkpoint import Sizes
from magwidgets.families.nsynth.fastgen import generate
from magwidgets.families.nsynth.model import NSynth

H512_BO16 = Sizes(layers=30, width=512, skip_width=256, ae_layers=30, ae_width=128,
                  bottleneck=16, filter_length=3)
MAGENTA_README_MS = {1: 53.0, 4: 71.0}  # fixture README, "Magenta timings on this machine"
TARGET_SPEEDUP, TARGET_BOUND_RATIO = 5.0, 3.0
TOOLS = Path(os.environ.get("NSYNTH_TOOLS", "/work/shared/fixtures/magenta-oracle/tools"))


def random_weights(sizes: Sizes, seed: int = 0) -> dict[str, np.ndarray]:
    """Weights with Magenta's names and the shapes of ``sizes`` (scaled by 1/sqrt(fan-in))."""
    rng = np.random.default_rng(seed)
    shapes = {"ae_startconv": (1, 3, 1, sizes.ae_width),
              "ae_bottleneck": (1, 1, sizes.ae_width, sizes.bottleneck),
              "startconv": (1, 3, 1, sizes.width),
              "skip_start": (1, 1, sizes.width, sizes.skip_width),
              "out1": (1, 1, sizes.skip_width, sizes.skip_width),
              "cond_map_out1": (1, 1, sizes.bottleneck, sizes.skip_width),
              "logits": (1, 1, sizes.skip_width, 256)}
    for i in range(1, sizes.ae_layers + 1):
        shapes[f"ae_dilatedconv_{i}"] = (1, 3, sizes.ae_width, sizes.ae_width)
        shapes[f"ae_res_{i}"] = (1, 1, sizes.ae_width, sizes.ae_width)
    for i in range(1, sizes.layers + 1):
        shapes[f"dilatedconv_{i}"] = (1, 3, sizes.width, 2 * sizes.width)
        shapes[f"cond_map_{i}"] = (1, 1, sizes.bottleneck, 2 * sizes.width)
        shapes[f"res_{i}"] = (1, 1, sizes.width, sizes.width)
        shapes[f"skip_{i}"] = (1, 1, sizes.width, sizes.skip_width)
    weights = {}
    for name, shape in shapes.items():
        fan_in = shape[1] * shape[2]
        weights[f"{name}/W"] = (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)
        weights[f"{name}/biases"] = np.zeros(shape[-1], np.float32)
    return weights


def read_bandwidth(nbytes: int, repeats: int = 7) -> float:
    """Best single-thread read bandwidth (bytes/s) summing a float32 array of ``nbytes``,
    and streaming it through a matrix-vector product; the larger figure is the bound."""
    block = np.ones((nbytes // 4 // 1024, 1024), np.float32)
    vector = np.ones(block.shape[0], np.float32)
    best = 0.0
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(repeats):
            for run in (block.sum, lambda: vector @ block):
                start = time.perf_counter()
                run()
                best = max(best, block.nbytes / (time.perf_counter() - start))
    return best


def our_seconds_per_step(model: NSynth, batch: int, runs: int) -> float:
    """Median seconds per step of decoding one 512-sample frame at ``batch`` (after a warm-up)."""
    rng = np.random.default_rng(1)
    encodings = rng.standard_normal((batch, 1, H512_BO16.bottleneck)).astype(np.float32)
    draws = rng.random((batch, 512))
    times = []
    for run in range(runs + 1):
        start = time.perf_counter()
        generate(model._fast, encodings, draws)
        if run:
            times.append((time.perf_counter() - start) / 512)
    return statistics.median(times)


MAGENTA_SCRIPT = """
import json, sys
sys.path.insert(0, {tools!r})
import make_nsynth_fixtures as M
out = {{b: M.bench('full', M.FULL, {steps}, b) for b in (1, 8)}}
print('RESULT' + json.dumps(out))
"""


def magenta_ms(python: str, steps: int) -> dict[int, float] | None:
    """Magenta's median ms per generate_audio_sample step at batch 1 and 8 (h512_bo16,
    random init), run by ``python``; None when it fails."""
    script = MAGENTA_SCRIPT.format(tools=str(TOOLS), steps=steps)
    done = subprocess.run([python, "-c", script], capture_output=True, text=True, check=False,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    for line in done.stdout.splitlines():
        if line.startswith("RESULT"):
            return {int(b): r["step_median_ms"] for b, r in json.loads(line[6:]).items()}
    print(f"Magenta run failed:\n{done.stderr[-2000:]}", file=sys.stderr)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed 512-sample runs per batch")
    parser.add_argument("--magenta-steps", type=int, default=60, help="Magenta steps timed")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()

    model = NSynth(random_weights(H512_BO16), H512_BO16, Path("random-h512_bo16"))
    traffic = model._fast.weight_bytes_per_sample()
    bandwidth = read_bandwidth(traffic["plain"])
    print(f"load average {os.getloadavg()}; h512_bo16 sizes, random weights, float32, "
          "one BLAS thread")
    print(f"weights read per sample: {traffic['plain'] / 1e6:.0f} MB every tap every sample "
          f"(Magenta's layout), {traffic['blocked'] / 1e6:.0f} MB here (past taps per block)")
    print(f"memory read bandwidth (single thread, measured): {bandwidth / 1e9:.1f} GB/s -> "
          f"bound {1e3 * traffic['plain'] / bandwidth:.2f} ms/sample for the per-sample weight "
          f"traffic ({1e3 * traffic['blocked'] / bandwidth:.2f} ms for ours)")

    # ours before and after Magenta (the machine is shared: its load drifts), median of both
    before = {batch: our_seconds_per_step(model, batch, args.runs) for batch in (1, 8)}
    python = os.environ.get("MAGENTA_PYTHON")
    magenta = magenta_ms(python, args.magenta_steps) if python else None
    label = "Magenta 2.1.4 fastgen, measured now" if magenta else "Magenta, README's figure"
    magenta = magenta or {1: MAGENTA_README_MS[1]}
    after = {batch: our_seconds_per_step(model, batch, args.runs) for batch in (1, 8)}
    print(f"load average after the runs {os.getloadavg()}")
    bandwidth = max(bandwidth, read_bandwidth(traffic["plain"]))
    print(f"memory read bandwidth, best of before and after: {bandwidth / 1e9:.1f} GB/s -> "
          f"bound {1e3 * traffic['plain'] / bandwidth:.2f} ms/sample")

    ok = True
    for batch in (1, 8):
        step = statistics.median([before[batch], after[batch]])
        line = (f"batch {batch}: {1e3 * step:.2f} ms/step (before/after Magenta "
                f"{1e3 * before[batch]:.2f}/{1e3 * after[batch]:.2f}) = {batch / step:.0f} "
                f"samples/s ({16000 * step / batch:.0f} s per generated second per stream)")
        if batch in magenta:
            speedup = magenta[batch] / (1e3 * step)
            line += f"; {label}: {magenta[batch]:.1f} ms/step -> {speedup:.1f}x faster"
            ok &= batch != 1 or speedup >= TARGET_SPEEDUP
        if batch == 1:
            ratio = step / (traffic["plain"] / bandwidth)
            line += f"; {ratio:.2f}x the bandwidth bound"
            ok &= ratio <= TARGET_BOUND_RATIO
        print(line, flush=True)

    audio = np.random.default_rng(2).uniform(-0.5, 0.5, 16384).astype(np.float32)
    model.encode(audio[:1024])
    start = time.perf_counter()
    model.encode(audio)
    print(f"encoder: {time.perf_counter() - start:.2f} s for 16384 samples "
          "(Magenta README: 0.85 s)")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
