"""Speed of magwidgets' NumPy event RNNs against Magenta 2.1.4's own figures.

For the full-size random-weight bundles in ``../shared/fixtures/magenta-oracle/full-size``
(drum_kit: 3x256 LSTM, attention 32; attention_rnn: 2x128 LSTM, attention 40; polyphony:
3x256; performance_with_dynamics: 3x512) this measures milliseconds per generated step: the whole ``generate_with_score`` call
from an empty primer (encoding, network, sampling and beam bookkeeping, as Magenta's figure
includes), divided by the generated steps, for batch 1 (beam 1, branch 1) and for beam 4 x
branch 2. For polyphony and performance a step is a time step (a sixteenth, 10 ms), which
takes several RNN steps (events): those two are compared side by side only.
It reports the median of several runs after one warm-up.

Target: at least 5x faster per step than Magenta 2.1.4 on the same 2-core machine. With
``MAGENTA_PYTHON`` set to the interpreter of a Magenta 2.1.4 venv, Magenta is measured side
by side (``magenta_reference.py``); otherwise the ratio uses the figures the fixtures README
gives for this kind of machine.

It also checks, in a fresh interpreter, that loading a bundle whose weights are cached and
generating from it does not import TensorFlow, and times that ``import magwidgets`` + load.
Everything runs against a temporary ``MAGWIDGETS_CACHE``, so the user's cache is untouched.

Usage: ``python benchmarks/event_rnn_speed.py [--check]``; with ``--check`` the exit code is
1 when any target fails (otherwise it is a report and always exits 0).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import magwidgets as mw

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "magenta-oracle" / "full-size"
TARGET_SPEEDUP = 5.0
TARGETED = ("drum_kit", "attention_rnn")  # the bundles the 5x target is set for
# Steps generated from an empty primer (magenta_reference.py uses the same): performance
# steps are 10 ms, and its first second is Magenta's silent padding of an empty primer.
STEPS = {"drum_kit": 64, "attention_rnn": 64, "polyphony": 64, "performance_with_dynamics": 500}
REPEATS = 7
COLD_RUNS = 5
# Magenta 2.1.4, ms per RNN step on a 2-core machine (fixtures README):
# {bundle: {(beam_size, branch_factor): ms}}
MAGENTA_README_MS: dict[str, dict[tuple[int, int], float]] = {
    "drum_kit": {(1, 1): 2.7, (4, 2): 7.7},
    "attention_rnn": {(1, 1): 2.0, (4, 2): 4.0},
}  # polyphony's README figure (1.5 ms) counts RNN steps, not time steps: compare side by side

_COLD_LOAD = """
import sys, time
start = time.perf_counter()
import magwidgets as mw
model = mw.load_model(sys.argv[1])
seconds = time.perf_counter() - start
model.generate_with_score(None, steps=16, seed=0)
print(seconds, "tensorflow" in sys.modules)
"""


def ms_per_step(model: mw.EventRNN, steps: int, beam_size: int, branch_factor: int) -> float:
    """Median over REPEATS runs (after one warm-up) of call time / generated steps, in ms."""
    def once(seed: int) -> float:
        start = time.perf_counter()
        generation = model.generate_with_score(
            None, steps=steps, beam_size=beam_size, branch_factor=branch_factor,
            steps_per_iteration=1, seed=seed)
        return (time.perf_counter() - start) * 1e3 / generation.generated_steps

    once(0)
    return statistics.median(once(seed) for seed in range(1, REPEATS + 1))


def cold_load(path: Path) -> tuple[float, bool]:
    """Median seconds of import + load in fresh interpreters; whether any imported TensorFlow."""
    runs = []
    for _ in range(COLD_RUNS):
        result = subprocess.run([sys.executable, "-c", _COLD_LOAD, str(path)], env=os.environ,
                                check=True, capture_output=True, text=True)
        seconds, tensorflow = result.stdout.splitlines()[-1].split()
        runs.append((float(seconds), tensorflow == "True"))
    return statistics.median(s for s, _ in runs), any(tf for _, tf in runs)


def magenta_figures() -> tuple[dict[str, dict[tuple[int, int], float]], str]:
    """Magenta's ms/step: measured now with MAGENTA_PYTHON if set, else the README's."""
    python = os.environ.get("MAGENTA_PYTHON")
    if not python:
        return MAGENTA_README_MS, "Magenta figures from the fixtures README"
    script = Path(__file__).with_name("magenta_reference.py")
    result = subprocess.run([python, str(script)], check=True, capture_output=True, text=True)
    measured = json.loads(result.stdout)
    figures = {name: {tuple(int(n) for n in key.split("x")): ms for key, ms in runs.items()}
               for name, runs in measured.items()}
    return figures, f"Magenta 2.1.4 measured side by side ({python})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if any target fails")
    args = parser.parse_args()

    magenta_ms, source = magenta_figures()
    print(f"bundles: {FIXTURES}  (from an empty primer, median of {REPEATS})")
    print(source + "\n")
    print(f"{'bundle':<27}{'beam x branch':>14}{'ours ms/step':>14}{'Magenta':>10}"
          f"{'speed-up':>10}  target {TARGET_SPEEDUP:g}x")
    failures = 0
    for name, figures in magenta_ms.items():
        model = mw.load_model(FIXTURES / f"{name}.mag")  # converts once, warming the cache
        for (beam_size, branch_factor), magenta in figures.items():
            ours = ms_per_step(model, STEPS[name], beam_size, branch_factor)
            speedup = magenta / ours
            if name in TARGETED:
                passed = speedup >= TARGET_SPEEDUP
                failures += not passed
                verdict = "PASS" if passed else "FAIL"
            else:
                verdict = "(no target)"
            print(f"{name:<27}{f'{beam_size} x {branch_factor}':>14}{ours:>14.3f}{magenta:>10.1f}"
                  f"{speedup:>9.1f}x  {verdict}")

    bundle = FIXTURES / f"{next(iter(magenta_ms))}.mag"
    seconds, tensorflow = cold_load(bundle)
    failures += tensorflow
    print(f"\nfresh interpreter, cached {bundle.name}: import magwidgets + load_model "
          f"{seconds * 1e3:.0f} ms (median of {COLD_RUNS}); TensorFlow imported: "
          f"{'yes  FAIL' if tensorflow else 'no  PASS'}")
    return 1 if args.check and failures else 0


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="magwidgets-bench-") as cache:
        os.environ["MAGWIDGETS_CACHE"] = cache  # read at load time; the subprocesses inherit it
        sys.exit(main())
