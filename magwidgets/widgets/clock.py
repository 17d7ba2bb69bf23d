"""A browser-side clock that reports where the neighbouring audio player is playing.

ipywidgets' ``Audio`` does not sync its playback position, so this invisible anywidget finds
the ``<audio>`` element inside the same player box and sends ``current_time`` (seconds) to
the kernel about ten times a second while it plays, and on pause, seek and end.
"""

from __future__ import annotations

import anywidget
from traitlets import Float, Unicode

from magwidgets.render.page import PLAYER_CLASS

UPDATES_PER_SECOND = 10

_ESM = """
function render({ model, el }) {
  let timer = null;
  const attach = () => {
    const box = el.closest("." + model.get("container_class"));
    const audio = box && box.querySelector("audio");
    if (!audio) { setTimeout(attach, 200); return; }
    const send = () => { model.set("current_time", audio.currentTime); model.save_changes(); };
    const stop = () => { clearInterval(timer); timer = null; send(); };
    audio.addEventListener("play", () => {
      clearInterval(timer);
      timer = setInterval(send, 1000 / model.get("updates_per_second"));
    });
    audio.addEventListener("pause", stop);
    audio.addEventListener("ended", stop);
    audio.addEventListener("seeked", send);
  };
  attach();
  return () => clearInterval(timer);
}
export default { render };
"""


class PlaybackClock(anywidget.AnyWidget):
    """Reports the playback position of the ``<audio>`` element in its player box."""

    _esm = _ESM
    current_time = Float(0.0, help="Playback position in seconds, as the browser reports it").tag(sync=True)
    container_class = Unicode(PLAYER_CLASS, help="CSS class of the box holding the <audio>").tag(sync=True)
    updates_per_second = Float(UPDATES_PER_SECOND, help="Position reports per second while playing").tag(sync=True)
