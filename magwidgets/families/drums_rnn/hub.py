"""The drums_rnn models Magenta published (sources: ``magwidgets.families.published``)."""

from magwidgets.families.published import bundle, js

HUB_MODELS = (
    bundle("drum_kit_rnn", "drums_rnn", "drum_kit",
            "Drums RNN: 9-piece drum kit (kick, snare, hi-hats, toms, cymbals) with attention"),
    js("drum_kit_rnn", "drums_rnn", "drum_kit", "music_rnn/drum_kit_rnn",
        "Drums RNN (Magenta.js), converted from drum_kit_rnn.mag", 11.9),
)
