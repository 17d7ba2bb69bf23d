"""How fast the Studio dashboard (notebooks/studio.ipynb) is in Voilà, seen from a browser.

Measures, with Voilà on loopback and Debian's headless Chromium driven by Playwright:
  - cold start: from the page request to the first pianoroll canvas on screen (a fresh
    Voilà server and kernel each run; median of ``--runs``),
  - kernel memory: resident set size of the notebook's kernel after the page has loaded and
    again after the clicks below, and whether TensorFlow is loaded in it (it must not be:
    if it is, the import that pulled it in is printed),
  - a click: from pressing Continue's Generate (2 bars, one variation) and Generate's Sample
    (one 2-bar sample) to the new pianoroll and audio in the page (median of ``CLICKS``).

Targets on this machine: cold start under 8 s, kernel RSS under 400 MB, a click under 1 s.
Usage: ``python benchmarks/studio_speed.py [--runs N] [--check]``; with ``--check`` the exit
code is 1 when a target fails.
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
from typing import Any

import nbformat
import psutil

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests"))
from browser import (VOILA_TIMEOUT, click_button, offline_page, open_tabs,  # noqa: E402
                     serve_notebook, set_slider)

STUDIO = REPO_ROOT / "notebooks" / "studio.ipynb"
TARGET_COLD_S = 8.0
TARGET_RSS_MB = 400.0
TARGET_CLICK_S = 1.0
CLICKS = 5
# The src of the visible result's first <audio>: it changes when a new result arrives, after
# the pianoroll's data (the kernel updates the roll first, then the player).
FIRST_AUDIO = """() => {
  const audio = [...document.querySelectorAll(".magwidgets-player audio")]
    .find(element => element.checkVisibility());
  return audio ? audio.src : "";
}"""
NEW_AUDIO = "old => { const src = (" + FIRST_AUDIO + ")(); return src !== '' && src !== old; }"
TWO_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
# Run the notebook's code outside Voilà and print where TensorFlow first gets imported.
WHO_IMPORTS_TENSORFLOW = """
import importlib.abc, json, sys, traceback
class Spy(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "tensorflow":
            traceback.print_stack(limit=15, file=sys.stdout)
            sys.exit(0)
sys.meta_path.insert(0, Spy())
for number, source in enumerate(json.loads(sys.argv[1]), 1):
    exec(compile(source, f"<code cell {number}>", "exec"))
print("TensorFlow is not imported by the notebook's code itself")
"""


def kernel() -> psutil.Process:
    """The Voilà kernel started under this process."""
    for process in psutil.Process().children(recursive=True):
        if any("ipykernel" in part for part in process.cmdline()):
            return process
    raise RuntimeError("no ipykernel process found under this benchmark")


def kernel_memory() -> tuple[float, bool]:
    """The kernel's RSS in MB, and whether a TensorFlow library is mapped into it."""
    process = kernel()
    loaded = any("tensorflow" in region.path for region in process.memory_maps())
    return process.memory_info().rss / 2**20, loaded


def click_seconds(page: Any, button: str) -> list[float]:
    """Seconds from clicking ``button`` to its new result's audio in the page, drawn."""
    times = []
    for _ in range(CLICKS):
        old = page.evaluate(FIRST_AUDIO)
        start = time.perf_counter()
        click_button(page, button)
        page.wait_for_function(NEW_AUDIO, arg=old, polling="raf", timeout=60_000)
        page.evaluate(TWO_FRAMES)  # the canvas repaints on the next frames
        times.append(time.perf_counter() - start)
    return times


def why_tensorflow() -> str:
    """The stack at the first ``import tensorflow`` when the notebook's code runs alone."""
    cells = [cell.source for cell in nbformat.read(STUDIO, as_version=4).cells
             if cell.cell_type == "code"]
    done = subprocess.run([sys.executable, "-c", WHO_IMPORTS_TENSORFLOW, json.dumps(cells)],
                          cwd=STUDIO.parent, capture_output=True, text=True, check=False)
    return done.stdout[-4000:] or done.stderr[-4000:]


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold starts to take the median of")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    cold: list[float] = []
    for run in range(args.runs):
        with serve_notebook(STUDIO) as url, offline_page() as (page, outside):
            start = time.perf_counter()
            page.goto(url, timeout=VOILA_TIMEOUT * 1000)
            page.locator("canvas").first.wait_for(timeout=VOILA_TIMEOUT * 1000)
            cold.append(time.perf_counter() - start)
            if run < args.runs - 1:
                continue
            loaded_mb, tensorflow = kernel_memory()
            continue_s = click_seconds(page, "Generate")
            open_tabs(page, ("Generate", "Melody"))
            set_slider(page, "samples", "1")
            sample_s = click_seconds(page, "Sample")
            after_mb, tensorflow_after = kernel_memory()
            tensorflow = tensorflow or tensorflow_after

    cold_s, click_s = statistics.median(cold), max(statistics.median(continue_s),
                                                    statistics.median(sample_s))
    checks = {"cold": cold_s < TARGET_COLD_S, "rss": after_mb < TARGET_RSS_MB,
              "click": click_s < TARGET_CLICK_S, "tensorflow": not tensorflow}
    runs = ", ".join(f"{s:.1f}" for s in cold)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Studio dashboard ({STUDIO.relative_to(REPO_ROOT)}) in Voilà, headless Chromium; "
          f"{os.cpu_count()} CPUs, load average {load}")
    print(f"  cold start, request to first pianoroll: {cold_s:.1f} s median of {len(cold)} "
          f"({runs})  target < {TARGET_COLD_S:g} s  {verdict(checks['cold'])}")
    print(f"  kernel RSS: {loaded_mb:.0f} MB loaded, {after_mb:.0f} MB after "
          f"{2 * CLICKS} clicks  target < {TARGET_RSS_MB:g} MB  {verdict(checks['rss'])}")
    for what, times in (("Continue > Generate (2 bars)", continue_s),
                        ("Generate > Sample (one 2-bar sample)", sample_s)):
        print(f"  {what}, click to new roll + audio: {statistics.median(times) * 1e3:.0f} ms "
              f"median of {len(times)}  target < {TARGET_CLICK_S * 1e3:g} ms  "
              f"{verdict(statistics.median(times) < TARGET_CLICK_S)}")
    print(f"  TensorFlow in the kernel: {'YES' if tensorflow else 'no'}")
    if tensorflow:
        print("  where the notebook's code imports it:\n" + why_tensorflow())
    if outside:
        print(f"  requests that tried to leave this machine: {outside}")
    return 1 if args.check and not all(checks.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
