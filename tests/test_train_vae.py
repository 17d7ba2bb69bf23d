"""MusicVAE / GrooVAE training on a tiny slice of the Groove MIDI Dataset: the loss falls,
the exported ``.tar`` and Magenta.js folder load into the NumPy engine, which then computes
exactly what the Keras network computes, and decode music."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from note_seq.protobuf import music_pb2

import magwidgets as mw
from magwidgets.errors import MagwidgetsError
from magwidgets.train.data import prepare
from magwidgets.train.loop import FitSettings, RunFolder
from magwidgets.train.vae import WindowBatches, latent_model, train_vae_on, vae_spec
from magwidgets.train.vae_cli import export_music_vae
from magwidgets.train.vae_evaluate import (beat_share, bigram_perplexity, categorical_scores,
                                           groove_scores, humanize_scores, key_share,
                                           teacher_forced_logits)
from magwidgets.train.vae_export import export_tar, trained_run, write_checkpoint_tar

GROOVE = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "groove-midi"
SIZES = dict(enc_rnn_size=(24,), dec_rnn_size=(16, 16), z_size=8)
CONFIGS = ["cat-drums_2bar_small", "groovae_2bar_humanize"]


@pytest.fixture(scope="module", params=CONFIGS)
def run(request, tmp_path_factory):
    """A few epochs on windows from 40 Groove MIDI files: (config, run folder, record, data)."""
    config_id = request.param
    data = prepare(config_id, GROOVE, max_files=40)
    data.train = data.train[:96]
    data.eval = data.eval[:32]
    folder = tmp_path_factory.mktemp(config_id)
    settings = FitSettings(epochs=4, batch_size=32, learning_rate=3e-3, clip_norm=1.0,
                           patience=4)
    spec = vae_spec(config_id, dropout_keep_prob=1.0, **SIZES)
    record = train_vae_on(data, folder, spec, settings)
    return config_id, folder, record, data


def test_training_lowers_the_eval_loss(run):
    _, _, record, _ = run
    losses = [epoch["eval_loss"] for epoch in record["epochs"]]
    assert len(losses) == 4 and record["steps"] == 4 * 3
    assert losses[-1] < losses[0] - 0.05, losses
    assert all(np.isfinite(epoch["eval_kl_bits"]) for epoch in record["epochs"])


def test_exported_tar_computes_what_keras_computes(run, tmp_path):
    config_id, folder, _, data = run
    tar = export_tar(folder, tmp_path / "model.tar")
    vae = mw.load_model(tar, config=config_id)
    model, spec, _ = trained_run(folder)
    (encoder_inputs, decoder_inputs), _, _ = next(
        WindowBatches(data.eval[:5], spec, 5).batches())
    mu, sigma = vae.encoder(encoder_inputs.astype(np.float64), np.full(5, spec.steps))
    keras_mu, keras_sigma = latent_model(model)(encoder_inputs)
    np.testing.assert_allclose(mu, keras_mu, atol=1e-5)
    np.testing.assert_allclose(sigma, keras_sigma, atol=1e-5)
    logits = teacher_forced_logits(vae, mu, decoder_inputs.astype(np.float64))
    keras_logits = np.asarray(model((encoder_inputs, decoder_inputs), training=False))
    assert np.abs(keras_logits).max() > 0.1  # trained, not all-zero
    np.testing.assert_allclose(logits, keras_logits, atol=1e-5)


def test_exported_model_encodes_and_decodes_music(run, tmp_path):
    config_id, folder, _, _ = run
    vae = mw.load_model(export_tar(folder, tmp_path / "model.tar"), config=config_id)
    sequences = vae.sample(3, seed=1)
    assert len(sequences) == 3 and all(isinstance(s, music_pb2.NoteSequence) for s in sequences)
    assert sum(len(s.notes) for s in sequences) > 0
    assert all(n.is_drum for s in sequences for n in s.notes)


def test_magentajs_export_loads_back_with_identical_outputs(run, tmp_path):
    config_id, folder, record, _ = run
    from_tar = mw.load_model(export_tar(folder, tmp_path / "model.tar"), config=config_id)
    js_folder = export_music_vae(RunFolder(folder), record, "magentajs", tmp_path / "js")
    from_js = mw.load_model(js_folder)
    assert from_js.config.id == config_id
    z = np.random.default_rng(0).standard_normal((2, from_tar.z_size))
    for a, b in zip(from_tar.decode(z, seed=3), from_js.decode(z, seed=3)):
        assert a == b


def test_checkpoint_tar_holds_magentas_layout(tmp_path):
    tar = write_checkpoint_tar({"global_step": np.asarray(7, np.int64),
                                "encoder/mu/bias": np.zeros(3, np.float32)},
                               tmp_path / "x.tar", "cat-mel_2bar_small")
    import tarfile

    with tarfile.open(tar) as archive:
        assert sorted(archive.getnames()) == ["cat-mel_2bar_small.ckpt.data-00000-of-00001",
                                              "cat-mel_2bar_small.ckpt.index"]


def test_untrainable_config_and_wrong_data_are_refused():
    with pytest.raises(MagwidgetsError, match="cannot be trained here.*cat-mel_2bar_small"):
        vae_spec("hierdec-mel_16bar")
    with pytest.raises(MagwidgetsError, match="dropout_keep_prob"):
        vae_spec("groovae_2bar_humanize", dropout_keep_prob=0.0)


def test_held_out_scores_of_the_trained_model(run, tmp_path):
    config_id, folder, _, data = run
    vae = mw.load_model(export_tar(folder, tmp_path / "model.tar"), config=config_id)
    if vae.config.converter == "groove":
        scores = groove_scores(vae, data.train, data.eval)
        assert scores["windows"] == len(data.eval)
        assert 0.5 < scores["hit_accuracy"] <= 1.0 and 0.0 <= scores["hit_f1"] <= 1.0
        assert scores["velocity_error"] > 0 and scores["baseline_timing_error_ms"] > 0
        given = humanize_scores(vae, data.eval)
        assert 0.0 <= given["hits_kept"] <= 1.0 and given["real_velocity_std"] > 0
    else:
        scores = categorical_scores(vae, data.train, data.eval)
        assert scores["reconstruction_accuracy"] > 10 * scores["chance_accuracy"]
        assert 1.0 < scores["perplexity"] < vae.decoder.output_depth
        assert scores["bigram_perplexity"] > 1.0


def _notes(pitches_and_times, is_drum=False) -> music_pb2.NoteSequence:
    sequence = music_pb2.NoteSequence()
    for pitch, time in pitches_and_times:
        sequence.notes.add(pitch=pitch, start_time=time, end_time=time + 0.1, velocity=80,
                           is_drum=is_drum)
    return sequence


def test_musical_measures_on_known_music():
    c_major = _notes([(p, i * 0.5) for i, p in enumerate([60, 62, 64, 65, 67, 69, 71, 72])])
    assert key_share(c_major) == 1.0
    assert key_share(_notes([(60 + i, i * 0.5) for i in range(12)])) == pytest.approx(7 / 12)
    assert key_share(music_pb2.NoteSequence()) == 0.0
    # kick on beats 1-4 of 8 at 120 qpm, a hi-hat on the rest, a snare a 16th after beat 5
    beat = _notes([(36, k * 0.5) for k in range(4)] + [(42, k * 0.5) for k in range(4, 8)]
                  + [(38, 2.125)], is_drum=True)
    assert beat_share(beat, 120.0, 8) == 0.5


def test_bigram_baseline_by_hand():
    # counts start from 1; the pairs (start,0) (0,1) (1,0) (0,1) are added; held out: start
    # -> 0 with p 2/3, 0 -> 1 with p 3/4, so perplexity = (2/3 * 3/4) ** -0.5 = sqrt(2)
    perplexity = bigram_perplexity(np.array([[0, 1, 0, 1]]), np.array([[0, 1]]), 2)
    assert perplexity == pytest.approx(np.sqrt(2))
