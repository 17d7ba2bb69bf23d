"""Running a layer's rows on every core: bands of rows in a thread pool, BLAS on one thread.

NumPy releases the GIL in its products and element-wise passes, so bands of rows computed in
threads keep every core busy through the whole layer (BLAS's own threads would only split
the products, leaving the element-wise passes on one core), and on a machine shared with
other jobs single-threaded BLAS calls do not wait on each other's spinning threads.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from functools import cache
from typing import Callable

from threadpoolctl import ThreadpoolController

MIN_BAND_VALUES = 1 << 16  # below this many input values per band, threads cost more than they save


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


def run_in_bands(work: Callable[[int, int], None], rows: int, values: int) -> None:
    """``work(start, stop)`` over ``rows`` split in up to one band per core (fewer when a
    band would hold under MIN_BAND_VALUES of the ``values`` in all rows)."""
    bands = max(1, min(workers(), rows, values // MIN_BAND_VALUES))
    edges = [rows * band // bands for band in range(bands + 1)]
    if bands == 1:
        work(0, rows)
        return
    for future in [_pool().submit(work, start, stop) for start, stop in zip(edges, edges[1:])]:
        future.result()
