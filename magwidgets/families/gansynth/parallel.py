"""Using every core: several notes are computed side by side, one per core; a single note's
layers are split in one band of rows per core. BLAS runs on one thread.

NumPy releases the GIL in its products and element-wise passes, so notes or bands of rows
computed in threads keep every core busy through the whole layer (BLAS's own threads would
only split the products, leaving the element-wise passes on one core), and on a machine
shared with other jobs single-threaded BLAS calls do not wait on each other's spinning
threads. Independent notes side by side need no meeting after every layer, so a thread the
system pauses holds no other up. Layers work through their band in pieces of BAND_BYTES, so
temporaries stay in cache and come from the allocator's reused memory (a 50 MB temporary is
fresh pages, page-faulted in, at every call).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from functools import cache, wraps
from itertools import pairwise
from typing import TypeVar

from threadpoolctl import ThreadpoolController

BAND_BYTES = 2 << 20  # a layer's temporaries per band of rows: they stay in cache
SERIAL_BYTES = 1 << 20  # below this in all, threads cost more than they save
Item = TypeVar("Item")
Result = TypeVar("Result")


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


_worker = threading.local()  # .busy: this thread is one of the pool's, running a task


def blas_single_thread() -> AbstractContextManager:
    """A context in which BLAS runs on one thread (the bands are the parallelism); inside a
    pool task it does nothing (the caller already holds it)."""
    if getattr(_worker, "busy", False):
        return nullcontext()
    return _controller().limit(limits=1, user_api="blas")


def _in_worker(function: Callable[..., Result]) -> Callable[..., Result]:
    @wraps(function)
    def task(*args):
        _worker.busy = True
        try:
            return function(*args)
        finally:
            _worker.busy = False
    return task


def run_in_bands(work: Callable[[int, int], None], rows: int, size: int) -> None:
    """``work(start, stop)`` over ``rows`` split in one band per core; a job of under
    SERIAL_BYTES (``size``: bytes it reads and writes) or one inside a pool task runs here,
    in one band."""
    busy = getattr(_worker, "busy", False)
    bands = 1 if busy or size <= SERIAL_BYTES else min(rows, workers())
    if bands == 1:
        work(0, rows)
        return
    edges = [rows * band // bands for band in range(bands + 1)]
    task = _in_worker(work)
    for future in [_pool().submit(task, start, stop) for start, stop in pairwise(edges)]:
        future.result()


def map_notes(function: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
    """``[function(item) for item in items]``, the items spread over the cores (each task's
    own layers then run in one band: independent notes need no step-by-step meeting)."""
    if len(items) < 2 or workers() == 1 or getattr(_worker, "busy", False):
        return [function(item) for item in items]
    with blas_single_thread():
        return list(_pool().map(_in_worker(function), items))
