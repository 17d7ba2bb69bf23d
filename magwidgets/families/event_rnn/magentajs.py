"""Which event-RNN configs Magenta.js's ``MusicRNN`` runs, and the ``config.json`` spec of each."""

from __future__ import annotations

import copy

from magwidgets.families.event_rnn.config import MELODY_MAX_NOTE, MELODY_MIN_NOTE

MAGENTAJS_TYPE = "MusicRNN"
_MELODY_RANGE = {"minPitch": MELODY_MIN_NOTE, "maxPitch": MELODY_MAX_NOTE - 1}  # inclusive
_RNN_SPECS = {  # the event-RNN configs Magenta.js's MusicRNN can run (one-hot inputs)
    "basic_rnn": {"dataConverter": {"type": "MelodyConverter", "args": _MELODY_RANGE}},
    "mono_rnn": {"dataConverter": {"type": "MelodyConverter",
                                   "args": {"minPitch": 0, "maxPitch": 127}}},
    "basic_improv": {"dataConverter": {"type": "MelodyConverter", "args": _MELODY_RANGE},
                     "chordEncoder": "TriadChordEncoder"},
    "chord_pitches_improv": {"dataConverter": {"type": "MelodyConverter", "args": _MELODY_RANGE},
                             "chordEncoder": "PitchChordEncoder"},
    "drum_kit": {"dataConverter": {"type": "DrumsOneHotConverter", "args": {}},
                 "auxInputs": [{"type": "BinaryCounter", "args": {"numBits": 6}}]},
}


def rnn_spec(config_id: str) -> dict:
    """The ``config.json`` spec (without ``type``) for an event-RNN config: Magenta.js's own
    where MusicRNN runs it, else empty (magwidgets reads such folders; Magenta.js cannot)."""
    return copy.deepcopy(_RNN_SPECS.get(config_id, {}))
