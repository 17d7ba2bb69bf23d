"""Speed of magwidgets' NumPy GANSynth at the released size (configs/mel_prog_hires: blocks of
256, 256, 256, 256, 128, 64, 32 channels, 7.3 M generator weights), random weights of exactly
the release shapes (kernels N(0, 1) as Magenta's weight-scaled layers, biases N(0, 0.2)).

It measures, as medians after a warm-up: one note (``generate``), eight notes
(``generate_batch``, Magenta's batch), the mel-IF -> waveform step alone for eight notes, and
the ``--midi_file`` path on the oracle fixture's score (8 notes, 1 s per instrument:
``render``). With ``MAGENTA_PYTHON`` set to a Magenta 2.1.4 venv's Python, Magenta's own
figures are measured side by side (``gansynth_magenta.py``); else the figures quoted in the
fixtures README (this machine, load 4-5) are printed, labelled as such.

Targets (issue 14): one note at least 5x faster than Magenta's one-note call, eight notes no
slower than Magenta's. Usage: ``python benchmarks/gansynth_speed.py [--repeats N] [--check]``
(with ``--check`` the exit code is 1 when a target fails).
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

from magwidgets.families.gansynth import GANSynth, checkpoint
from magwidgets.families.gansynth.generator import Generator

REPO_ROOT = Path(__file__).resolve().parents[1]
MIDI = REPO_ROOT / "tests" / "fixtures" / "magenta-oracle" / "gansynth" / "midi" / "input.mid"
SECONDS_PER_INSTRUMENT = 1.0
RELEASE_CHANNELS = (256, 256, 256, 256, 128, 64, 32)  # num_filters(b, 4096, 1.0, 256), b=1..7
LATENT, PITCHES, START = 256, 61, (2, 16)
# Magenta 2.1.4 on this machine at the released size (fixtures README, medians of 3 runs).
QUOTED_MAGENTA = {"one_note_s": 5.46, "eight_notes_s": 4.46, "midi_s": 4.46}
FACTOR_ONE_NOTE = 5.0


def release_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """Random EMA weights with the released generator's names and shapes."""
    rng = np.random.default_rng(seed)
    weights = {}
    for block, channels in enumerate(RELEASE_CHANNELS, start=1):
        before = RELEASE_CHANNELS[max(block - 2, 0)]
        shapes = {"conv0": (*START, LATENT + PITCHES, channels) if block == 1 else
                  (3, 3, before, channels),
                  "conv1": (3, 3, channels, channels), "to_rgb": (1, 1, channels, 2)}
        for layer, shape in shapes.items():
            weights[f"block_{block}/{layer}/kernel"] = rng.standard_normal(shape, np.float32)
            bias = rng.normal(0.0, 0.2, shape[-1]).astype(np.float32)
            weights[f"block_{block}/{layer}/bias"] = bias + (
                np.float32([-0.4, 0.0]) if layer == "to_rgb" else 0)
    assert sorted(weights) == sorted(checkpoint.weight_names(len(RELEASE_CHANNELS)))
    return weights


def release_model() -> GANSynth:
    flags = checkpoint.DEFAULTS
    generator = Generator.from_weights(
        release_weights(), len(RELEASE_CHANNELS), tanh=True,
        scale=(flags["mag_normalizer_a"], flags["p_normalizer_a"]),
        offset=(flags["mag_normalizer_b"], flags["p_normalizer_b"]))
    return GANSynth(generator, latent_size=LATENT, audio_length=64000, sample_rate=16000,
                    source="random weights, release shapes")


def median_seconds(call, repeats: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (all threads) of ``call`` after a warm-up."""
    call()
    runs = []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        call()
        runs.append((time.perf_counter() - start, time.process_time() - cpu))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def magenta_figures() -> tuple[dict[str, float], str]:
    python = os.environ.get("MAGENTA_PYTHON")
    if not python:
        return QUOTED_MAGENTA, "quoted from the fixtures README, not measured now"
    done = subprocess.run([python, str(Path(__file__).with_name("gansynth_magenta.py")),
                           str(MIDI), str(SECONDS_PER_INSTRUMENT)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1]), f"measured now ({python})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    model = release_model()
    z = model.random_z(8, seed=1)
    pitches = [36, 48, 60, 84, 40, 52, 64, 72]
    print(f"load average before: {os.getloadavg()}")
    specs = model.spectrogram(z, pitches)
    ours = {}
    for key, call, repeats in (
            ("one_note", lambda: model.generate(60, z=z[0]), args.repeats),
            ("eight_notes", lambda: model.generate_batch(z, pitches), max(1, args.repeats // 2)),
            ("conversion_8", lambda: model.spectrogram_to_audio(specs), args.repeats),
            ("midi", lambda: model.render(MIDI, seconds_per_instrument=SECONDS_PER_INSTRUMENT,
                                          seed=101), max(1, args.repeats // 2))):
        ours[f"{key}_s"], ours[f"{key}_cpu_s"] = median_seconds(call, repeats)
    print(f"load average after magwidgets: {os.getloadavg()}")
    theirs, how = magenta_figures()
    print(f"load average after Magenta: {os.getloadavg()}")
    size = sum(w.size for w in release_weights().values()) / 1e6
    print(f"GANSynth at release size (mel_prog_hires, {size:.2f} M generator weights), "
          f"{os.cpu_count()} CPUs")
    print(f"Magenta figures: {how}")
    print(f"{'':30s}{'magwidgets':>11s}{'Magenta':>9s}{'speed-up':>9s}   CPU s (all threads)")
    for label, key in (("one note (generate)", "one_note"),
                       ("8 notes (generate_batch)", "eight_notes"),
                       ("MIDI clip, 8 notes (render)", "midi")):
        cpu = (f"{ours[key + '_cpu_s']:.2f} vs {theirs[key + '_cpu_s']:.2f}"
               if key + "_cpu_s" in theirs else f"{ours[key + '_cpu_s']:.2f}")
        print(f"{label:30s}{ours[key + '_s']:10.2f}s{theirs[key + '_s']:8.2f}s"
              f"{theirs[key + '_s'] / ours[key + '_s']:8.1f}x   {cpu}")
    print(f"{'mel-IF -> audio, 8 notes':30s}{ours['conversion_8_s']:10.3f}s")
    passed = (theirs["one_note_s"] / ours["one_note_s"] >= FACTOR_ONE_NOTE
              and ours["eight_notes_s"] <= theirs["eight_notes_s"])
    print(f"targets (one note >= {FACTOR_ONE_NOTE:g}x, 8 notes no slower): "
          f"{'met' if passed else 'NOT met'}")
    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
