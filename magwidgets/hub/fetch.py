"""One URL to one file over HTTP(S): a ``.part`` file first, resumed with a ``Range`` request
after an interruption (or restarted cleanly when the server ignores ranges), a byte budget,
progress on a shared tqdm bar, and the rename to the final name only once every byte came.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

from magwidgets.errors import HubError

ATTEMPTS = 4  # the first request and up to three resumes
TIMEOUT_S = 30.0
CHUNK = 1 << 16
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class FetchError(Exception):
    """The URL could not be fetched (unreachable, or an HTTP error); ``status`` is the HTTP
    status, None when no server answered."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url, self.reason, self.status = url, reason, status


class _Interrupted(Exception):
    """The body ended before the announced length; the ``.part`` file keeps what came."""


def _user_agent() -> str:
    from magwidgets import __version__

    return f"magwidgets/{__version__} (+model hub)"


def _open(url: str, offset: int) -> http.client.HTTPResponse:
    headers = {"User-Agent": _user_agent()}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                  timeout=TIMEOUT_S)


def _start(response: http.client.HTTPResponse, offset: int) -> tuple[int, int | None] | None:
    """Where this response's body starts in the file and the file's full size (if known):
    a 206 continues at ``offset``, a 200 is the whole file from byte 0; None for a range
    other than the one asked for."""
    if response.status == 206:
        match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
        if not offset or not match or int(match.group(1)) != offset:
            return None
        return offset, int(match.group(3)) if match.group(3) != "*" else None
    length = response.headers.get("Content-Length", "")
    return 0, int(length) if length.isdigit() else None


def _check_room(url: str, part: Path, start: int, total: int | None, budget: int) -> None:
    if total is None:
        return
    if total > budget:
        raise HubError(f"{url} is {total:,} bytes, over the size cap of {budget:,} bytes; "
                       "pass a larger max_bytes (or set MAGWIDGETS_HUB_MAX_BYTES) if you "
                       "expect a file that large")
    free = shutil.disk_usage(part.parent).free
    if total - start > free:
        raise HubError(f"{url} needs {total - start:,} more bytes but {part.parent} has only "
                       f"{free:,} free")


def _receive(url: str, response: http.client.HTTPResponse, part: Path, start: int,
             total: int | None, budget: int, bar: tqdm) -> None:
    """Append the body to ``part`` (truncated to ``start`` first)."""
    with open(part, "r+b" if start else "wb") as sink:
        sink.truncate(start)
        sink.seek(start)
        done = start
        while True:
            try:
                chunk = response.read(CHUNK)
            except (OSError, http.client.HTTPException) as error:
                raise _Interrupted(f"connection lost after {done:,} bytes ({error})") from None
            if not chunk:
                break
            done += len(chunk)
            if done > budget:
                sink.truncate(0)
                raise HubError(f"{url} sent more than the size cap of {budget:,} bytes; "
                               "pass a larger max_bytes (or set MAGWIDGETS_HUB_MAX_BYTES) "
                               "if you expect a file that large")
            sink.write(chunk)
            bar.update(len(chunk))
    if total is not None and done < total:
        raise _Interrupted(f"connection closed after {done:,} of {total:,} bytes")


def fetch(url: str, destination: Path, *, budget: int, bar: tqdm) -> int:
    """Download ``url`` to ``destination`` (skipped when it is already there) and return
    its size. Bytes left in ``<destination>.part`` by an interrupted run are resumed.

    Raises:
        FetchError: unreachable server, HTTP error, or interrupted ``ATTEMPTS`` times.
        HubError: the file is over ``budget`` bytes, or the disk has no room for it.
    """
    if destination.is_file():
        return destination.stat().st_size
    part = destination.with_name(destination.name + ".part")
    destination.parent.mkdir(parents=True, exist_ok=True)
    shown, sized, problem = 0, False, "no attempt made"
    for attempt in range(ATTEMPTS):
        time.sleep(0.2 * attempt)
        offset = part.stat().st_size if part.is_file() else 0
        try:
            with _open(url, offset) as response:
                begin = _start(response, offset)
                if begin is None:
                    part.unlink(missing_ok=True)
                    problem = "the server sent a range that was not asked for"
                    continue
                start, total = begin
                _check_room(url, part, start, total, budget)
                if total is not None and not sized:
                    bar.total, sized = (bar.total or 0) + total, True
                bar.update(start - shown)  # resumed bytes count; a restart takes them back
                shown = start
                try:
                    _receive(url, response, part, start, total, budget, bar)
                finally:
                    shown = part.stat().st_size if part.is_file() else 0
            os.replace(part, destination)
            return destination.stat().st_size
        except urllib.error.HTTPError as error:
            if error.code == 416 and offset:  # the range is past the end: start over
                part.unlink()
                problem = "the server refused to resume"
                continue
            raise FetchError(url, f"the server answered {error.code} {error.reason}",
                             error.code) from None
        except _Interrupted as error:
            problem = str(error)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", error)
            problem = (f"{type(reason).__name__}: {reason}" if isinstance(reason, Exception)
                       else str(reason))
            if not part.is_file():
                raise FetchError(url, f"cannot connect ({problem})") from None
    raise FetchError(url, f"the transfer failed {ATTEMPTS} times; last: {problem}")
