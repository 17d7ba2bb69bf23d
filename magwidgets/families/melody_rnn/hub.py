"""The melody_rnn models Magenta published (sources: ``magwidgets.families.published``)."""

from magwidgets.families.published import bundle, js

MELODY = "Melody RNN pre-trained on thousands of MIDI files"

HUB_MODELS = (
    bundle("basic_rnn", "melody_rnn", "basic_rnn", f"{MELODY}: one-hot melody encoding"),
    bundle("mono_rnn", "melody_rnn", "mono_rnn",
            f"{MELODY}: basic encoding over the full MIDI pitch range"),
    bundle("lookback_rnn", "melody_rnn", "lookback_rnn",
            f"{MELODY}: lookback encoding, repeats phrases one and two bars back"),
    bundle("attention_rnn", "melody_rnn", "attention_rnn",
            f"{MELODY}: attention over the last steps, for longer-term structure"),
    js("basic_rnn", "melody_rnn", "basic_rnn", "music_rnn/basic_rnn",
        "Melody RNN (Magenta.js), converted from basic_rnn.mag", 13.0),
    js("melody_rnn", "melody_rnn", "mono_rnn", "music_rnn/melody_rnn",
        "Melody RNN (Magenta.js) over all 128 MIDI pitches (run as mono_rnn)", 13.4),
)
