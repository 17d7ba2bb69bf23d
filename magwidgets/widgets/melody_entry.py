"""Typing or clicking a melody: note names or MIDI numbers in a text box, and a keyboard.

``"C4 E4 G4 - r C5"``: each token is one note of the chosen length; ``-`` holds the note
before for one more length and ``r`` is a rest. MIDI numbers (``60 64 67``) work too, and
``C4+E4+G4`` is a chord (for the polyphonic models). Clicking a key of the on-screen keyboard
appends its name to the text.
"""

from __future__ import annotations

import re
from typing import Any

import ipywidgets as widgets
import note_seq
from note_seq.protobuf import music_pb2
from traitlets import Float, Unicode

from magwidgets.errors import PrimerError

HOLD, REST, CHORD = "-", "r", "+"
NOTE_VELOCITY = 90
MIN_PITCH, MAX_PITCH = note_seq.MIN_MIDI_PITCH, note_seq.MAX_MIDI_PITCH  # inclusive
KEYBOARD_LOW = 60  # C4, the first key of the on-screen keyboard
KEYBOARD_KEYS = 25  # two octaves and the top C
NOTE_LENGTHS = {"sixteenth": 0.25, "eighth": 0.5, "quarter": 1.0}  # in quarter notes
_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_NOTE = re.compile(r"^([A-Ga-g])([#b]*)(-?\d+)$")


def note_name(pitch: int) -> str:
    """``60`` -> ``"C4"`` (sharps; middle C is C4)."""
    return f"{_NAMES[pitch % 12]}{pitch // 12 - 1}"


def parse_pitch(token: str) -> int:
    """A MIDI pitch from ``"C4"``, ``"Eb3"``, ``"F#5"`` or ``"64"``.

    Raises:
        PrimerError: the token is neither a note name with octave nor a MIDI number 0-127.
    """
    if token.isdigit():
        pitch = int(token)
    else:
        match = _NOTE.match(token)
        if match is None:
            raise PrimerError(f"cannot read note {token!r}: expected a name with an octave "
                              f"like C4, Eb3, F#5, a MIDI number like 60, '{HOLD}' to hold "
                              f"or '{REST}' for a rest")
        letter, accidentals, octave = match.groups()
        pitch = ((int(octave) + 1) * 12 + _STEPS[letter.upper()]
                 + accidentals.count("#") - accidentals.count("b"))
    if not MIN_PITCH <= pitch <= MAX_PITCH:
        raise PrimerError(f"note {token!r} is MIDI pitch {pitch}, outside {MIN_PITCH}-{MAX_PITCH}")
    return pitch


def parse_melody(text: str, qpm: float, quarters_per_note: float = 0.5) -> music_pb2.NoteSequence:
    """The melody (or chords) in ``text`` as a NoteSequence at ``qpm``; each token lasts
    ``quarters_per_note`` quarter notes.

    Raises:
        PrimerError: a token cannot be read, or the melody starts with a hold.
    """
    length = 60.0 / qpm * quarters_per_note
    sequence = music_pb2.NoteSequence(ticks_per_quarter=note_seq.STANDARD_PPQ)
    sequence.tempos.add(qpm=qpm)
    sequence.time_signatures.add(numerator=4, denominator=4)
    tokens = text.replace(",", " ").split()
    held: list[Any] = []  # the notes the last token started, which "-" holds
    for index, token in enumerate(tokens):
        start = index * length
        if token == HOLD:
            if not held:
                raise PrimerError(f"'{HOLD}' at position {index + 1} holds nothing: put a "
                                  "note before it")
            for note in held:
                note.end_time = start + length
        elif token.lower() == REST:
            held = []
        else:
            held = [sequence.notes.add(pitch=parse_pitch(name), velocity=NOTE_VELOCITY,
                                       start_time=start, end_time=start + length)
                    for name in token.split(CHORD)]
    sequence.total_time = len(tokens) * length
    return sequence


class MelodyEntry(widgets.VBox):
    """A text box for a melody and a two-octave keyboard that types into it."""

    text = Unicode("", help="The melody: note names or MIDI numbers, '-' holds, 'r' rests")
    quarters_per_note = Float(0.5, help="Length of each token in quarter notes")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entry = widgets.Text(placeholder="C4 E4 G4 - r C5   or   60 64 67   or   C4+E4+G4",
                                  description="Notes", layout=widgets.Layout(width="100%"))
        self.length = widgets.Dropdown(options=list(NOTE_LENGTHS.items()),
                                       description="Each note", value=self.quarters_per_note)
        widgets.link((self, "text"), (self.entry, "value"))
        widgets.link((self, "quarters_per_note"), (self.length, "value"))
        keys = [self._key(pitch) for pitch in range(KEYBOARD_LOW, KEYBOARD_LOW + KEYBOARD_KEYS)]
        erase = widgets.Button(description="⌫", tooltip="remove the last note",
                               layout=widgets.Layout(width="40px"))
        erase.on_click(lambda _: self.erase())
        clear = widgets.Button(description="clear", layout=widgets.Layout(width="60px"))
        clear.on_click(lambda _: setattr(self, "text", ""))
        self.keyboard = widgets.HBox(keys + [erase, clear],
                                     layout=widgets.Layout(flex_flow="row wrap"))
        self.children = (widgets.HBox([self.entry, self.length]), self.keyboard)

    def _key(self, pitch: int) -> widgets.Button:
        name = note_name(pitch)
        black = "#" in name
        key = widgets.Button(description=name, tooltip=f"add {name}",
                             layout=widgets.Layout(width="38px", height="48px" if black else "60px",
                                                   padding="0", border="1px solid #888888"))
        key.style.button_color = "#333333" if black else "#ffffff"
        key.style.text_color = "#ffffff" if black else "#000000"
        key.style.font_size = "10px"
        key.on_click(lambda _: self.add(name))
        return key

    def add(self, token: str) -> None:
        """Append a note name, ``-`` or ``r`` to the melody."""
        self.text = f"{self.text} {token}".strip()

    def erase(self) -> None:
        """Remove the last token."""
        self.text = " ".join(self.text.split()[:-1])

    def to_sequence(self, qpm: float) -> music_pb2.NoteSequence:
        """The melody as a NoteSequence at ``qpm`` (see ``parse_melody``)."""
        return parse_melody(self.text, qpm, self.quarters_per_note)
