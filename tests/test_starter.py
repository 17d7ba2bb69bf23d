"""The shipped starter models: listed, documented, small, and loadable without TensorFlow."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import magwidgets as mw
from magwidgets.errors import BundleError
from magwidgets.families import EVENT_RNN_CONFIGS as CONFIGS
from magwidgets.families.music_vae import VAE_CONFIGS
from magwidgets.starter import MODELS, starter_model

EVENT_RNN_STARTERS = {"drums": "drum_kit", "melody": "attention_rnn", "melody_basic": "basic_rnn",
                      "polyphony": "polyphony", "improv": "chord_pitches_improv",
                      "performance": "performance_with_dynamics"}
MAX_TOTAL_MB = 40
CLEARLY_BELOW = 0.95  # the model's held-out perplexity is at most this share of the baseline


def test_every_event_rnn_starter_is_listed_with_its_card_and_sample():
    listed = {model.name: model for model in mw.starter_models()}
    assert {name: listed[name].config for name in EVENT_RNN_STARTERS} == EVENT_RNN_STARTERS
    for model in listed.values():
        assert model.config in CONFIGS or model.config in VAE_CONFIGS
        assert model.model_path.exists(), model
        assert model.card and (model.card_path.parent / "sample.png").stat().st_size > 1000
    for name in EVENT_RNN_STARTERS:
        assert "## Data and licence" in listed[name].card


def test_the_starter_models_are_small_enough_to_ship():
    total = sum(path.stat().st_size for path in MODELS.rglob("*") if path.is_file())
    assert total < MAX_TOTAL_MB * 1024 * 1024, f"{total / 1e6:.1f} MB"


@pytest.mark.parametrize("name", sorted(EVENT_RNN_STARTERS))
def test_card_shows_the_model_beating_the_bigram_baseline(name):
    card = starter_model(name).card
    model = float(re.search(r"\| this model \| ([\d.]+) \|", card).group(1))
    baseline = float(re.search(r"\| add-one bigram baseline[^|]*\| ([\d.]+) \|", card).group(1))
    assert model < CLEARLY_BELOW * baseline, (model, baseline)


def test_starters_load_and_generate_without_tensorflow():
    """A fresh process loads each event-RNN starter by name and never imports TensorFlow
    (the Magenta.js folders are read with NumPy), so dashboards start with music at once."""
    script = (
        "import sys, magwidgets as mw\n"
        f"for name in {sorted(EVENT_RNN_STARTERS)!r}:\n"
        "    model = mw.load_model('starter:' + name)\n"
        "    extra = {'chords': ['C', 'G7']} if name == 'improv' else {}\n"
        "    sequence = model.generate(steps=500 if name == 'performance' else 16, seed=0, **extra)\n"
        "    assert sequence.notes, name\n"
        "print('tensorflow' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_unknown_starter_names_the_available_ones():
    with pytest.raises(BundleError, match="no starter model named 'nope'; available: .*drums"):
        mw.load_model("starter:nope")
