"""One BLAS thread while a MusicVAE computes.

Its matrix-vector products are far too small to split across threads; OpenBLAS splits them
anyway, and on a busy machine (a class of thirty kernels on one server) the threads only wait
on each other: a 1024x858 product takes 4 ms that way and 0.1 ms on one. (The event-RNN
engine still runs with the library's default thread count.)
"""

from __future__ import annotations

from functools import cache, wraps
from typing import Callable, TypeVar

from threadpoolctl import ThreadpoolController

Method = TypeVar("Method", bound=Callable)


@cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def one_blas_thread(method: Method) -> Method:
    """Run ``method`` with BLAS limited to one thread (restored afterwards)."""

    @wraps(method)
    def limited(*args, **kwargs):
        with _controller().limit(limits=1, user_api="blas"):
            return method(*args, **kwargs)

    return limited  # type: ignore[return-value]
