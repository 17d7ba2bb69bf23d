"""Draw docs/studio.png: the Studio dashboard in Voilà, Continue > Drums after one Generate.

Run from the repository root: `python docs/make_studio_screenshot.py`. Needs Debian's
`chromium`; all of it runs on this machine (Voilà on loopback, the shipped starter models).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from browser import (VOILA_TIMEOUT, audio_sources, click_button, offline_page,  # noqa: E402
                     open_tabs, serve_notebook, wait_for)

OUT = Path(__file__).parent / "studio.png"
WINDOW = {"width": 1280, "height": 1335}  # the tool and its first result
SETTLE_MS = 500  # for the pianoroll's canvas to repaint after its data arrives


def main() -> None:
    with serve_notebook(ROOT / "notebooks" / "studio.ipynb") as url, \
            offline_page() as (page, _):
        page.set_viewport_size(WINDOW)
        page.goto(url, timeout=VOILA_TIMEOUT * 1000)
        page.locator("canvas").first.wait_for(timeout=VOILA_TIMEOUT * 1000)
        open_tabs(page, ("Continue", "Drums"))
        click_button(page, "Generate")
        wait_for(page, lambda: len(audio_sources(page)) == 1 and all(audio_sources(page)),
                 "the continued beat")
        page.wait_for_timeout(SETTLE_MS)
        page.screenshot(path=OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
