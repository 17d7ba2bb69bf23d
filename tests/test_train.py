"""Training smoke tests: every event-RNN family learns on a tiny slice of real data, its
exports load in magwidgets and generate, resume and overwrite rules hold, and the exported
weights reproduce the Keras network."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from note_seq.protobuf import music_pb2

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import magwidgets as mw  # noqa: E402
from magwidgets.families.event_rnn import weights as names  # noqa: E402
from magwidgets.cli import main  # noqa: E402
from magwidgets.errors import MagwidgetsError  # noqa: E402
from magwidgets.families.improv_rnn.chords import CHORD_SYMBOL  # noqa: E402
from magwidgets.engine.lstm import softmax  # noqa: E402
from magwidgets.train.data import Example, pad_batch  # noqa: E402
from magwidgets.train.evaluate import bigram_perplexity, chord_tone_share, scale_share  # noqa: E402
from magwidgets.train.event_rnn import train_event_rnn  # noqa: E402
from magwidgets.train.export_mag import export_run_mag  # noqa: E402
from magwidgets.train.loop import FitSettings, RunFolder  # noqa: E402
from magwidgets.train.rnn import build_model, magenta_variables, network_spec  # noqa: E402

DATASETS = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"
TINY = FitSettings(epochs=2, batch_size=8, learning_rate=1e-2, seed=0)
# family -> (config, sources, files per source): a few real files each
SLICES = {
    "drums_rnn": ("drum_kit", [DATASETS / "groove-midi"], 40),
    "melody_rnn": ("attention_rnn", [DATASETS / "openewld-pd"], 6),
    "polyphony_rnn": ("polyphony", ["music21:bach"], 2),
    "performance_rnn": ("performance_with_dynamics", [DATASETS / "vienna4x22"], 2),
    "improv_rnn": ("chord_pitches_improv", [DATASETS / "openewld-pd"], 6),
}
EXAMPLES = 8  # training (and held-out) examples per family


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    """Each family trained for two short epochs: run folder and record."""
    trained = {}
    for family, (config, sources, files) in SLICES.items():
        run = tmp_path_factory.mktemp(family)
        record = train_event_rnn(family, config, sources, run, layer_sizes=(16, 16),
                                 settings=TINY, max_files=files, window=64,
                                 max_examples=EXAMPLES)
        trained[family] = (run, record)
    return trained


@pytest.mark.parametrize("family", list(SLICES))
def test_family_learns_and_its_mag_export_generates(runs, family, tmp_path):
    run, record = runs[family]
    losses = [epoch["train_loss"] for epoch in record["epochs"]]
    assert len(losses) == 2 and losses[1] < losses[0]
    assert record["steps"] > 2 and record["baseline"] > 1.0
    bundle = export_run_mag(RunFolder(run), tmp_path / "model.mag")
    model = mw.load_model(bundle)
    assert model.config.id == SLICES[family][0]
    assert model.network.layer_sizes == [16, 16]
    options = {"chords": ["C", "G7"]} if family == "improv_rnn" else {}
    sequence = model.generate(steps=16 if family != "performance_rnn" else 200, seed=0, **options)
    assert sequence.total_time > 0


def _one_hot_inputs(model, steps: int = 12) -> np.ndarray:
    """A batch of real-looking inputs: the encoder's encoding of random label sequences."""
    rng = np.random.default_rng(0)
    inputs = np.zeros((2, steps, model.encoder.input_size), np.float32)
    inputs[np.arange(2)[:, None], np.arange(steps)[None],
           rng.integers(0, model.encoder.input_size, (2, steps))] = 1.0
    return inputs


def test_mag_export_reproduces_the_trained_keras_network(runs, tmp_path):
    run, _ = runs["drums_rnn"]
    model = mw.load_model(export_run_mag(RunFolder(run), tmp_path / "drums.mag"))
    assert model.network.attention is not None and model.network.attention.length == 32
    inputs = _one_hot_inputs(model)
    keras_model = RunFolder(run).best_model()
    expected = np.asarray(softmax(np.asarray(keras_model(inputs, training=False))))
    np.testing.assert_allclose(model.predict_proba(inputs), expected, atol=1e-5)


@pytest.mark.parametrize("config,wraps", [
    ("basic_rnn", "first"), ("drum_kit", "first"), ("drum_kit", "stack"), ("polyphony", "first"),
    ("performance_with_dynamics", "first"), ("chord_pitches_improv", "first"),
    ("attention_rnn", "first")])
def test_magenta_names_rebuild_the_same_network_in_numpy(config, wraps):
    spec = network_spec(config, layer_sizes=(24, 16), attention_wraps=wraps)
    keras_model = build_model(spec)
    rng = np.random.default_rng(1)
    for weight in keras_model.weights:  # biases and forget gates away from their init values
        weight.assign(np.asarray(weight) + rng.normal(0, 0.3, weight.shape).astype(np.float32))
    network = names.build_network(names.canonical_weights(magenta_variables(keras_model, spec)),
                                  spec.attention_length, Path(config))
    inputs = (rng.random((2, 9, spec.input_size)) < 0.05).astype(np.float32)
    logits, _ = network.run(inputs, network.zero_state(2))
    expected = softmax(np.asarray(keras_model(inputs, training=False)))
    np.testing.assert_allclose(softmax(logits), expected, atol=1e-5)


def test_resume_continues_from_the_saved_epoch(runs):
    run, record = runs["melody_rnn"]
    config, sources, files = SLICES["melody_rnn"]
    resumed = train_event_rnn("melody_rnn", config, sources, run, layer_sizes=(16, 16),
                              settings=FitSettings(**{**TINY.__dict__, "epochs": 3}),
                              max_files=files, window=64, max_examples=EXAMPLES)
    assert [epoch["epoch"] for epoch in resumed["epochs"]] == [1, 2, 3]
    assert resumed["epochs"][:2] == record["epochs"]
    assert resumed["steps"] > record["steps"]


def test_export_never_overwrites_without_force(runs, tmp_path, capsys):
    run, _ = runs["melody_rnn"]
    out = tmp_path / "melody.mag"
    assert main(["export", str(run), "--format", "mag", "--out", str(out)]) == 0
    before = out.read_bytes()
    assert main(["export", str(run), "--format", "mag", "--out", str(out)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert main(["export", str(run), "--format", "mag", "--out", str(out), "--force"]) == 0


def test_magentajs_export_loads_back_with_identical_outputs(runs, tmp_path):
    run, _ = runs["improv_rnn"]
    folder = tmp_path / "js"
    assert main(["export", str(run), "--format", "magentajs", "--out", str(folder)]) == 0
    assert {p.name for p in folder.iterdir()} >= {"config.json", "weights_manifest.json"}
    from_js = mw.load_model(folder)
    from_mag = mw.load_model(export_run_mag(RunFolder(run), tmp_path / "improv.mag"))
    inputs = _one_hot_inputs(from_mag)
    np.testing.assert_array_equal(from_js.predict_proba(inputs), from_mag.predict_proba(inputs))
    chords = ["C", "Am", "F", "G7"]
    assert (from_js.generate(steps=32, seed=5, chords=chords)
            == from_mag.generate(steps=32, seed=5, chords=chords))


def test_cli_names_wrong_configs_empty_data_and_missing_checkpoints(tmp_path, capsys):
    assert main(["train", "drums_rnn", "--config", "attention_rnn", "--data", str(tmp_path),
                 "--out", str(tmp_path / "run")]) == 2
    assert "not a drums_rnn config; drums_rnn configs: drum_kit, one_drum" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not music")
    assert main(["train", "melody_rnn", "--config", "basic_rnn", "--data", str(empty),
                 "--out", str(tmp_path / "run")]) == 2
    assert "read 0 files" in capsys.readouterr().err
    assert main(["export", str(tmp_path), "--format", "mag"]) == 2
    assert "not a training run (no run.json)" in capsys.readouterr().err


def test_best_model_needs_a_checkpoint(tmp_path):
    RunFolder(tmp_path).write_record({"family": "melody", "epochs": []})
    with pytest.raises(MagwidgetsError, match="no checkpoint to export"):
        RunFolder(tmp_path).best_model()


def test_bigram_baseline_is_add_one_smoothed():
    train = [Example(np.zeros((3, 1)), np.array([0, 1, 0]))]
    held_out = [Example(np.zeros((2, 1)), np.array([0, 1]))]
    # first label: unigram (1 + 1) / (1 + 2); then P(1 | 0) = (1 + 1) / (1 + 2)
    assert bigram_perplexity(train, held_out, 2) == pytest.approx(1.5)
    assert pad_batch(held_out)[2].sum() == 2


def test_musical_sanity_helpers():
    assert scale_share([60, 62, 64, 65, 67, 69, 71, 72]) == 1.0
    assert scale_share([60, 61, 62]) == pytest.approx(2 / 3)
    sequence = music_pb2.NoteSequence()
    sequence.text_annotations.add(time=0.0, text="C", annotation_type=CHORD_SYMBOL)
    sequence.notes.add(pitch=64, start_time=0.0, end_time=0.5)
    sequence.notes.add(pitch=62, start_time=0.5, end_time=1.0)
    assert chord_tone_share(sequence, 0.0) == (1, 2)
