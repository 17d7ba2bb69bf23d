"""The GANSynth widget driven through its traitlets: notes are the model's own, the morph
slider decodes on demand and caches, a score plays with the two instruments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import magwidgets as mw
from magwidgets.families.gansynth.score import slerp
from magwidgets.families.gansynth.widget import GANSynthWidget
from magwidgets.widgets.view import AudioView

FIXTURES = Path(__file__).parent / "fixtures" / "magenta-oracle" / "gansynth"


@pytest.fixture(scope="module")
def model():
    return mw.load_model(FIXTURES / "ckpt")


def test_a_note_at_a_morph_is_the_models_note(model):
    widget = GANSynthWidget(model, pitch=64, instrument_a=3, instrument_b=9, morph=0.25)
    note = widget.play_note()
    z = slerp(model.random_z(1, 3)[0], model.random_z(1, 9)[0], 0.25)
    np.testing.assert_array_equal(note, model.generate(64, z=z))
    assert isinstance(widget.results.views[0], AudioView)
    assert widget.play_note() is note  # the same point again comes from the cache
    widget.morph = 1.0
    np.testing.assert_allclose(widget.play_note(), model.generate(64, z=model.random_z(1, 9)[0]),
                               atol=1e-6)


def test_a_score_plays_with_both_instruments(model):
    widget = GANSynthWidget(model)
    audio = widget.play_score(FIXTURES / "midi" / "input.mid")
    clip = model.clip_seconds(FIXTURES / "midi" / "input.mid")
    expected = model.render(FIXTURES / "midi" / "input.mid", z_instruments=widget.instruments(),
                            seconds_per_instrument=clip / 2)
    np.testing.assert_array_equal(audio, expected)


def test_settings_are_checked(model):
    widget = GANSynthWidget(model)
    with pytest.raises(Exception, match="pitch"):
        widget.pitch = 90
    assert widget.pitch == 60
    with pytest.raises(mw.MagwidgetsError, match="did you mean 'pitch'"):
        GANSynthWidget(model, pich=61)
