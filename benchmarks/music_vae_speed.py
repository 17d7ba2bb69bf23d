"""Speed of magwidgets' NumPy MusicVAE: the work behind the latent slider.

For each config it measures, as the median of several runs after one warm-up:
  * ``decode``: one sample at the config's length (2 bars; 16 bars for hierdec-mel_16bar),
  * ``interpolate``: a 5-step interpolation (encode two inputs, decode five samples),
at two sizes: the fixture checkpoints' (``tests/fixtures/magenta-oracle/vae``: z 16, 32-unit
LSTMs) and the real config's (the hparams of Magenta's ``configs.py``, e.g. cat-mel_2bar_big:
z 512, a 2048-unit bidirectional encoder, a 3x2048 decoder), with random weights of exactly
the shapes and variable names of Magenta's checkpoints (checked against the fixture
checkpoints at their size).

Targets (issue 6, on this 2-core machine): one 2-bar decode at cat-mel_2bar_small and
cat-drums_2bar_small size under 30 ms, at cat-mel_2bar_big size under 1.5 s; the other
figures are reported. Runs against a temporary ``MAGWIDGETS_CACHE``.

Every LSTM step is a few matrix-vector products; MusicVAE computes them on one BLAS thread
(``magwidgets.engine.blas``), since on a busy machine OpenBLAS's threads cost far more than
they gain (measured here under load: a 1024x858 float32 product 4.3 ms with the default
threads, 0.1 ms with one). The load average is printed with the figures.

Usage: ``python benchmarks/music_vae_speed.py [--check] [--repeats N]``; with
``--check`` the exit code is 1 when a target fails (otherwise it is a report and always
exits 0).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# magwidgets first: it imports note-seq without pydub's irrelevant ffmpeg warning.
from magwidgets.families.music_vae import VAE_CONFIGS, MusicVAE
from magwidgets.families.music_vae.assemble import make_converter
from magwidgets.families.music_vae.checkpoint import load_weights
import numpy as np  # isort: skip
from google.protobuf import text_format  # isort: skip
from note_seq.protobuf import music_pb2  # isort: skip

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "magenta-oracle" / "vae"
TEMPERATURE = 0.5
INTERPOLATION_STEPS = 5
TARGET_MS = {"cat-mel_2bar_small": 30.0, "cat-drums_2bar_small": 30.0,
             "cat-mel_2bar_big": 1500.0}  # one decode at the real size


@dataclass(frozen=True)
class Sizes:
    """A MusicVAE's layer sizes (Magenta's hparams ``z_size``, ``enc_rnn_size``,
    ``dec_rnn_size``); hierarchical decoders run a conductor of ``dec`` size too."""

    z: int
    enc: tuple[int, ...]
    dec: tuple[int, ...]


FIXTURE_SIZES = Sizes(16, (32,), (32, 32))
REAL_SIZES = {
    "cat-mel_2bar_small": Sizes(256, (512,), (256, 256)),
    "cat-drums_2bar_small": Sizes(256, (512,), (256, 256)),
    "cat-mel_2bar_big": Sizes(512, (2048,), (2048, 2048, 2048)),
    "hierdec-mel_16bar": Sizes(512, (2048, 2048), (1024, 1024)),
}
# Whose fixture inputs each config interpolates between
INPUTS = {"cat-mel_2bar_big": "cat-mel_2bar_small"}


def _lstm(prefix: str, inputs: int, units: int) -> dict[str, tuple[int, ...]]:
    return {prefix + "kernel": (inputs + units, 4 * units), prefix + "bias": (4 * units,)}


def _dense(name: str, inputs: int, outputs: int) -> dict[str, tuple[int, ...]]:
    return {name + "/kernel": (inputs, outputs), name + "/bias": (outputs,)}


def checkpoint_shapes(config: str, sizes: Sizes) -> dict[str, tuple[int, ...]]:
    """Variable names and shapes of a Magenta checkpoint of ``config`` at ``sizes``."""
    vae_config = VAE_CONFIGS[config]
    converter = make_converter(vae_config)
    shapes: dict[str, tuple[int, ...]] = {}
    depth = converter.input_depth
    for k, units in enumerate(sizes.enc):
        for direction in ("fw", "bw"):
            shapes |= _lstm(f"encoder/cell_{k}/bidirectional_rnn/{direction}/multi_rnn_cell/"
                            "cell_0/lstm_cell/", depth, units)
        depth = 2 * units
    shapes |= _dense("encoder/mu", depth, sizes.z) | _dense("encoder/sigma", depth, sizes.z)
    prefix, embedding = "decoder/", sizes.z
    if vae_config.level_lengths:  # the conductor, fed a 1-wide zero input
        for k, units in enumerate(sizes.dec):
            shapes |= _lstm(f"decoder/hierarchical_level_0/cell_{k}/lstm_cell/",
                            sizes.dec[k - 1] if k else 1, units)
        shapes |= _dense("decoder/hierarchical_level_0/initial_state", sizes.z, 2 * sum(sizes.dec))
        prefix, embedding = "core_decoder/decoder/", sizes.dec[-1]
    for k, units in enumerate(sizes.dec):
        shapes |= _lstm(f"{prefix}multi_rnn_cell/cell_{k}/lstm_cell/",
                        sizes.dec[k - 1] if k else converter.output_depth + embedding, units)
    shapes |= _dense(prefix + "z_to_initial_state", embedding, 2 * sum(sizes.dec))
    return shapes | _dense(prefix + "output_projection", sizes.dec[-1], converter.output_depth)


def random_model(config: str, sizes: Sizes) -> MusicVAE:
    """A MusicVAE with random weights (scaled by 1/sqrt(fan-in)) of the given sizes."""
    rng = np.random.default_rng(0)
    weights = {name: rng.standard_normal(shape, dtype=np.float32) / np.sqrt(shape[0])
               for name, shape in checkpoint_shapes(config, sizes).items()}
    return MusicVAE(VAE_CONFIGS[config], weights, f"random {config}")


def fixture_inputs(config: str) -> list[music_pb2.NoteSequence]:
    folder = FIXTURES / INPUTS.get(config, config)
    return [text_format.Parse((folder / f"inputs_{i}.textproto").read_text(),
                              music_pb2.NoteSequence()) for i in (0, 1)]


def median_ms(run, repeats: int) -> float:
    """Median milliseconds of ``run()`` over ``repeats`` calls after one warm-up (one
    measured call when the warm-up alone takes over 5 s)."""
    start = time.perf_counter()
    run()
    if time.perf_counter() - start > 5.0:
        repeats = 1
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def measure(model: MusicVAE, config: str, repeats: int) -> tuple[float, float]:
    """(ms for one decode, ms for a 5-step interpolation)."""
    z = np.random.default_rng(1).standard_normal((1, model.z_size))
    a, b = fixture_inputs(config)
    decode = median_ms(lambda: model.decode(z, temperature=TEMPERATURE, seed=0), repeats)
    interpolate = median_ms(lambda: model.interpolate(a, b, INTERPOLATION_STEPS,
                                                      temperature=TEMPERATURE, seed=0), repeats)
    return decode, interpolate


def check_shapes(config: str) -> None:
    """The generated names and shapes equal the fixture checkpoint's (at its sizes)."""
    tar = FIXTURES / config / f"{config}.tar"
    found = {name: value.shape for name, value in load_weights(tar).items()
             if name != "global_step"}
    if found != checkpoint_shapes(config, FIXTURE_SIZES):
        raise SystemExit(f"checkpoint_shapes({config!r}) does not match {tar}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a target fails")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"temperature {TEMPERATURE}; median of {args.repeats} after one warm-up "
          f"(one run when a call takes over 5 s)\n")
    print(f"{'config':<22}{'size':<34}{'decode ms':>11}{'interp x5 ms':>14}  target")
    failures = 0
    for config, real in REAL_SIZES.items():
        fixture = FIXTURES / config / f"{config}.tar"
        runs = []
        if fixture.exists():
            check_shapes(config)
            runs.append(("fixture " + _describe(FIXTURE_SIZES),
                         MusicVAE.from_checkpoint(fixture, config), False))
        runs.append(("real " + _describe(real), random_model(config, real), True))
        for label, model, targeted in runs:
            decode, interpolate = measure(model, config, args.repeats)
            verdict = ""
            if targeted and config in TARGET_MS:
                passed = decode < TARGET_MS[config]
                failures += not passed
                verdict = f"decode < {TARGET_MS[config]:g} ms {'PASS' if passed else 'FAIL'}"
            print(f"{config:<22}{label:<34}{decode:>11.1f}{interpolate:>14.1f}  {verdict}")
    return 1 if args.check and failures else 0


def _describe(sizes: Sizes) -> str:
    return (f"z {sizes.z} enc {'x'.join(map(str, sizes.enc))} "
            f"dec {'x'.join(map(str, sizes.dec))}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="magwidgets-bench-") as cache:
        os.environ["MAGWIDGETS_CACHE"] = cache
        sys.exit(main())
