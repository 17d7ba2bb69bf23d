"""The polyphony_rnn models Magenta published (sources: ``magwidgets.families.published``)."""

from magwidgets.families.published import bundle

HUB_MODELS = (
    bundle("polyphony_rnn", "polyphony_rnn", "polyphony",
            "Polyphony RNN pre-trained on Bach chorales"),
)
