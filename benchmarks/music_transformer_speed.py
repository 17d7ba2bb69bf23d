"""Speed of magwidgets' NumPy Music Transformer at the released size (random weights).

The Piano Transformer's released checkpoints are t2t ``transformer_tpu`` with 16 layers,
hidden 512, 8 heads, filter 2048 (unconditional 50.6 M parameters; the melody model adds an
encoder), plus the paper's relative attention variant (``dot_product_relative_v2``,
R = 1024). Random weights of exactly t2t's variable names and shapes (the names are checked
against the fixture checkpoint at its size) go through the same ``build_network`` as a loaded
checkpoint.

Measured, as medians after a warm-up, for batch 1 and 4 parallel samples:
  * ms per new token with the KV cache at piece lengths 512 and 2048 (the cache is filled
    to ``length - STEPS`` with a random primer, then ``STEPS`` tokens are sampled): the cost
    per token at that point of a piece, so flatness in length shows;
  * the primer's teacher-forced throughput (ms per primer id);
  * whole 512- and 2048-id pieces from a 32-id primer at batch 1 (as t2t is measured);
  * the KV cache's memory at each length and the weights' memory.
t2t's time: with ``MAGENTA_PYTHON`` set (the oracle venv with tensor2tensor 1.15.7) the
fixture tools' ``bench_real`` runs t2t's cached decode at the released size (32-id primer;
16, 480 and 2016 new ids: marginal ms per id for each piece length); otherwise the fixture
README's figure is quoted and labelled so. The relative model has no cached decode in t2t (134 ms per id, quoted).

Usage: ``python benchmarks/music_transformer_speed.py [--repeats N] [--steps S]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from magwidgets.families.music_transformer.checkpoint import TransformerConfig
from magwidgets.families.music_transformer.decoding import (
    Sampler,
    decode_steps,
    force,
    new_cache,
)
from magwidgets.families.music_transformer.encoding import EOS_ID
from magwidgets.families.music_transformer.model import DEFAULT_CONTEXT
from magwidgets.families.music_transformer.network import (
    Network,
    build_network,
    decoder_chunk,
    output_logits,
)

import numpy as np  # isort: skip
from threadpoolctl import threadpool_limits  # isort: skip

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "magenta-oracle" / "music_transformer"
TOOLS_CANDIDATES = [REPO_ROOT.parent / "shared" / "fixtures" / "magenta-oracle" / "tools",
                    REPO_ROOT.parents[1] / "shared" / "fixtures" / "magenta-oracle" / "tools"]
RELEASED = {"num_layers": 16, "hidden_size": 512, "filter_size": 2048, "num_heads": 8,
            "target_vocab": 310}
QUOTED_T2T_MS = {"unconditional": 72.2, "relative_v2": 134.3, "melody": 41.2}  # README
LENGTHS = (512, 2048)
PRIMER = 32  # primer ids of the whole-piece runs, as t2t's bench_real uses
BATCHES = (1, 4)


def t2t_variable_shapes(config: TransformerConfig) -> dict[str, tuple[int, ...]]:
    """tensor2tensor's variable names and shapes for a decoder-only Transformer."""
    d, f, v = config.hidden_size, config.filter_size, config.target_vocab
    shapes: dict[str, tuple[int, ...]] = {f"transformer/symbol_modality_{v}_{d}/shared/weights_0":
                                          (v, d)}
    for i in range(config.num_layers):
        scope = f"transformer/body/decoder/layer_{i}"
        for sub in ("self_attention", "ffn"):
            for p in ("scale", "bias"):
                shapes[f"{scope}/{sub}/layer_prepostprocess/layer_norm/layer_norm_{p}"] = (d,)
        for m in ("q", "k", "v", "output_transform"):
            shapes[f"{scope}/self_attention/multihead_attention/{m}/kernel"] = (d, d)
        if config.relative:
            shapes[f"{scope}/self_attention/multihead_attention/dot_product_self_attention_"
                   f"relative_v2/key_relative_embeddings"] = (
                config.num_heads, config.max_relative_position, config.head_depth)
        shapes.update({f"{scope}/ffn/conv1/kernel": (d, f), f"{scope}/ffn/conv1/bias": (f,),
                       f"{scope}/ffn/conv2/kernel": (f, d), f"{scope}/ffn/conv2/bias": (d,)})
    for p in ("scale", "bias"):
        shapes[f"transformer/body/decoder/layer_prepostprocess/layer_norm/layer_norm_{p}"] = (d,)
    return shapes


def check_names_against_fixture() -> None:
    """The generated names/shapes equal the fixture checkpoints' (at their size)."""
    for variant, relative in (("unconditional", 0), ("relative_v2", 64)):
        listed = json.loads((FIXTURE / variant / "variables.json").read_text())
        fixture = {name: tuple(shape) for name, shape, _ in listed if name != "global_step"}
        config = TransformerConfig(3, 64, 128, 4, 310, None, relative)
        if t2t_variable_shapes(config) != fixture:
            raise SystemExit(f"generated t2t names differ from {variant}/variables.json")


def random_network(relative: bool, seed: int = 0) -> Network:
    config = TransformerConfig(**RELEASED, input_vocab=None,
                               max_relative_position=1024 if relative else 0)
    rng = np.random.default_rng(seed)
    variables = {name: (rng.standard_normal(shape, np.float32) * np.float32(shape[-1] ** -0.5))
                 for name, shape in t2t_variable_shapes(config).items()}
    return build_network(variables, config)


def per_token_ms(network: Network, batch: int, length: int, steps: int, repeats: int,
                 rng: np.random.Generator) -> tuple[float, float, float, int]:
    """(wall and CPU ms per new token at ``length``, wall ms per primer id, cache bytes):
    the cache is filled once to ``length - steps``, then ``steps`` tokens are decoded per
    repeat over the same positions."""
    sample = Sampler(1.0, None, rng)
    start = length - steps
    cache = new_cache(network, batch, length, None)
    t0 = time.perf_counter()
    logits = force(network, cache, rng.integers(2, 310, size=(batch, start)))[:, -1]
    prefill = (time.perf_counter() - t0) / start
    wall, cpu = [], []
    for _ in range(repeats):
        cache.length = start
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            token = sample(logits)
            logits = output_logits(network, decoder_chunk(network, token[:, None], cache))[:, 0]
        wall.append((time.perf_counter() - t0) / steps)
        cpu.append((time.process_time() - c0) / steps)
    return (1000 * statistics.median(wall), 1000 * statistics.median(cpu), 1000 * prefill,
            cache.nbytes)


def whole_piece_ms(network: Network, length: int, repeats: int) -> tuple[float, float]:
    """Wall and CPU ms per new token of a whole piece at batch 1: ``length - 32`` new ids
    after a 32-id primer, as t2t is measured, through ``decode_steps`` (what
    ``generate_tokens`` runs) with EOS masked so random weights cannot end the piece early."""
    primer = np.random.default_rng(1).integers(2, 310, size=(1, PRIMER))
    sampler = Sampler(1.0, None, np.random.default_rng(0))

    def no_eos(logits: np.ndarray) -> np.ndarray:
        return sampler(np.where(np.arange(logits.shape[-1]) == EOS_ID, -np.inf, logits))

    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        with threadpool_limits(1, "blas"):
            count = sum(1 for _ in decode_steps(network, primer, None, length - PRIMER,
                                                no_eos, DEFAULT_CONTEXT))
        if count != length - PRIMER:
            raise SystemExit(f"the piece stopped after {count} ids")
        wall.append((time.perf_counter() - t0) / count)
        cpu.append((time.process_time() - c0) / count)
    return 1000 * statistics.median(wall), 1000 * statistics.median(cpu)


def t2t_ms(magenta_python: str) -> dict[int, float] | None:
    """t2t's marginal ms per new id for 512- and 2048-id pieces (cached decode, released
    size, 32-id primer; from 16, 480 and 2016 new ids), via the oracle tools' bench_real."""
    tools = next((t for t in TOOLS_CANDIDATES if (t / "make_music_transformer_fixtures.py")
                  .is_file()), None)
    if tools is None:
        print("  (oracle tools not found; t2t figure quoted)")
        return None
    encoding = json.loads((FIXTURE / "encoding" / "encoding.json").read_text())
    new = [16] + [length - PRIMER for length in LENGTHS]
    script = (f"import sys, json; sys.path.insert(0, {str(tools)!r})\n"
              "import make_music_transformer_fixtures as m\n"
              f"enc = json.loads({json.dumps(json.dumps(encoding))})\n"
              f"m.bench_real(None, 'unconditional', enc, {new})\n")
    run = subprocess.run([magenta_python, "-c", script], capture_output=True, text=True,
                         timeout=3600, check=False)
    found = re.search(r"^bench (\{.*\})$", run.stdout, re.MULTILINE)
    if not found:
        print("  t2t run failed:", run.stderr[-2000:])
        return None
    runs = json.loads(found.group(1))["runs"]
    base = runs["16"]
    return {length: 1000 * (runs[str(length - PRIMER)]["seconds"] - base["seconds"])
            / (runs[str(length - PRIMER)]["tokens"] - base["tokens"]) for length in LENGTHS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=32)
    args = parser.parse_args()
    check_names_against_fixture()
    print(f"load average before: {os.getloadavg()}")
    rng = np.random.default_rng(0)
    results = {}
    for relative in (False, True):
        kind = "relative_v2 (R=1024)" if relative else "unconditional (dot_product)"
        network = random_network(relative)
        weights = sum(a.nbytes for b in network.decoder for a in
                      (b.qkv, b.attn_out, b.w1, b.w2)) + network.softmax_t.nbytes * 2
        print(f"\n{kind}: 16 x 512, 8 heads, weights {weights / 2**20:.0f} MiB float32")
        for batch in BATCHES:
            for length in LENGTHS:
                with threadpool_limits(1, "blas"):  # as the model's methods run
                    wall, cpu, prefill, nbytes = per_token_ms(network, batch, length,
                                                              args.steps, args.repeats, rng)
                results[(relative, batch, length)] = wall
                print(f"  batch {batch}, piece {length:4d}: {wall:6.2f} ms/token wall "
                      f"({cpu:6.2f} CPU; {wall / batch:5.2f} wall per sample-token), primer "
                      f"{prefill:5.2f} ms/id, KV cache {nbytes / 2**20:4.0f} MiB", flush=True)
        if not relative:
            for length in LENGTHS:
                results[("piece", length)], cpu = whole_piece_ms(
                    network, length, args.repeats if length <= 512 else 1)
                print(f"  whole {length}-id piece from a {PRIMER}-id primer, batch 1 "
                      f"(decode_steps): {results[('piece', length)]:.2f} ms/token wall "
                      f"({cpu:.2f} CPU)", flush=True)
    magenta = os.environ.get("MAGENTA_PYTHON")
    measured = t2t_ms(magenta) if magenta else None
    for length in LENGTHS:
        if measured is not None:
            t2t, label = measured[length], "measured now (t2t 1.15.7, TF 2.15.1, 2 threads)"
        else:
            t2t = QUOTED_T2T_MS["unconditional"]
            label = "quoted from the fixture README (272 ids after 32; not measured now)"
        ours = results[("piece", length)]
        print(f"\nt2t cached decode, unconditional, {length}-id piece: {t2t:.1f} ms/token, "
              f"{label}")
        print(f"  ours, whole piece batch 1: {ours:.1f} ms/token ({t2t / ours:.1f}x); "
              f"4 samples: {results[(False, 4, length)] / 4:.1f} ms per sample-token "
              f"({4 * t2t / results[(False, 4, length)]:.1f}x)")
    print(f"t2t relative_v2 (no cached path, slow greedy): "
          f"{QUOTED_T2T_MS['relative_v2']:.0f} ms/token, quoted from the fixture README")
    print(f"relative_v2 batch 1, piece 512: "
          f"{QUOTED_T2T_MS['relative_v2'] / results[(True, 1, 512)]:.1f}x vs t2t's uncached path")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
