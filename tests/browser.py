"""Driving a real headless Chromium and Voilà server from tests (loopback only).

Tests that need Chromium fail, rather than skip, when it is missing: CI installs it.
Playwright drives Debian's Chromium (no browser download), with every request that would leave
this machine blocked and recorded, so a page that needs the internet is caught.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import websocket

from magwidgets.render.pianoroll_figure import CHROMIUM_FLAGS, find_chromium

VOILA_TIMEOUT = 120  # seconds for Voilà to start, run the notebook and the page to draw it
LOCAL_PREFIXES = ("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:", "about:")
VIEWPORT = {"width": 1280, "height": 900}
ACTION_TIMEOUT = 60  # seconds for one button's work to reach the page
PLAYERS = ".magwidgets-player:visible"  # one per result view: <audio> and MIDI link


def artifacts_folder() -> Path:
    """Where browser tests leave screenshots and server logs (``MAGWIDGETS_ARTIFACTS``, else
    tests/artifacts), created when missing."""
    folder = Path(os.environ.get("MAGWIDGETS_ARTIFACTS") or Path(__file__).parent / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])



@contextmanager
def voila_server(folder: Path, cells: list[str]) -> Iterator[str]:
    """Serve a notebook of these code cells with Voilà on loopback; yields its URL."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(notebook, folder / "page.ipynb")
    with serve_notebook(folder / "page.ipynb") as url:
        yield url


@contextmanager
def serve_notebook(notebook: Path, log: Path | None = None) -> Iterator[str]:
    """Serve ``notebook`` with Voilà on loopback, run from the notebook's folder (so its
    relative paths work); yields its URL. The server's log goes to ``log`` when given."""
    port = free_port()
    voila = Path(sys.executable).with_name("voila")
    with open(log or os.devnull, "w") as output:
        server = subprocess.Popen([str(voila), notebook.name, "--no-browser", f"--port={port}",
                                   "--Voila.ip=127.0.0.1"], cwd=notebook.parent,
                                  stdout=output, stderr=subprocess.STDOUT)
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
            server.terminate()  # Voila shuts its kernels down first: slow on a loaded machine
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=30)


@contextmanager
def offline_page() -> Iterator[tuple[Any, list[str]]]:
    """A Playwright page in headless Debian Chromium, and the list of URLs it tried to load
    from anywhere but this machine (each was blocked)."""
    from playwright.sync_api import sync_playwright

    outside: list[str] = []

    def block(route: Any) -> None:
        outside.append(route.request.url)
        route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(),
                                             args=list(CHROMIUM_FLAGS))
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.route(lambda url: not url.startswith(LOCAL_PREFIXES), block)
            yield page, outside
        finally:
            browser.close()


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




# -- using magwidgets dashboards in a Playwright page ---------------------------------------
def wait_for(page: Any, check: Callable[[], Any], what: str,
             timeout: float = ACTION_TIMEOUT) -> Any:
    """Poll ``check`` until it is true; on timeout, fail with a screenshot in the artifacts."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = check()
        if answer:
            return answer
        time.sleep(0.2)
    shot = artifacts_folder() / "timeout.png"
    page.screenshot(path=shot, full_page=True)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (see {shot})")


def open_tabs(page: Any, tabs: tuple[str, ...]) -> None:
    """Click these tab titles in turn (outermost first): the first visible tab of each."""
    for title in tabs:
        page.locator(".lm-TabBar-tab:visible", has_text=title).first.click()


def set_slider(page: Any, label: str, value: str) -> None:
    """Type ``value`` into the readout of the visible slider labelled ``label``."""
    slider = page.locator(".widget-slider:visible", has=page.locator("label", has_text=label))
    readout = slider.first.locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")
    wait_for(page, lambda: readout.inner_text().strip() in (value, f"{float(value):.2f}"),
             f"slider {label!r} to read {value}", timeout=10)


def click_button(page: Any, button: str) -> None:
    """Click the visible button whose text is exactly ``button``."""
    exact = re.compile(rf"^\s*{re.escape(button)}\s*$")
    page.locator("button:visible", has_text=exact).first.click()


def history_text(page: Any) -> str:
    """The text of the visible results history's current entry ("" before any result)."""
    select = page.locator(".widget-dropdown:visible",
                          has=page.locator("label", has_text="History")).locator("select")
    if not select.count():
        return ""
    text = select.first.evaluate(
        "s => s.selectedIndex >= 0 ? s.options[s.selectedIndex].text : ''")
    return text.replace("\xa0", " ")  # ipywidgets shows spaces as no-break spaces


def audio_sources(page: Any) -> list[str]:
    """The ``src`` of every visible result player's ``<audio>``."""
    return page.locator(f"{PLAYERS} audio").evaluate_all("els => els.map(e => e.src)")


def shown_text(page: Any) -> str:
    """The text the page shows (hidden tabs excluded)."""
    return page.evaluate("() => document.body.innerText")
