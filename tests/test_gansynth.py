"""GANSynth against Magenta 2.1.4's own outputs (tests/fixtures/magenta-oracle/gansynth, see
its README for the tolerances and their evidence), plus bad input and the cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from note_seq.protobuf import music_pb2

from magwidgets.errors import BundleError, GenerationError
from magwidgets.families import gansynth
from magwidgets.families.gansynth import checkpoint, score, spectral
from magwidgets.io import to_note_sequence
from magwidgets.io.waveform import Waveform

ORACLE = Path(__file__).parent / "fixtures" / "magenta-oracle" / "gansynth"
CKPT = ORACLE / "ckpt"
MIDI = ORACLE / "midi" / "input.mid"


@pytest.fixture(scope="module")
def model() -> gansynth.GANSynth:
    return gansynth.load(CKPT)


@pytest.fixture(scope="module")
def ref() -> dict[str, np.ndarray]:
    with np.load(ORACLE / "ref.npz") as archive:
        return dict(archive)


@pytest.fixture(scope="module")
def midi_ref() -> dict[str, np.ndarray]:
    with np.load(ORACLE / "midi" / "ref.npz") as archive:
        return dict(archive)


def assert_close(ours: np.ndarray, theirs: np.ndarray, max_rel: float, rms_rel: float) -> None:
    """max|Δ| <= max_rel·peak and RMS(Δ) <= rms_rel·RMS(ref), as the README states them."""
    delta = np.asarray(ours, np.float64) - np.asarray(theirs, np.float64)
    peak = np.abs(theirs).max()
    rms = np.sqrt(np.mean(np.square(theirs, dtype=np.float64)))
    assert np.abs(delta).max() <= max_rel * peak, (np.abs(delta).max() / peak, max_rel)
    assert np.sqrt(np.mean(delta**2)) <= rms_rel * rms, (np.sqrt(np.mean(delta**2)) / rms)


def assert_waves_close(ours: np.ndarray, theirs: np.ndarray) -> None:
    for note, reference in zip(ours, theirs):
        assert_close(note, reference, 2e-3, 2e-3)


# ---- parity ------------------------------------------------------------------------------
def test_spectrogram_matches_magenta_per_note_and_channel(model, ref):
    spec = model.spectrogram(ref["z"], ref["pitches"])
    assert spec.shape == (4, 128, 1024, 2) and spec.dtype == np.float32
    for note in range(4):
        for channel in range(2):
            assert_close(spec[note, ..., channel], ref["specgram"][note, ..., channel],
                         1e-3, 1e-4)


def test_generate_batch_matches_generate_samples_from_z(model, ref):
    assert_waves_close(model.generate_batch(ref["z"], ref["pitches"]), ref["waves"])


def test_conversion_of_magentas_spectrogram_matches_its_waves(model, ref):
    waves = model.spectrogram_to_audio(ref["specgram"])
    assert waves.shape == (4, 64000) and waves.dtype == np.float32
    for ours, theirs in zip(waves, ref["waves"]):
        assert np.abs(ours - theirs).max() <= 1e-3 * np.abs(theirs).max()
    single = model.spectrogram_to_audio(ref["specgram"][0])
    assert single.shape == (64000,)
    np.testing.assert_array_equal(single, waves[0])


def test_conversion_intermediates_match_magenta(ref):
    linear = spectral.mel_to_linear_specgrams(ref["specgram"][:1])
    stft = spectral.specgrams_to_stfts(linear)[0]
    expected = ref["debug0_stft"]
    assert np.abs(stft - expected).max() <= 2e-3 * np.abs(expected).max()
    magnitude = ref["debug0_linear_specgram"][..., 0]
    assert np.abs(linear[0, ..., 0] - magnitude).max() <= 1e-3 * np.abs(magnitude).max()


def test_generate_returns_magentas_unnormalised_samples(model, ref):
    note = model.generate(84, z=ref["z"][3])
    assert isinstance(note, Waveform) and note.sample_rate == 16000
    assert note.backend == "gansynth" and note.shape == (64000,)
    assert_close(note, ref["waves"][3], 2e-3, 2e-3)
    assert np.abs(note).max() > 4.0  # Magenta's notes peak near ±5; nothing normalised them


def test_generate_from_a_seed_is_repeatable(model):
    first = model.generate(60, seed=3)
    np.testing.assert_array_equal(first, model.generate(60, z=model.random_z(1, 3)))
    assert not np.array_equal(first, model.generate(60, seed=4))


def test_random_z_draws_as_magentas_generate_z(model, midi_ref):
    np.testing.assert_array_equal(model.random_z(3, int(midi_ref["np_seed"])),
                                  midi_ref["z_instruments"])


def test_score_notes_are_load_midis(midi_ref):
    notes = score.score_notes(to_note_sequence(MIDI), "input.mid")
    for field in ("pitches", "velocities", "start_times", "end_times"):
        np.testing.assert_array_equal(getattr(notes, field), midi_ref[field])
    count = score.instrument_count(notes.total_time, float(midi_ref["secs_per_instrument"]))
    np.testing.assert_array_equal(score.instrument_times(notes.total_time, count),
                                  midi_ref["t_instruments"])


def test_note_latents_match_get_z_notes(model, midi_ref):
    z_notes = model.note_latents(MIDI, midi_ref["z_instruments"],
                                 seconds_per_instrument=float(midi_ref["secs_per_instrument"]))
    assert np.abs(z_notes - midi_ref["z_notes"]).max() <= 1e-9


def test_notes_of_the_score_match_magentas_audio_notes(model, midi_ref):
    audio = model.generate_batch(midi_ref["z_notes"], midi_ref["pitches"])
    assert_waves_close(audio, midi_ref["audio_notes"])


def test_render_matches_gansynth_generate_midi_file(model, midi_ref):
    seconds = float(midi_ref["secs_per_instrument"])
    clip = model.render(MIDI, seconds_per_instrument=seconds, seed=int(midi_ref["np_seed"]))
    assert isinstance(clip, Waveform) and clip.sample_rate == 16000
    assert clip.shape == midi_ref["audio_clip"].shape == (112000,)
    assert_close(clip, midi_ref["audio_clip"], 2e-3, 2e-3)
    sequence = to_note_sequence(MIDI)
    given = model.render(sequence, seconds_per_instrument=seconds,
                         z_instruments=midi_ref["z_instruments"])
    np.testing.assert_array_equal(given, clip)


# ---- bad input ---------------------------------------------------------------------------
@pytest.mark.parametrize("pitch", [23, 85, 60.5, "C4"])
def test_pitch_outside_the_models_range_is_refused(model, pitch):
    with pytest.raises(GenerationError, match=rf"pitch .*{pitch}.* 24\.\.84"):
        model.generate(pitch, seed=0)


def test_z_of_the_wrong_size_is_refused(model):
    with pytest.raises(GenerationError, match=r"z has shape \(128,\); expected \[n, 256\]"):
        model.generate(60, z=np.zeros(128))
    with pytest.raises(GenerationError, match="expected 2 pitches"):
        model.generate_batch(np.zeros((2, 256)), [60])
    with pytest.raises(GenerationError, match="NaN"):
        model.generate(60, z=np.full(256, np.nan))
    with pytest.raises(GenerationError, match=r"spec has shape \(128, 512, 2\)"):
        model.spectrogram_to_audio(np.zeros((128, 512, 2)))


def test_a_score_shorter_than_two_instruments_is_refused(model):
    # Magenta's default 6 s per instrument gives int(3.5 / 6) = 0 instruments: an IndexError
    with pytest.raises(GenerationError, match=r"lasts 3.5 s .* two instruments of 6 s; use "
                                              r"seconds_per_instrument <= 1.75"):
        model.render(MIDI)
    with pytest.raises(GenerationError, match=r"z_instruments holds 2 instruments; .* = 3"):
        model.note_latents(MIDI, np.zeros((2, 256)), seconds_per_instrument=1.0)


def test_a_score_without_notes_in_range_is_refused(model):
    sequence = music_pb2.NoteSequence()
    sequence.notes.add(pitch=30, start_time=0.0, end_time=4.0, velocity=80)
    sequence.notes.add(pitch=90, start_time=0.0, end_time=4.0, velocity=80)
    with pytest.raises(GenerationError, match=r"no note with a pitch in 36\.\.84 .* \[30, 90\]"):
        model.render(sequence, seconds_per_instrument=1.0)
    with pytest.raises(GenerationError, match="no notes"):
        model.render(music_pb2.NoteSequence(), seconds_per_instrument=1.0)


def _copy_ckpt(tmp_path: Path) -> Path:
    target = tmp_path / "ckpt"
    shutil.copytree(CKPT, target)
    return target


def test_a_checkpoint_of_another_stage_is_refused(tmp_path):
    folder = _copy_ckpt(tmp_path)
    (folder / "stage_00012").rename(folder / "stage_00010")
    with pytest.raises(BundleError, match="stage 10 is not the final stage 12"):
        gansynth.load(folder)


def test_a_checkpoint_without_ema_variables_is_refused(tmp_path):
    from magwidgets.bundles.tf_reader import _tensorflow, read_checkpoint_prefix

    tf = _tensorflow()
    folder = _copy_ckpt(tmp_path)
    stage = folder / "stage_00012"
    prefix = stage / "model.ckpt-11000000"
    raw = read_checkpoint_prefix(prefix, prefix, keep=lambda name: "ExponentialMoving" not in name)
    for file in stage.glob("model.ckpt-*"):
        file.unlink()
    names = sorted(raw)
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=[raw[name] for name in names])
    with pytest.raises(BundleError, match="no generator ExponentialMovingAverage variables"):
        gansynth.load(folder)


def test_flags_magenta_builds_differently_are_refused(tmp_path):
    folder = _copy_ckpt(tmp_path)
    flags = json.loads((folder / "experiment.json").read_text())
    (folder / "experiment.json").write_text(json.dumps({**flags, "data_type": "linear"}))
    with pytest.raises(BundleError, match="data_type is 'linear'; .* 'mel'"):
        gansynth.load(folder)


def test_weights_that_do_not_fit_the_flags_are_refused(tmp_path):
    folder = _copy_ckpt(tmp_path)
    flags = json.loads((folder / "experiment.json").read_text())
    (folder / "experiment.json").write_text(json.dumps({**flags, "latent_vector_size": 128}))
    with pytest.raises(BundleError, match=r"block_1/conv0/kernel has shape \(2, 16, 317, 16\); "
                                          r"expected \(2, 16, 189, 16\)"):
        gansynth.load(folder)


def test_training_progress_must_be_final():
    flags = json.loads((CKPT / "experiment.json").read_text())
    flags = {**checkpoint.DEFAULTS, **flags}
    assert checkpoint._progress(flags, {"global_step": np.int64(11_000_000)}) == 6.0
    # 9.0 M images: a quarter of the way through blending in the 7th resolution
    assert checkpoint._progress(flags, {"global_step": np.int64(9_000_000)}) == 5.25


def test_recognizes_and_load_options(tmp_path):
    assert gansynth.recognizes(CKPT)
    assert not gansynth.recognizes(tmp_path)
    assert not gansynth.recognizes(MIDI)
    with pytest.raises(BundleError, match="not a GANSynth model folder"):
        gansynth.load(tmp_path)
    with pytest.raises(BundleError, match="no load options"):
        gansynth.load(CKPT, temperature=1.0)


def test_a_cached_model_loads_without_tensorflow(tmp_path, ref):
    env = {**os.environ, "MAGWIDGETS_CACHE": str(tmp_path),
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        from magwidgets.families import gansynth
        model = gansynth.load({str(CKPT)!r})
        z = np.load({str(ORACLE / 'ref.npz')!r})["z"][:1]
        spec = model.spectrogram(z, [36])
        print(float(spec[0, 5, 7, 0]), "tensorflow" in sys.modules)
    """)

    def run() -> list[str]:
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                              text=True, check=True)
        return done.stdout.splitlines()[-1].split()

    converted, imported = run()
    assert imported == "True"  # the first load reads the checkpoint with TensorFlow
    cached, imported = run()
    assert imported == "False" and cached == converted
    assert abs(float(cached) - ref["specgram"][0, 5, 7, 0]) <= 1e-3 * np.abs(
        ref["specgram"][0, ..., 0]).max()
