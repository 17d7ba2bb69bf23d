"""Running a layer's rows on every core: one band of rows per core in a thread pool, BLAS on
one thread.

NumPy releases the GIL in its products and element-wise passes, so bands of rows computed in
threads keep every core busy through the whole layer (BLAS's own threads would only split
the products, leaving the element-wise passes on one core), and on a machine shared with
other jobs single-threaded BLAS calls do not wait on each other's spinning threads. Layers work
through their band in pieces of BAND_BYTES, so temporaries stay in cache and come from the
allocator's reused memory (a 50 MB temporary is fresh pages, page-faulted in, at every call).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from functools import cache
from typing import Callable

from threadpoolctl import ThreadpoolController

BAND_BYTES = 2 << 20  # a layer's temporaries per band of rows: they stay in cache
SERIAL_BYTES = 1 << 20  # below this in all, threads cost more than they save


@cache
def workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=workers(), thread_name_prefix="magwidgets-gansynth")


@cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def blas_single_thread() -> AbstractContextManager:
    """A context in which BLAS runs on one thread (the bands are the parallelism)."""
    return _controller().limit(limits=1, user_api="blas")


def run_in_bands(work: Callable[[int, int], None], rows: int, size: int) -> None:
    """``work(start, stop)`` over ``rows`` split in one band per core; a job of under
    SERIAL_BYTES (``size``: bytes it reads and writes) runs here, in one band."""
    bands = 1 if size <= SERIAL_BYTES else min(rows, workers())
    if bands == 1:
        work(0, rows)
        return
    edges = [rows * band // bands for band in range(bands + 1)]
    for future in [_pool().submit(work, start, stop) for start, stop in zip(edges, edges[1:])]:
        future.result()
