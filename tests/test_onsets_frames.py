"""Onsets and Frames against Magenta 2.1.4's own output (tests/fixtures/magenta-oracle/
onsets_frames, README there): mel 1e-3 dB, the four heads 1e-4, NoteSequences exact; both
configs, TF checkpoints and a Magenta.js folder; decoding against note-seq; bad input."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile
from note_seq import sequences_lib

from magwidgets.bundles import magentajs
from magwidgets.bundles.tf_reader import read_checkpoint_prefix
from magwidgets.errors import BundleError, GenerationError
from magwidgets.families import onsets_frames
from magwidgets.families.onsets_frames import checkpoint, mel
from magwidgets.families.onsets_frames.decode import Decoding, probabilities_to_note_sequence
from magwidgets.io.waveform import AudioError, Waveform

ORACLE = Path(__file__).parent / "fixtures" / "magenta-oracle" / "onsets_frames"
CONFIGS = ["onsets_frames", "onsets_frames_uni"]
WAVS = ["piano", "sines"]
HEADS = ["onset_probs", "offset_probs", "frame_probs", "velocity_values"]
MEL_DB_TOLERANCE = 1e-3
PROBABILITY_TOLERANCE = 1e-4


def wav_samples(stem: str) -> np.ndarray:
    """The WAV as note-seq reads it: int16 / 32767."""
    pcm, _ = soundfile.read(ORACLE / f"{stem}.wav", dtype="int16")
    return pcm.astype(np.float32) / np.float32(32767)


@pytest.fixture(scope="module")
def models():
    return {config: onsets_frames.load(ORACLE / config / "checkpoint") for config in CONFIGS}


@pytest.fixture(scope="module")
def predictions(models):
    return {(config, stem): models[config].predict(ORACLE / f"{stem}.wav")
            for config in CONFIGS for stem in WAVS}


# the model input ------------------------------------------------------------------------------

@pytest.mark.parametrize("stem", WAVS)
def test_mel_spectrogram_is_magentas_model_input(stem):
    reference = np.load(ORACLE / f"{stem}.input.npz")
    samples = wav_samples(stem)
    np.testing.assert_array_equal(mel.magenta_samples(samples), reference["samples_normalized"])
    spectrogram = onsets_frames.mel_spectrogram(samples, 16000)
    assert spectrogram.shape == reference["mel"].shape == (int(reference["length"]), 229)
    assert spectrogram.dtype == np.float32
    np.testing.assert_allclose(spectrogram, reference["mel"], rtol=0, atol=MEL_DB_TOLERANCE)
    # the peak is normalised first, and the STFT's blocks join seamlessly
    np.testing.assert_array_equal(onsets_frames.mel_spectrogram(samples * 0.5), spectrogram)
    blocked = mel.model_input(mel.magenta_samples(samples), block_frames=7)
    np.testing.assert_allclose(blocked, spectrogram, rtol=0, atol=1e-5)


def test_resampled_input_is_stated_and_close(models):
    samples = wav_samples("sines")
    from scipy.signal import resample_poly

    assert mel.resample(samples, 16000) is samples  # 16 kHz input is not touched
    upsampled = resample_poly(samples.astype(np.float64), 3, 1).astype(np.float32)  # 48 kHz
    back = onsets_frames.mel_spectrogram(upsampled, 48000)
    reference = np.load(ORACLE / "sines.input.npz")["mel"]
    assert back.shape == reference.shape
    loud = reference > reference.max() - 40  # where the tones are
    assert np.abs(back - reference)[loud].max() < 0.5
    waveform = Waveform(upsampled, 48000, "file")  # a Waveform brings its own rate
    np.testing.assert_array_equal(models["onsets_frames"].mel_spectrogram(waveform), back)


# the four heads and the NoteSequence -------------------------------------------------------

@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("stem", WAVS)
def test_predict_matches_magenta(predictions, config, stem):
    reference = np.load(ORACLE / config / f"{stem}.outputs.npz")
    outputs = predictions[config, stem]
    assert sorted(outputs) == sorted(HEADS)
    for head in HEADS:
        assert outputs[head].shape == reference[head].shape == (int(reference["length"]), 88)
        np.testing.assert_allclose(outputs[head], reference[head], rtol=0,
                                   atol=PROBABILITY_TOLERANCE, err_msg=head)


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("stem", WAVS)
def test_transcribe_writes_magentas_note_sequence(models, config, stem):
    sequence = models[config].transcribe(ORACLE / f"{stem}.wav")
    expected = (ORACLE / config / f"{stem}.notesequence.pb").read_bytes()
    assert sequence.SerializeToString() == expected


@pytest.mark.parametrize("config", CONFIGS)
def test_chunking_does_not_change_the_result(models, predictions, config):
    """Chunks of 2 frames (less than the 3 context frames) on one thread give the whole-clip
    result: conv context exact, LSTM state carried, bidirectional LSTMs see the whole clip."""
    small = onsets_frames.load(ORACLE / config / "checkpoint", chunk_frames=2, threads=1)
    outputs = small.predict(wav_samples("piano"))
    for head in HEADS:
        np.testing.assert_allclose(outputs[head], predictions[config, "piano"][head], rtol=0,
                                   atol=1e-5)


def test_sizes_come_from_the_weights(models):
    bi, uni = models["onsets_frames"], models["onsets_frames_uni"]
    expected = {"num_filters": [12, 12, 16], "fc_size": 32, "onset_lstm_units": 32,
                "offset_lstm_units": 32, "combined_lstm_units": 32, "offset_network": True}
    assert bi.sizes == {**expected, "bidirectional": True} and bi.bidirectional
    assert uni.sizes == {**expected, "bidirectional": False} and not uni.bidirectional


def test_thresholds_and_velocity_mapping_are_settable(models, predictions):
    model, outputs = models["onsets_frames"], predictions["onsets_frames", "piano"]
    default = model.transcribe(ORACLE / "piano.wav")
    assert model.decode(outputs).SerializeToString() == default.SerializeToString()
    louder = model.decode(outputs, velocity_scale=40, velocity_bias=60)
    for note, plain in zip(louder.notes, default.notes):
        frame, pitch = round(note.start_time * 31.25), note.pitch - 21
        value = float(np.clip(outputs["velocity_values"][frame, pitch], 0, 1))
        assert note.velocity == int(value * 40 + 60)
        assert (note.pitch, note.start_time) == (plain.pitch, plain.start_time)
    strict = model.transcribe(ORACLE / "piano.wav", onset_threshold=0.9, frame_threshold=0.9)
    assert len(strict.notes) < len(default.notes)
    with_offsets = model.decode(outputs, offset_threshold=0.05)
    assert with_offsets.SerializeToString() != default.SerializeToString()
    with pytest.raises(GenerationError, match="frame_threshold must lie in"):
        model.decode(outputs, frame_threshold=1.5)
    with pytest.raises(GenerationError, match="'onset_treshold'; did you mean 'onset_threshold'"):
        model.decode(outputs, onset_treshold=0.4)
    with pytest.raises(GenerationError, match="velocity_bias must be a finite number"):
        model.transcribe(ORACLE / "piano.wav", velocity_bias=float("nan"))


@pytest.mark.parametrize("seed", range(6))
def test_decoding_equals_note_seq(seed):
    """The vectorised decoder against note-seq's loop, on random rolls, every option."""
    rng = np.random.default_rng(seed)
    frames = 120
    outputs = {head: rng.random((frames, 88)).astype(np.float32) ** 3 for head in HEADS}
    outputs["frame_probs"] = np.sqrt(outputs["frame_probs"])
    outputs["velocity_values"] = rng.normal(0.5, 0.4, (frames, 88)).astype(np.float32)
    decoding = Decoding(onset_threshold=[0.5, 0.3, 0.0][seed % 3],
                        frame_threshold=[0.5, 0.7][seed % 2],
                        offset_threshold=[0.0, 0.6][seed // 3],
                        velocity_scale=[80.0, 100.0][seed % 2],
                        min_duration_ms=[0.0, 70.0][seed % 2])
    mine = probabilities_to_note_sequence(outputs, decoding)
    onsets = outputs["onset_probs"] > decoding.onset_threshold
    offsets = outputs["offset_probs"] > decoding.offset_threshold
    theirs = sequences_lib.pianoroll_to_note_sequence(
        frames=outputs["frame_probs"] > decoding.frame_threshold, frames_per_second=31.25,
        min_duration_ms=decoding.min_duration_ms, min_midi_pitch=21,
        onset_predictions=onsets if decoding.onset_threshold else None,
        offset_predictions=offsets if decoding.offset_threshold else None,
        velocity_values=outputs["velocity_values"], velocity_scale=decoding.velocity_scale,
        velocity_bias=decoding.velocity_bias)
    assert len(mine.notes) > 20
    assert mine.SerializeToString() == theirs.SerializeToString()


# checkpoints ------------------------------------------------------------------------------------

def magentajs_folder(tmp_path: Path, keep_offsets: bool) -> Path:
    """The uni fixture's weights under Magenta.js's onsets_frames_uni names: cudnn_lstm cells
    (Magenta.js adds 1.0 to their forget bias), *_probs heads and, like Magenta.js's own
    checkpoint, optionally no offset stack (its frame LSTM then reads [onset, activation])."""
    prefix = checkpoint.checkpoint_prefix(ORACLE / "onsets_frames_uni" / "checkpoint")
    variables = read_checkpoint_prefix(prefix, prefix)
    renamed = {}
    for name, value in variables.items():
        if name == "global_step" or (name.startswith("offsets/") and not keep_offsets):
            continue
        name = name.replace("lstm/rnn/multi_rnn_cell/cell_0/basic_lstm_cell",
                            "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell")
        name = name.replace("_logits/", "_probs/")
        if name == "frame/cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/kernel" \
                and not keep_offsets:
            value = np.delete(value, np.s_[176:264], axis=0)  # the offset-probability rows
        renamed[name] = value
    folder = tmp_path / ("with_offsets" if keep_offsets else "onsets_frames_uni")
    return magentajs.write_magentajs(renamed, {}, folder)


def test_magentajs_folder_with_the_python_topology(tmp_path, predictions):
    folder = magentajs_folder(tmp_path, keep_offsets=True)
    assert onsets_frames.recognizes(folder)
    outputs = onsets_frames.load(folder).predict(ORACLE / "piano.wav")
    for head in HEADS:
        np.testing.assert_allclose(outputs[head], predictions["onsets_frames_uni", "piano"][head],
                                   rtol=0, atol=PROBABILITY_TOLERANCE)


def test_magentajs_folder_without_offsets(tmp_path, predictions):
    """Magenta.js's topology equals the uni model whose frame LSTM ignores the offset rows."""
    model = onsets_frames.load(magentajs_folder(tmp_path, keep_offsets=False))
    assert model.sizes["offset_network"] is False and not model.bidirectional
    outputs = model.predict(ORACLE / "piano.wav")
    reference = predictions["onsets_frames_uni", "piano"]
    for head in ("onset_probs", "velocity_values"):
        np.testing.assert_allclose(outputs[head], reference[head], rtol=0, atol=1e-5)
    assert not outputs["offset_probs"].any()
    uni = onsets_frames.load(ORACLE / "onsets_frames_uni" / "checkpoint")
    kernel = uni.network_.lstms["frame"].layers[0][0].input_kernel
    kernel[176:264] = 0.0  # the offset probabilities no longer reach the frame LSTM
    silenced = uni.predict(ORACLE / "piano.wav")
    np.testing.assert_allclose(outputs["frame_probs"], silenced["frame_probs"], rtol=0, atol=1e-5)


def test_recognizes_only_onsets_and_frames_folders(tmp_path):
    for config in CONFIGS:
        folder = ORACLE / config / "checkpoint"
        assert onsets_frames.recognizes(folder)
        assert onsets_frames.recognizes(checkpoint.checkpoint_prefix(folder))  # a prefix
    rnn = Path(__file__).parent / "fixtures" / "magenta-oracle" / "rnn" / "basic_rnn"
    assert not onsets_frames.recognizes(rnn)
    assert not onsets_frames.recognizes(tmp_path)
    assert not onsets_frames.recognizes(ORACLE / "piano.wav")
    with pytest.raises(BundleError, match="no checkpoint found"):
        onsets_frames.load(tmp_path)
    with pytest.raises(BundleError, match="no such folder"):
        onsets_frames.load(tmp_path / "missing")


def test_cached_load_never_imports_tensorflow(models):
    code = ("import sys; from magwidgets.families import onsets_frames as of; "
            f"m = of.load({str(ORACLE / 'onsets_frames' / 'checkpoint')!r}); "
            f"n = m.transcribe({str(ORACLE / 'sines.wav')!r}); "
            "print(len(n.notes), 'tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["4", "False"]


# bad input ----------------------------------------------------------------------------------------

def test_silence_gives_an_empty_transcription(models):
    for model in models.values():
        sequence = model.transcribe(np.zeros(16000, np.float32))
        assert len(sequence.notes) == 0 and sequence.total_time == pytest.approx(32 / 31.25)
    short = models["onsets_frames"].transcribe(np.full(300, 0.5, np.float32))  # < 1 frame
    assert len(short.notes) == 0


def test_bad_files_are_clear_errors(models, tmp_path):
    model = models["onsets_frames_uni"]
    text = tmp_path / "notes.txt"
    text.write_text("not audio at all\n" * 20)
    with pytest.raises(AudioError, match="notes.txt: not a readable audio file"):
        model.transcribe(text)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes((ORACLE / "piano.wav").read_bytes()[:30])
    with pytest.raises(AudioError, match="corrupt.wav"):
        model.predict(corrupt)
    with pytest.raises(AudioError, match="no such audio file"):
        model.predict(tmp_path / "missing.wav")


def test_bad_samples_are_clear_errors(models):
    model = models["onsets_frames_uni"]
    with pytest.raises(onsets_frames.AudioInputError, match=r"1-D audio samples.*\(2, 100\)"):
        model.predict(np.zeros((2, 100), np.float32))
    with pytest.raises(onsets_frames.AudioInputError, match="NaN or infinite"):
        model.predict(np.full(1000, np.nan, np.float32))
    with pytest.raises(onsets_frames.AudioInputError, match=r"at least 4000 Hz .*got 2000"):
        model.predict(np.zeros(1000, np.float32), sample_rate=2000)


def test_telephone_audio_is_resampled_with_a_warning(models, tmp_path):
    samples = wav_samples("sines")[::2]  # 8 kHz
    path = tmp_path / "phone.wav"
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, 8000, subtype="PCM_16", format="WAV")
    path.write_bytes(buffer.getvalue())
    model = models["onsets_frames"]
    with pytest.warns(UserWarning, match="8000 Hz is resampled to 16000 Hz"):
        outputs = model.predict(path)
    assert outputs["frame_probs"].shape == (int(len(samples) * 2 / 16000 * 31.25), 88)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(ORACLE / "sines.wav")  # 16 kHz: no warning
