"""Audio rendering: every kind of sequence the models produce, with both backends, to WAV.

FluidSynth tests need libfluidsynth (apt-get install libfluidsynth3) and a General MIDI
soundfont (apt-get install fluid-soundfont-gm; pretty_midi's TimGM6mb.sf2 also works).
When they are missing these tests fail, saying what to install: they never skip.
"""

from __future__ import annotations

import io
import math
import sys
import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
from note_seq.protobuf import music_pb2

from magwidgets.errors import MagwidgetsError
from magwidgets.render import audio
from magwidgets.render.audio import (
    TARGET_PEAK,
    Waveform,
    find_soundfont,
    soundfont_candidates,
    synthesize,
    to_wav_bytes,
)
from magwidgets.render.synth import RELEASE_SECONDS

RATE = 44100
STEP = 0.125  # a sixteenth note at 120 qpm, the models' grid
NOTE_RMS_FLOOR = 0.01  # -40 dBFS: any played note is at least this loud at its onset
ONSET_WINDOW = 0.1  # seconds after an onset where a note's loudness is measured
SILENCE_RMS = 1e-6
BACKENDS = ["fluidsynth", "builtin"]


# ---- sequences like the models' output -------------------------------------------------


def _note(seq, pitch, start, end, velocity=100, program=0, instrument=0, is_drum=False):
    seq.notes.add(pitch=pitch, start_time=start, end_time=end, velocity=velocity,
                  program=program, instrument=instrument, is_drum=is_drum)
    seq.total_time = max(seq.total_time, end)


def _pedal(seq, down, up, instrument=0):
    seq.control_changes.add(time=down, control_number=64, control_value=127, instrument=instrument)
    seq.control_changes.add(time=up, control_number=64, control_value=0, instrument=instrument)


def melody() -> music_pb2.NoteSequence:
    """Melody RNN: one line on the sixteenth grid, with a rest from 2.0 s to 3.0 s."""
    seq = music_pb2.NoteSequence()
    for step, pitch in enumerate([60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62, 60, 60]):
        _note(seq, pitch, step * STEP, (step + 1) * STEP)
    _note(seq, 67, 3.0, 3.5)
    seq.total_time = 3.7
    return seq


def drums(instrument: int = 9) -> music_pb2.NoteSequence:
    """Drums RNN: kick, snare, closed hi-hats and a crash, one step long each."""
    seq = music_pb2.NoteSequence()
    for step in range(32):
        hits = [42] + ([36] if step % 8 == 0 else []) + ([38] if step % 8 == 4 else [])
        hits += [49] if step == 0 else []
        for pitch in hits:
            _note(seq, pitch, step * STEP, (step + 1) * STEP, instrument=instrument, is_drum=True)
    return seq


def polyphony() -> music_pb2.NoteSequence:
    """Polyphony RNN: four-part chords."""
    seq = music_pb2.NoteSequence()
    chords = [(48, 64, 67, 72), (53, 65, 69, 72), (55, 62, 67, 71), (48, 64, 67, 72)]
    for bar, chord in enumerate(chords):
        for pitch in chord:
            _note(seq, pitch, bar * 1.0, bar * 1.0 + 0.9, velocity=90)
    return seq


def performance() -> music_pb2.NoteSequence:
    """Performance RNN / piano transcription: rubato, velocities 30-120, sustain pedal."""
    seq = music_pb2.NoteSequence()
    time = 0.0
    for i in range(24):
        velocity = 30 + (i * 37) % 91
        _note(seq, 48 + (i * 7) % 31, time, time + 0.18, velocity=velocity)
        time += 0.21 + 0.05 * math.sin(i)
    _pedal(seq, 0.0, 1.7)
    _pedal(seq, 1.8, 4.4)
    return seq


def trio() -> music_pb2.NoteSequence:
    """MusicVAE trio: melody (program 0), bass (33), drums (channel 10), chord symbols."""
    seq = drums()
    for step in range(0, 32, 2):
        _note(seq, 72 + (step * 5) % 12, step * STEP, (step + 2) * STEP, instrument=0, program=0)
    for step in range(0, 32, 4):
        _note(seq, 36 + (step // 8) * 5, step * STEP, (step + 3) * STEP, instrument=1, program=33)
    for time, chord in [(0.0, "C"), (1.0, "F"), (2.0, "G7"), (3.0, "C")]:
        seq.text_annotations.add(time=time, text=chord, annotation_type=1)  # CHORD_SYMBOL
    return seq


KINDS = {"melody": melody, "drums": drums, "polyphony": polyphony,
         "performance": performance, "trio": trio}


# ---- fixtures and helpers ----------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_user_soundfont(monkeypatch):
    monkeypatch.delenv(audio.SOUNDFONT_ENV, raising=False)


@pytest.fixture(scope="session")
def fluidsynth_ready() -> Path:
    """The soundfont FluidSynth tests use; fails (never skips) when FluidSynth is missing."""
    try:
        import fluidsynth  # noqa: F401
    except (ImportError, OSError) as err:
        pytest.fail(f"FluidSynth tests need libfluidsynth: apt-get install libfluidsynth3 ({err})")
    soundfont = find_soundfont()
    if soundfont is None:
        pytest.fail("FluidSynth tests need a GM soundfont: apt-get install fluid-soundfont-gm")
    return soundfont


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    if request.param == "fluidsynth":
        request.getfixturevalue("fluidsynth_ready")
    return request.param


def rms(waveform: np.ndarray, start: float, end: float, rate: int = RATE) -> float:
    segment = np.asarray(waveform[round(start * rate):round(end * rate)], dtype=np.float64)
    return float(np.sqrt(np.mean(segment**2)))


def centroid_hz(waveform: np.ndarray, start: float, end: float) -> float:
    segment = np.asarray(waveform[round(start * RATE):round(end * RATE)], dtype=np.float64)
    spectrum = np.abs(np.fft.rfft(segment * np.hanning(len(segment))))
    return float((spectrum * np.fft.rfftfreq(len(segment), 1 / RATE)).sum() / spectrum.sum())


def read_wav(path: Path) -> tuple:
    with wave.open(str(path), "rb") as reader:
        return reader.getparams(), np.frombuffer(reader.readframes(reader.getnframes()), "<i2")


def one_note(pitch=60, velocity=100, program=0, is_drum=False, end=0.5, total=1.0):
    seq = music_pb2.NoteSequence()
    _note(seq, pitch, 0.1, end, velocity=velocity, program=program, is_drum=is_drum,
          instrument=9 if is_drum else 0)
    seq.total_time = total
    return seq


# ---- every kind, both backends, through a WAV file ---------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_renders_every_kind_to_wav(kind, backend, tmp_path):
    seq = KINDS[kind]()
    waveform = synthesize(seq, backend=backend)
    path = tmp_path / f"{kind}-{backend}.wav"
    path.write_bytes(to_wav_bytes(waveform))
    params, pcm = read_wav(path)

    expected = math.ceil(seq.total_time * RATE)  # within a frame (one sample) of the end
    assert waveform.backend == backend and waveform.sample_rate == RATE
    assert waveform.dtype == np.float32 and waveform.ndim == 1 and len(waveform) == expected
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, RATE)
    assert params.nframes == expected
    assert np.abs(pcm.astype(np.float64) / audio.PCM_FULL_SCALE - waveform).max() < 1e-4
    assert np.abs(waveform).max() == pytest.approx(TARGET_PEAK, abs=1e-6)  # no clipping
    for note in seq.notes:
        window = min(ONSET_WINDOW, note.end_time - note.start_time)
        assert rms(waveform, note.start_time, note.start_time + window) > NOTE_RMS_FLOOR, note


def test_builtin_is_silent_where_nothing_plays():
    waveform = synthesize(melody(), backend="builtin")
    gap_start = 2.0 + RELEASE_SECONDS
    assert rms(waveform, gap_start, 3.0) < SILENCE_RMS
    assert rms(waveform, 0.0, 2.0) > NOTE_RMS_FLOOR


def test_builtin_is_deterministic():
    first, second = synthesize(trio(), backend="builtin"), synthesize(trio(), backend="builtin")
    np.testing.assert_array_equal(first, second)


# ---- drums, programs, velocity, pedal ------------------------------------------------------


def test_drums_sound_like_drums(backend):
    hihat = synthesize(one_note(pitch=42, is_drum=True, end=0.2), backend=backend)
    kick = synthesize(one_note(pitch=36, is_drum=True, end=0.2), backend=backend)
    piano = synthesize(one_note(pitch=42, end=0.2), backend=backend)  # same pitch, not drums
    assert rms(hihat, 0.1, 0.2) > NOTE_RMS_FLOOR and rms(kick, 0.1, 0.2) > NOTE_RMS_FLOOR
    assert centroid_hz(hihat, 0.1, 0.3) > 4000 > centroid_hz(piano, 0.1, 0.3)
    assert centroid_hz(kick, 0.1, 0.3) < 1500


def test_fluidsynth_gets_channel_10_programs_and_pedal(fluidsynth_ready, monkeypatch):
    import fluidsynth

    calls: list[tuple] = []
    for name in ("program_select", "noteon", "cc"):
        original = getattr(fluidsynth.Synth, name)
        monkeypatch.setattr(fluidsynth.Synth, name, lambda self, *args, _name=name, _f=original:
                            calls.append((_name, *args)) or _f(self, *args))
    seq = trio()
    seq.control_changes.add(time=0.0, control_number=64, control_value=127, instrument=1)
    synthesize(seq, backend="fluidsynth")

    selected = {(channel, bank, program) for name, channel, _, bank, program in
                (c for c in calls if c[0] == "program_select")}
    assert (audio.DRUM_CHANNEL, audio.DRUM_BANK, 0) in selected
    bass_channel = next(ch for ch, bank, program in selected if program == 33 and bank == 0)
    drum_keys = {key for name, channel, key, _ in (c for c in calls if c[0] == "noteon")
                 if channel == audio.DRUM_CHANNEL}
    assert drum_keys == {36, 38, 42, 49}
    assert ("cc", bass_channel, 64, 127) in calls


def test_programs_change_the_sound(backend):
    piano = synthesize(melody(), backend=backend)
    flute_melody = melody()
    for note in flute_melody.notes:
        note.program = 73
    flute = synthesize(flute_melody, backend=backend)
    assert np.abs(piano - flute).max() > 0.1


def test_velocity_sets_loudness(backend):
    seq = music_pb2.NoteSequence()
    _note(seq, 60, 0.0, 0.5, velocity=30)
    _note(seq, 60, 1.0, 1.5, velocity=110)
    waveform = synthesize(seq, backend=backend)
    assert rms(waveform, 1.0, 1.4) > 3 * rms(waveform, 0.0, 0.4) > 0


def test_sustain_pedal_holds_notes(backend):
    plain = one_note(velocity=80, end=0.5, total=2.0)
    pedalled = one_note(velocity=80, end=0.5, total=2.0)
    _pedal(pedalled, 0.0, 1.8)
    held = rms(synthesize(pedalled, backend=backend), 1.0, 1.5)
    assert held > NOTE_RMS_FLOOR
    assert held > 10 * rms(synthesize(plain, backend=backend), 1.0, 1.5)


# ---- inputs, sample rates, arguments ----------------------------------------------------


@pytest.mark.parametrize("rate", [8000, 22050, 48000, 96000])
def test_sample_rate_is_selectable(rate):
    waveform = synthesize(trio(), sample_rate=rate, backend="builtin")
    assert waveform.sample_rate == rate and len(waveform) == math.ceil(trio().total_time * rate)
    with wave.open(io.BytesIO(to_wav_bytes(waveform))) as reader:
        assert reader.getframerate() == rate


@pytest.mark.parametrize("rate", [1000, 200000, 44100.0, True, "44100"])
def test_bad_sample_rate_is_refused(rate):
    with pytest.raises(ValueError, match="sample_rate must be an integer from 8000 to 96000"):
        synthesize(melody(), sample_rate=rate)


def test_length_reaches_the_last_note_off_when_total_time_is_short():
    seq = melody()
    seq.total_time = 1.0  # inconsistent input: notes go on to 3.5 s
    assert len(synthesize(seq, backend="builtin")) == 3.5 * RATE


def test_bad_backend_and_max_seconds_are_refused():
    with pytest.raises(ValueError, match="backend must be one of auto, fluidsynth, builtin"):
        synthesize(melody(), backend="timidity")
    with pytest.raises(ValueError, match="max_seconds must be a number > 0"):
        synthesize(melody(), max_seconds=0)


@pytest.mark.parametrize("music", [None, music_pb2.NoteSequence()])
def test_empty_music_gives_zero_samples(music, backend):
    waveform = synthesize(music, backend=backend)
    assert len(waveform) == 0 and waveform.backend == backend
    with wave.open(io.BytesIO(to_wav_bytes(waveform))) as reader:
        assert reader.getnframes() == 0


def test_reads_midi_files_and_pretty_midi(tmp_path):
    midi = pretty_midi.PrettyMIDI()
    piano, kit = pretty_midi.Instrument(program=0), pretty_midi.Instrument(0, is_drum=True)
    piano.notes.append(pretty_midi.Note(velocity=90, pitch=60, start=0.0, end=1.0))
    kit.notes.append(pretty_midi.Note(velocity=90, pitch=36, start=0.5, end=0.6))
    midi.instruments += [piano, kit]
    path = tmp_path / "song.mid"
    midi.write(str(path))
    for music in (midi, path, str(path)):
        waveform = synthesize(music, backend="builtin")
        assert len(waveform) == RATE and rms(waveform, 0.5, 0.6) > NOTE_RMS_FLOOR


def test_waveform_keeps_its_metadata_and_wav_needs_it():
    waveform = synthesize(melody(), backend="builtin")
    assert isinstance(waveform[:RATE], Waveform) and waveform[:RATE].sample_rate == RATE
    with pytest.raises(ValueError, match="expected a Waveform"):
        to_wav_bytes(np.zeros(10, dtype=np.float32))


def test_loud_dense_chords_do_not_clip(backend):
    seq = music_pb2.NoteSequence()
    for pitch in range(36, 96, 3):
        _note(seq, pitch, 0.0, 1.0, velocity=127)
    waveform = synthesize(seq, backend=backend)
    assert np.abs(waveform).max() == pytest.approx(TARGET_PEAK, abs=1e-6)
    assert np.abs(np.frombuffer(to_wav_bytes(waveform)[44:], "<i2")).max() < audio.PCM_FULL_SCALE


# ---- soundfonts and fallbacks ----------------------------------------------------------------


def _fallback(music, **kwargs) -> tuple[Waveform, str]:
    with pytest.warns(UserWarning) as record:
        waveform = synthesize(music, backend="auto", **kwargs)
    assert len(record) == 1
    return waveform, str(record[0].message)


def test_missing_soundfont_falls_back_with_one_line_warning(tmp_path):
    waveform, message = _fallback(melody(), soundfont=tmp_path / "missing.sf2")
    assert "missing.sf2" in message and "no such file" in message and "\n" not in message
    assert waveform.backend == "builtin" and rms(waveform, 0.0, 1.0) > NOTE_RMS_FLOOR


def test_corrupt_soundfont_falls_back_with_one_line_warning(tmp_path):
    corrupt = tmp_path / "corrupt.sf2"
    corrupt.write_bytes(np.random.default_rng(0).bytes(4096))
    waveform, message = _fallback(drums(), soundfont=corrupt)
    assert "not a SoundFont" in message and "\n" not in message
    assert waveform.backend == "builtin" and rms(waveform, 0.0, 1.0) > NOTE_RMS_FLOOR


def test_truncated_soundfont_falls_back(fluidsynth_ready, tmp_path):
    truncated = tmp_path / "truncated.sf2"
    truncated.write_bytes(fluidsynth_ready.read_bytes()[:2048])
    waveform, message = _fallback(melody(), soundfont=truncated)
    assert "FluidSynth cannot load" in message and waveform.backend == "builtin"


def test_environment_soundfont_is_used_and_checked(fluidsynth_ready, monkeypatch, tmp_path):
    monkeypatch.setenv(audio.SOUNDFONT_ENV, str(fluidsynth_ready))
    assert synthesize(melody(), backend="auto").backend == "fluidsynth"
    monkeypatch.setenv(audio.SOUNDFONT_ENV, str(tmp_path / "gone.sf2"))
    _, message = _fallback(melody())
    assert "$MAGWIDGETS_SOUNDFONT" in message and "gone.sf2" in message


def test_missing_libfluidsynth_falls_back_or_raises(monkeypatch):
    monkeypatch.setitem(sys.modules, "fluidsynth", None)  # import fluidsynth now fails
    waveform, message = _fallback(melody())
    assert "FluidSynth is not available" in message and "libfluidsynth3" in message
    assert waveform.backend == "builtin"
    with pytest.raises(MagwidgetsError, match="FluidSynth is not available"):
        synthesize(melody(), backend="fluidsynth")


def test_fluidsynth_without_soundfont_is_a_clear_error(fluidsynth_ready, monkeypatch, tmp_path):
    monkeypatch.setattr(audio, "soundfont_candidates", lambda: [tmp_path / "none.sf2"])
    with pytest.raises(MagwidgetsError, match="no General MIDI soundfont.*fluid-soundfont-gm"):
        synthesize(melody(), backend="fluidsynth")
    with pytest.raises(MagwidgetsError, match="missing.sf2 .soundfont argument.: no such file"):
        synthesize(melody(), backend="fluidsynth", soundfont=tmp_path / "missing.sf2")
    assert synthesize(melody(), backend="builtin").backend == "builtin"  # no warning needed


def test_find_soundfont_order(monkeypatch, tmp_path):
    system, mine, env = (tmp_path / name for name in ("system.sf2", "mine.sf2", "env.sf2"))
    for path in (system, mine, env):
        path.write_bytes(b"RIFF\0\0\0\0sfbk")
    monkeypatch.setattr(audio, "soundfont_candidates", lambda: [tmp_path / "absent.sf2", system])
    assert find_soundfont() == system
    monkeypatch.setenv(audio.SOUNDFONT_ENV, str(env))
    assert find_soundfont() == env
    assert find_soundfont(mine) == find_soundfont(str(mine)) == mine
    monkeypatch.setattr(audio, "soundfont_candidates", lambda: [])
    monkeypatch.delenv(audio.SOUNDFONT_ENV)
    assert find_soundfont() is None


def test_soundfont_candidates_cover_debian_and_pretty_midi():
    candidates = soundfont_candidates()
    assert Path("/usr/share/sounds/sf2/FluidR3_GM.sf2") in candidates
    assert Path("/usr/share/sounds/sf3/MuseScore_General.sf3") in candidates
    assert candidates[-1].name == "TimGM6mb.sf2" and candidates[-1].is_file()


# ---- long pieces -------------------------------------------------------------------------


def half_hour_piano() -> music_pb2.NoteSequence:
    """30 minutes of pedalled piano, four notes a second."""
    seq = music_pb2.NoteSequence()
    for i in range(4 * 30 * 60):
        _note(seq, 48 + (i * 7) % 36, i * 0.25, i * 0.25 + 0.2, velocity=40 + (i * 13) % 80)
        if i % 8 == 0:
            _pedal(seq, i * 0.25, i * 0.25 + 1.9)
    assert seq.total_time < 30 * 60
    seq.total_time = 30 * 60.0
    return seq


@pytest.fixture(scope="module")
def half_hour() -> music_pb2.NoteSequence:
    return half_hour_piano()


def test_half_hour_streams_in_bounded_memory(half_hour, backend):
    rate = 8000  # keeps the test quick; memory is the output buffer plus a constant
    tracemalloc.start()
    try:
        waveform = synthesize(half_hour, sample_rate=rate, backend=backend, max_seconds=1800)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(waveform) == 1800 * rate and waveform.backend == backend
    assert peak < waveform.nbytes + 16 * 2**20
    assert rms(waveform, 1790.0, 1799.0, rate) > NOTE_RMS_FLOOR  # still playing at the end


def test_half_hour_is_capped_by_default_with_a_warning(half_hour):
    with pytest.warns(UserWarning, match="lasts 1800.0 s; rendering its first 600.0 s") as record:
        waveform = synthesize(half_hour, sample_rate=8000, backend="builtin")
    assert len(record) == 1 and len(waveform) == audio.MAX_SECONDS * 8000
