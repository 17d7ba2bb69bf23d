"""MusicVAE on real-world input: windows of longer music, the configs that share a fixture's
shapes (big, 4-bar, add_closed_hh), and PrimerErrors that say why nothing was found."""

from __future__ import annotations

import numpy as np
import pytest
from note_seq.protobuf import music_pb2

from conftest import read_textproto
from test_music_vae import LOCAL, fixture, inputs
from magwidgets.errors import GenerationError, PrimerError
from magwidgets.loading import load_model
from magwidgets.families.music_vae import MusicVAE

MEL, DRUMS, TRIO = "cat-mel_2bar_small", "cat-drums_2bar_small", "hierdec-trio_16bar"
GROOVE_INPUTS = LOCAL / "groove-converters"


@pytest.fixture(scope="module")
def vaes() -> dict[str, MusicVAE]:
    return {c: MusicVAE.from_checkpoint(fixture(c, f"{c}.tar"), c)
            for c in (MEL, DRUMS, TRIO, "hierdec-mel_16bar")}


def joined(first: music_pb2.NoteSequence, second: music_pb2.NoteSequence,
           at: float) -> music_pb2.NoteSequence:
    """``second`` played after ``first``, starting ``at`` seconds."""
    sequence = music_pb2.NoteSequence()
    sequence.CopyFrom(first)
    for note in second.notes:
        copy = sequence.notes.add()
        copy.CopyFrom(note)
        copy.start_time += at
        copy.end_time += at
    sequence.total_time = at + second.total_time
    return sequence


def melody(pitches: list[int], program: int = 0, instrument: int = 0,
           qpm: float = 120.0) -> music_pb2.NoteSequence:
    """One quarter note per pitch."""
    sequence = music_pb2.NoteSequence()
    sequence.tempos.add(qpm=qpm)
    beat = 60.0 / qpm
    for k, pitch in enumerate(pitches):
        sequence.notes.add(pitch=pitch, velocity=80, start_time=k * beat,
                           end_time=(k + 1) * beat, program=program, instrument=instrument)
    sequence.total_time = len(pitches) * beat
    return sequence


def test_encode_windows_walks_a_longer_melody(vaes):
    a, b = inputs(MEL)
    windows = vaes[MEL].encode_windows(joined(a, b, 4.0), seed=0)
    assert [(w.start_time, w.end_time) for w in windows] == [(0, 4), (2, 6), (4, 8)]
    _, mu, sigma = vaes[MEL].encode([a, b])
    np.testing.assert_allclose(windows[0].mu, mu[0], atol=1e-6)
    np.testing.assert_allclose(windows[-1].sigma, sigma[1], atol=1e-6)
    assert windows[1].z.shape == (16,) and windows[1].inputs.shape == (32, 90)
    with pytest.raises(PrimerError, match=r"3 different 2-bar examples.*longer than 2 bars "
                                          r"\(windows start at 0, 2, 4 s\).*encode_windows"):
        vaes[MEL].encode([joined(a, b, 4.0)])


def test_encode_windows_reads_a_trio_and_names_its_parts(vaes):
    trio = read_textproto(fixture(TRIO, "inputs_0.textproto"))
    windows = vaes[TRIO].encode_windows(trio)
    assert len(windows) == 1 and windows[0].instruments == (0, 1, 9)
    _, mu, _ = vaes[TRIO].encode([trio])
    np.testing.assert_allclose(windows[0].mu, mu[0], atol=1e-6)


@pytest.mark.parametrize("config", ["groovae_4bar", "groovae_2bar_add_closed_hh"])
def test_groove_config_inputs_match_magenta(config):
    expected = np.load(GROOVE_INPUTS / "inputs.npz")[config]
    model = load_model(fixture("groovae_2bar_humanize", "groovae_2bar_humanize.tar"),
                       config=config)
    four_bars = read_textproto(GROOVE_INPUTS / "inputs_4bar.textproto")
    windows = model.encode_windows(four_bars)
    np.testing.assert_allclose([w.inputs for w in windows], expected, atol=1e-6)
    steps = 64 if config == "groovae_4bar" else 32
    assert max(n.start_time for n in model.sample(1, temperature=1e-7, seed=0)[0].notes) \
        < steps * 0.125


@pytest.mark.parametrize(("config", "small"), [("cat-mel_2bar_big", MEL),
                                              ("cat-drums_2bar_big", DRUMS)])
def test_big_configs_take_their_sizes_from_the_weights(vaes, config, small):
    model = load_model(fixture(small, f"{small}.tar"), config=config)
    assert model.config.id == config and model.z_size == 16
    _, mu, _ = model.encode(inputs(small))
    np.testing.assert_allclose(mu, vaes[small].encode(inputs(small))[1], atol=1e-6)


def test_hierarchical_decodes_whole_bars(vaes):
    z = np.zeros((1, 16))
    four_bars = vaes["hierdec-mel_16bar"].decode(z, length=64, temperature=1e-7)[0]
    full = vaes["hierdec-mel_16bar"].decode(z, temperature=1e-7)[0]
    assert [n for n in full.notes if n.start_time < 8.0] == list(four_bars.notes)
    with pytest.raises(GenerationError, match="whole bars.*multiple of 16 steps up to 256"):
        vaes["hierdec-mel_16bar"].decode(z, length=40)


def test_no_example_says_why(vaes):
    mel, drums, trio = vaes[MEL], vaes[DRUMS], vaes[TRIO]
    tune = [60, 62, 64, 65, 67, 65, 64, 62]
    with pytest.raises(PrimerError, match="no melody of at least 2 bars"):  # too short
        mel.encode([melody(tune[:4])])
    with pytest.raises(PrimerError, match="only drum notes"):  # wrong instrument
        mel.encode(inputs(DRUMS)[:1])
    with pytest.raises(PrimerError, match=r"no note is on a melody program 0-31.*\[40\]"):
        mel.encode([melody(tune, program=40)])
    with pytest.raises(PrimerError, match="no drum notes"):
        drums.encode([melody(tune)])
    with pytest.raises(PrimerError, match=r"out of the melody range 21-108 \(pitches 10-17\)"):
        mel.encode([melody([10, 12, 14, 15, 17, 15, 14, 12])])
    three_four = melody(tune)
    three_four.time_signatures.add(numerator=3, denominator=4)
    with pytest.raises(PrimerError, match="time signature is not 4/4"):  # not quantizable
        mel.encode([three_four])
    slower = melody(tune)  # two bars, but the tempo change leaves one bar on each side
    slower.tempos.add(qpm=60, time=2.0)
    with pytest.raises(PrimerError, match=r"changes tempo or time signature \(at 2 s\).*"
                                          "no melody of at least 2 bars"):
        mel.encode([slower])
    duet = joined(melody(tune), melody([72, 71, 69, 67, 65, 64, 62, 60], instrument=1), 0.0)
    with pytest.raises(PrimerError, match=r"several instruments play at once "
                                          r"\(instruments 0, 1 each"):
        mel.encode([duet])  # too many notes at once
    with pytest.raises(PrimerError, match=r"trio needs.*no bass \(programs 32-39\) and no "
                                          r"drums"):
        trio.encode([melody(tune * 8)])


def test_chords_keep_their_highest_note(vaes):
    tune = [60, 62, 64, 65, 67, 65, 64, 62]
    chords = melody(tune)
    for note in list(chords.notes):
        chords.notes.add(pitch=note.pitch - 7, velocity=80, start_time=note.start_time,
                         end_time=note.end_time)
    np.testing.assert_allclose(vaes[MEL].encode([chords])[1], vaes[MEL].encode([melody(tune)])[1])


def test_encode_windows_says_why_there_is_none(vaes):
    with pytest.raises(PrimerError, match="the sequence yields no 2-bar example.*no drum notes"):
        vaes[DRUMS].encode_windows(melody([60, 62, 64, 65, 67, 65, 64, 62]))
    with pytest.raises(PrimerError, match="the sequence: .*beat.mid"):
        vaes[DRUMS].encode_windows("beat.mid")


def test_encode_takes_midi_files(vaes):
    path = fixture(MEL, "inputs_0.mid")
    _, from_file, _ = vaes[MEL].encode(path)
    np.testing.assert_allclose(from_file, vaes[MEL].encode(inputs(MEL)[:1])[1], atol=1e-6)
    assert len(vaes[MEL].encode_windows(str(path))) == 1
