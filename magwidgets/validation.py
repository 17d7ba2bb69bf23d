"""One way to check a number argument: what is refused is named, with the range and the value."""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Sequence

from magwidgets.errors import GenerationError, MagwidgetsError


def check_number(name: str, value: object, *, low: float | None = None,
                 high: float | None = None, low_open: bool = False, integer: bool = False,
                 error: type[MagwidgetsError] = GenerationError) -> float | int:
    """``value`` if it is a finite number (an integer when ``integer``) within ``low``..``high``
    (``low`` itself excluded when ``low_open``); else ``error`` saying what was expected.

    Booleans, strings, None, NaN and infinities are refused: ``temperature="1.0"`` or
    ``seed=-1`` get a message naming the argument, never a numpy exception later.
    """
    kind = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool)
    if ok and not integer:
        ok = math.isfinite(float(value))  # type: ignore[arg-type]
    if ok and low is not None:
        ok = value > low if low_open else value >= low  # type: ignore[operator]
    if ok and high is not None:
        ok = value <= high  # type: ignore[operator]
    if not ok:
        raise error(f"{name} must be {_expected(integer, low, high, low_open)}, got {value!r}")
    return int(value) if integer else float(value)  # type: ignore[arg-type]


def _expected(integer: bool, low: float | None, high: float | None, low_open: bool) -> str:
    what = "an integer" if integer else "a number"
    if low is not None and high is not None and not low_open:
        return f"{what} from {low:g} to {high:g}"
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"<= {high:g}")
    return f"{what} {' and '.join(parts)}" if parts else what


def refuse_unknown(names: Iterable[str], known: Sequence[str], what: str,
                   error: type[MagwidgetsError] = GenerationError) -> None:
    """``error`` for the first of ``names`` not in ``known``, naming the closest known ones
    (``"DrumsRNN.generate takes no option 'temprature'; did you mean temperature?"``)."""
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=2, cutoff=0.6)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            raise error(f"{what} '{name}'; {hint}known: {', '.join(known)}")
