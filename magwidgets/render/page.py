"""A standalone web page for a piece: pianoroll, audio player and MIDI download, offline.

The page is one HTML file (BokehJS, WAV and MIDI all inline, no CDN), so it can be mailed,
put on a class website or opened from a USB stick. While the audio plays, the pianoroll's
playhead follows it, turning the page when it leaves the visible window.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import note_seq
from note_seq.protobuf import music_pb2

from magwidgets.io.sequences import SequenceLike, to_note_sequence
from magwidgets.render.audio import (
    BACKEND_NAMES,
    DEFAULT_SAMPLE_RATE,
    Backend,
    synthesize,
    to_wav_bytes,
)
from magwidgets.render.pianoroll_figure import PianoRoll

PLAYER_CLASS = "magwidgets-player"  # CSS class of the box holding <audio> and the MIDI link

_FOLLOW_SCRIPT = """<script>
(function () {
  const ids = %(ids)s;
  const audio = document.querySelector("." + ids.player + " audio");
  let frame = null;
  function models() {
    for (const doc of (window.Bokeh ? Bokeh.documents : [])) {
      const span = doc.get_model_by_id(ids.playhead), range = doc.get_model_by_id(ids.x_range);
      if (span && range) return [span, range];
    }
    return [null, null];
  }
  function move() {
    const [span, range] = models();
    if (!span) return;
    const now = audio.currentTime;
    span.location = now;
    if (now < range.start || now > range.end) {  // turn the page, keeping the zoom
      const width = range.end - range.start;
      range.setv({start: now, end: now + width});
    }
  }
  function follow() { move(); frame = requestAnimationFrame(follow); }
  audio.addEventListener("play", () => { cancelAnimationFrame(frame); follow(); });
  for (const name of ["pause", "ended", "seeked"])
    audio.addEventListener(name, () => { cancelAnimationFrame(frame); move(); });
})();
</script>"""


def midi_bytes(sequence: music_pb2.NoteSequence) -> bytes:
    """The sequence as a standard MIDI file."""
    stream = io.BytesIO()
    note_seq.note_sequence_to_pretty_midi(sequence).write(stream)
    return stream.getvalue()


def midi_download_link(sequence: music_pb2.NoteSequence, filename: str) -> str:
    """An ``<a download>`` link carrying the MIDI file inline (works offline)."""
    encoded = base64.b64encode(midi_bytes(sequence)).decode("ascii")
    return (f'<a download="{html.escape(filename)}" href="data:audio/midi;base64,{encoded}" '
            f'title="Download this music as a MIDI file">&#x2B07; {html.escape(filename)}</a>')


def music_page(music: SequenceLike, *, title: str = "magwidgets", primer_end: float | None = None,
               sample_rate: int = DEFAULT_SAMPLE_RATE, backend: Backend = "auto",
               soundfont: str | None = None, filename: str = "magwidgets.mid",
               **pianoroll_options: Any) -> str:
    """The HTML of a page showing ``music`` with a player whose playhead the roll follows."""
    sequence = to_note_sequence(music)
    roll = PianoRoll(sequence, primer_end=primer_end, title=title, **pianoroll_options)
    waveform = synthesize(sequence, sample_rate=sample_rate, backend=backend, soundfont=soundfont)
    audio = base64.b64encode(to_wav_bytes(waveform)).decode("ascii")
    ids = {"playhead": roll.playhead.id, "x_range": roll.figure.x_range.id, "player": PLAYER_CLASS}
    player = (f'<div class="{PLAYER_CLASS}" style="font-family: sans-serif; margin: 8px 0">'
              f'<audio controls src="data:audio/wav;base64,{audio}"></audio> '
              f'{midi_download_link(sequence, filename)} '
              f"<small>played by {BACKEND_NAMES[waveform.backend]}</small></div>")
    script = _FOLLOW_SCRIPT % {"ids": json.dumps(ids)}
    return roll.html(title).replace("</body>", f"{player}\n{script}\n</body>", 1)


def write_music_page(path: str | Path, music: SequenceLike, **options: Any) -> Path:
    """Write ``music_page(music, **options)`` to ``path``."""
    path = Path(path)
    path.write_text(music_page(music, **options), encoding="utf-8")
    return path
