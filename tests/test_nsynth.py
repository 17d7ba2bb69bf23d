"""NSynth WaveNet autoencoder: parity with Magenta 2.1.4 (fixtures/magenta-oracle/nsynth, at its
README's tolerances), the checkpoint reader and cache, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile

from magwidgets.errors import BundleError, GenerationCancelled, GenerationError
from magwidgets.families import nsynth
from magwidgets.families.nsynth.audio import inv_mu_law, mu_law
from magwidgets.families.nsynth.checkpoint import find_prefix
from magwidgets.families.nsynth.fastgen import generate
from magwidgets.io.waveform import AudioError, Waveform

FIXTURE = Path(__file__).parent / "fixtures" / "magenta-oracle" / "nsynth"
PREFIX = FIXTURE / "model.ckpt-200000"
RUNS = ["tone", "noise", "interp", "batch4"]
ENCODING_ATOL = 1e-4  # README "Tolerances"
PROBS_ATOL, LOG_PROBS_ATOL, LOG_PROBS_FLOOR = 1e-4, 1e-3, 1e-6
MARGIN = 1e-4  # sampling steps closer than this to a bin boundary are not compared


@pytest.fixture(scope="module")
def model() -> nsynth.NSynth:
    return nsynth.load(FIXTURE)


@pytest.fixture(scope="module")
def ref() -> dict[str, np.ndarray]:
    with np.load(FIXTURE / "ref.npz") as archive:
        return dict(archive)


# ---------------------------------------------------------------- checkpoint, sizes, cache
def test_sizes_are_read_from_the_weights_and_non_model_variables_ignored(model):
    sizes = json.loads((FIXTURE / "meta.json").read_text())["sizes"]
    assert (model.sizes.layers, model.sizes.width, model.sizes.skip_width) == (
        sizes["num_layers"], sizes["width"], sizes["skip_width"])
    assert (model.sizes.ae_layers, model.sizes.ae_width, model.sizes.bottleneck) == (
        sizes["ae_num_layers"], sizes["ae_width"], sizes["ae_bottleneck_width"])
    assert "global_step" not in model.weights_ and len(model.weights_) == 154


@pytest.mark.parametrize("given", [FIXTURE, PREFIX, Path(f"{PREFIX}.index"),
                                   Path(f"{PREFIX}.data-00000-of-00001")])
def test_folder_prefix_or_checkpoint_file_find_the_prefix(given):
    assert find_prefix(given) == PREFIX
    assert nsynth.recognizes(given)


def test_other_files_are_not_recognized_and_not_loaded(tmp_path):
    assert not nsynth.recognizes(FIXTURE / "tone.wav")
    assert not nsynth.recognizes(tmp_path)
    with pytest.raises(BundleError, match="no TensorFlow checkpoint in this folder"):
        nsynth.load(tmp_path)
    with pytest.raises(BundleError, match="not a TensorFlow checkpoint"):
        nsynth.load(FIXTURE / "tone.wav")


def test_a_warm_cache_loads_without_tensorflow(model):
    script = textwrap.dedent(f"""
        import sys
        from magwidgets.families import nsynth
        model = nsynth.load({str(FIXTURE)!r})
        print(model.sizes.layers, "tensorflow" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split()[-2:] == [str(model.sizes.layers), "False"]


# ---------------------------------------------------------------- encoder
@pytest.mark.parametrize("sound", ["tone", "noise"])
def test_encode_matches_fastgen_encode(model, ref, sound):
    from_file = model.encode(FIXTURE / f"{sound}.wav")
    np.testing.assert_allclose(from_file, ref[f"enc_{sound}"], rtol=0, atol=ENCODING_ATOL)
    from_array = model.encode(ref[f"wav_{sound}"])
    np.testing.assert_allclose(from_array, ref[f"enc_{sound}"], rtol=0, atol=ENCODING_ATOL)
    assert np.array_equal(mu_law(ref[f"wav_{sound}"][:len(ref[f"quant_{sound}"])]),
                          ref[f"quant_{sound}"])


def test_encode_batches_as_nsynth_save_embeddings_and_nsynth_generate(model, ref):
    shortest = len(ref["wav_noise"])
    batch = np.stack([ref["wav_tone"][:shortest], ref["wav_noise"]])
    np.testing.assert_allclose(model.encode(batch), ref["enc_batch"], rtol=0, atol=ENCODING_ATOL)
    padded = np.zeros((2, 10000), np.float32)  # fastgen.load_batch_audio(..., 10000)
    padded[0], padded[1, :shortest] = ref["wav_tone"][:10000], ref["wav_noise"]
    np.testing.assert_allclose(model.encode(padded), ref["enc_generate_batch"], rtol=0,
                               atol=ENCODING_ATOL)


# ---------------------------------------------------------------- teacher forcing
def assert_probs_close(ours: np.ndarray, theirs: np.ndarray) -> None:
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=PROBS_ATOL)
    confident = theirs > LOG_PROBS_FLOOR
    assert np.abs(np.log(ours[confident]) - np.log(theirs[confident])).max() <= LOG_PROBS_ATOL


@pytest.mark.parametrize("sound", ["tone", "noise"])
def test_predict_proba_matches_the_teacher_forced_fast_graph(model, ref, sound):
    probs = model.predict_proba(ref[f"enc_{sound}"][:4], ref[f"wav_{sound}"][:2048])
    assert probs.shape == (2048, 256)
    assert_probs_close(probs, ref[f"tf_probs_{sound}"])


@pytest.mark.parametrize("sound", ["tone", "noise"])
def test_predict_proba_over_the_whole_sound_matches_config_build(model, ref, sound):
    true_classes = ref[f"quant_{sound}"].astype(int) + 128
    probs = model.predict_proba(ref[f"enc_{sound}"], ref[f"wav_{sound}"][:len(true_classes)])
    log_p = np.log(probs[np.arange(len(true_classes)), true_classes])
    np.testing.assert_allclose(log_p, ref[f"tf_full_logprob_true_{sound}"], rtol=0,
                               atol=LOG_PROBS_ATOL)


# ---------------------------------------------------------------- sampling
def test_mu_law_round_trip_and_magentas_output_samples(ref):
    classes = np.arange(-128, 128)
    assert np.array_equal(mu_law(inv_mu_law(classes)), classes)
    for run in RUNS:
        assert np.array_equal(inv_mu_law(ref[f"gen_{run}_bins"] - 128), ref[f"gen_{run}_audio"])


@pytest.mark.parametrize("run", RUNS)
def test_forced_replay_gives_magentas_classes(model, ref, run):
    """Protocol 1: teacher-force on Magenta's generated audio, sample with its uniforms."""
    for b, (enc, audio) in enumerate(zip(ref[f"gen_{run}_enc"], ref[f"gen_{run}_audio"])):
        cdf = np.cumsum(model.predict_proba(enc, audio), axis=1)
        u = ref[f"gen_{run}_u"][b]
        classes = np.array([np.searchsorted(cdf[t], u[t], side="left") for t in range(len(u))])
        mismatched = classes != ref[f"gen_{run}_bins"][b]
        assert (ref[f"gen_{run}_margin"][b][mismatched] < MARGIN).all()


def compare_until_low_margin(ours: np.ndarray, ref: dict, run: str) -> None:
    for b, row in enumerate(np.atleast_2d(ours)):
        margin = ref[f"gen_{run}_margin"][b]
        stop = int(np.argmax(margin < MARGIN)) if (margin < MARGIN).any() else len(margin)
        assert np.array_equal(row[:stop], ref[f"gen_{run}_audio"][b, :stop])


@pytest.mark.parametrize("run", RUNS)
def test_free_running_decode_replays_magentas_draws(model, ref, run):
    """Protocol 2: free running with Magenta's uniforms, equal up to the first step whose
    margin is under 1e-4; batch 1 takes [frames, 16] and gives one Waveform."""
    encodings, u = ref[f"gen_{run}_enc"], ref[f"gen_{run}_u"]
    if len(encodings) == 1:
        audio = model.decode(encodings[0], uniforms=u[0], progress=False)
        assert isinstance(audio, Waveform) and audio.sample_rate == 16000
        assert audio.backend == "nsynth" and audio.shape == (2048,)
    else:
        audio = model.decode(encodings, uniforms=u, progress=False)
        assert isinstance(audio, list) and len(audio) == 4
    compare_until_low_margin(np.stack(np.atleast_2d(audio)), ref, run)


def test_a_seed_draws_as_magentas_np_random_seed(model, ref):
    tone = model.decode(ref["gen_tone_enc"][0], seed=11, progress=False)
    compare_until_low_margin(tone, ref, "tone")
    batch = model.decode(ref["gen_batch4_enc"], seed=14, progress=False)
    compare_until_low_margin(np.stack(batch), ref, "batch4")


@pytest.mark.parametrize("run", RUNS)
def test_first_256_pmfs_of_the_fast_decoder(model, ref, run):
    classes, probs = generate(model._fast, ref[f"gen_{run}_enc"], ref[f"gen_{run}_u"],
                              keep_probs=256)
    for b in range(len(classes)):
        differ = np.nonzero(classes[b] != ref[f"gen_{run}_bins"][b])[0]
        until = min(256, differ[0] if len(differ) else 256)
        assert not len(differ) or ref[f"gen_{run}_margin"][b][differ[0]] < MARGIN
        np.testing.assert_allclose(probs[b, :until], ref[f"gen_{run}_pmf"][b, :until], rtol=0,
                                   atol=PROBS_ATOL)


def test_interpolate_mixes_encodings(model, ref):
    with pytest.warns(UserWarning, match="cut to 16"):
        mix = model.interpolate(ref["enc_tone"], ref["enc_noise"], 0.5)
    np.testing.assert_allclose(mix, ref["enc_interp"], rtol=0, atol=1e-6)
    assert np.array_equal(model.interpolate(ref["enc_noise"], ref["enc_noise"][::-1], 0.0),
                          ref["enc_noise"])
    with pytest.raises(GenerationError, match=r"amount must be in \[0, 1\].*got 1.5"):
        model.interpolate(ref["enc_noise"], ref["enc_noise"], 1.5)


# ---------------------------------------------------------------- progress, cancel, interrupt
def test_cancel_stops_with_the_audio_so_far_and_progress_is_reported(model, ref):
    stop, seen = threading.Event(), []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done >= 512:
            stop.set()

    with pytest.raises(GenerationCancelled, match="after 512 of 2048") as cancelled:
        model.decode(ref["gen_tone_enc"][0], seed=11, progress=False, cancel=stop,
                     on_progress=progress)
    assert seen == [(256, 2048), (512, 2048)]
    assert np.array_equal(cancelled.value.partial, ref["gen_tone_audio"][0, :512])
    with pytest.raises(GenerationCancelled) as cancelled:
        model.decode(ref["gen_batch4_enc"], seed=14, progress=False, cancel=lambda: True)
    assert [len(a) for a in cancelled.value.partial] == [256] * 4


def test_keyboard_interrupt_leaves_the_model_usable(model, ref):
    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model.decode(ref["gen_noise_enc"][0], seed=12, on_progress=interrupt)
    again = model.decode(ref["gen_noise_enc"][0], seed=12, progress=False)
    compare_until_low_margin(again, ref, "noise")


# ---------------------------------------------------------------- bad input
def write(path: Path, samples: np.ndarray, rate: int = 16000, subtype: str = "PCM_16") -> Path:
    soundfile.write(path, samples, rate, subtype=subtype)
    return path


def test_stereo_8_bit_and_48_khz_files_are_converted_with_a_warning(model, ref, tmp_path):
    tone = ref["wav_tone"]
    stereo = write(tmp_path / "stereo.wav", np.stack([tone, tone], axis=1))
    with pytest.warns(UserWarning, match="2 channels averaged to mono"):
        encoding = model.encode(stereo)
    np.testing.assert_allclose(encoding, ref["enc_tone"], rtol=0, atol=ENCODING_ATOL)
    with pytest.warns(UserWarning, match="8-bit PCM"):
        assert model.encode(write(tmp_path / "u8.wav", tone, subtype="PCM_U8")).shape == (23, 16)
    from scipy.signal import resample_poly

    high = write(tmp_path / "48k.wav", resample_poly(tone, 3, 1), rate=48000)
    with pytest.warns(UserWarning, match="resampled from 48000 Hz to 16000 Hz"):
        encoding = model.encode(high)
    assert encoding.shape == (23, 16)
    with pytest.warns(UserWarning, match="resampled from 22050 Hz"):
        assert model.encode(tone, sample_rate=22050).shape == (17, 16)  # 8707 samples


def test_silent_empty_and_non_audio_files(model, tmp_path):
    with pytest.warns(UserWarning, match="silent"):
        assert model.encode(write(tmp_path / "silent.wav", np.zeros(1024))).shape == (2, 16)
    with pytest.raises(AudioError, match="holds no samples"):
        model.encode(write(tmp_path / "empty.wav", np.zeros(0)))
    (tmp_path / "notes.wav").write_text("not audio")
    with pytest.raises(AudioError, match="notes.wav: not a readable audio file"):
        model.encode(tmp_path / "notes.wav")
    with pytest.raises(AudioError, match="needs at least 512"):
        model.encode(np.zeros(300, np.float32))
    with pytest.raises(AudioError, match=r"a 2-D array is a batch"):
        model.encode(np.zeros((4000, 2), np.float32))
    with pytest.raises(AudioError, match="NaN"):
        model.encode(np.full(1024, np.nan, np.float32))
    with pytest.warns(UserWarning, match="beyond ±1, clipped"):
        model.encode(np.full(1024, 1.5, np.float32))


def test_encodings_of_the_wrong_shape_and_bad_draws(model, ref):
    with pytest.raises(GenerationError, match=r"shape \[frames, 16\].*got shape \[4, 12\]"):
        model.decode(np.zeros((4, 12), np.float32))
    with pytest.raises(GenerationError, match=r"got shape \[2048\]"):
        model.decode(ref["gen_tone_audio"][0])
    with pytest.raises(GenerationError, match="got str"):
        model.decode("tone.wav")
    with pytest.raises(GenerationError, match=r"got shape \[1, 4, 12\]"):
        model.interpolate(np.zeros((1, 4, 12)), ref["enc_tone"], 0.5)
    with pytest.raises(GenerationError, match=r"need ceil\(2048 / 512\) = 4 encoding frames, "
                                               "got 3"):
        model.predict_proba(ref["enc_tone"][:3], ref["wav_tone"][:2048])
    with pytest.raises(GenerationError, match="NaN"):
        model.decode(np.full((1, 16), np.nan, np.float32))
    encoding = ref["gen_tone_enc"][0]
    with pytest.raises(GenerationError, match=r"uniforms must have shape \[2048\]"):
        model.decode(encoding, uniforms=np.zeros(100))
    with pytest.raises(GenerationError, match="seed or uniforms, not both"):
        model.decode(encoding, seed=1, uniforms=ref["gen_tone_u"][0])
    with pytest.raises(GenerationError, match=r"in \[0, 1\)"):
        model.decode(encoding, uniforms=np.ones(2048))
