"""Driving a real headless Chromium and Voilà server from tests (loopback only).

Tests that need Chromium fail, rather than skip, when it is missing: CI installs it.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import websocket

from magwidgets.render.pianoroll_figure import CHROMIUM_FLAGS

VOILA_TIMEOUT = 120  # seconds for Voilà to start, run the notebook and the page to draw it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])



@contextmanager
def voila_server(folder: Path, cells: list[str]) -> Iterator[str]:
    """Serve a notebook of these code cells with Voilà on loopback; yields its URL."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(notebook, folder / "page.ipynb")
    port = free_port()
    voila = Path(sys.executable).with_name("voila")
    server = subprocess.Popen([str(voila), "page.ipynb", "--no-browser", f"--port={port}",
                               "--Voila.ip=127.0.0.1"], cwd=folder,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + VOILA_TIMEOUT
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
                break
            except OSError:
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=30)


def evaluate_until(chromium: str, profile: Path, url: str, wanted: str,
                    expression: str, flags: tuple[str, ...] = ()) -> str:
    """Open ``url`` in headless Chromium and evaluate ``expression`` (via DevTools) until it
    gives ``wanted`` or VOILA_TIMEOUT passes; returns the last answer."""
    browser = subprocess.Popen([chromium, *CHROMIUM_FLAGS, *flags, f"--user-data-dir={profile}",
                                "--remote-debugging-port=0", url],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    answer = ""
    try:
        deadline = time.monotonic() + VOILA_TIMEOUT
        while not (profile / "DevToolsActivePort").is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        port = (profile / "DevToolsActivePort").read_text().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=10))
        page = next(t for t in targets if t["type"] == "page")
        devtools = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        while answer != wanted and time.monotonic() < deadline:
            time.sleep(1)
            devtools.send(json.dumps({"id": 1, "method": "Runtime.evaluate",
                                      "params": {"expression": expression, "returnByValue": True}}))
            reply = json.loads(devtools.recv())
            while reply.get("id") != 1:
                reply = json.loads(devtools.recv())
            answer = reply["result"]["result"].get("value", "")
        devtools.close()
    finally:
        browser.terminate()
        browser.wait(timeout=30)
    return answer


