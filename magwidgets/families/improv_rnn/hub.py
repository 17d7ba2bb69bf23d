"""The improv_rnn models Magenta published (sources: ``magwidgets.families.published``)."""

from magwidgets.families.published import bundle, js

HUB_MODELS = (
    bundle("chord_pitches_improv", "improv_rnn", "chord_pitches_improv",
            "Improv RNN pre-trained on thousands of MIDI files: melodies over chords, "
            "chords encoded by their pitches"),
    js("chord_pitches_improv", "improv_rnn", "chord_pitches_improv",
        "music_rnn/chord_pitches_improv",
        "Improv RNN (Magenta.js) over chords, converted from chord_pitches_improv.mag", 5.6),
)
