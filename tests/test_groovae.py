"""GrooVAE (groovae_2bar_humanize, groovae_2bar_tap_fixed_velocity) against Magenta's own
encode / decode / interpolate, plus the Groove (humanize) and Drumify conveniences."""

from __future__ import annotations

import pytest
from note_seq.protobuf import music_pb2

from conftest import note_tuples
from test_music_vae import GROOVE, VAE, assert_same
from magwidgets.errors import GenerationError, PrimerError
from magwidgets.families.music_vae import MusicVAE



@pytest.fixture(scope="module")
def vaes() -> dict[str, MusicVAE]:
    return {c: MusicVAE.from_checkpoint(VAE / c / f"{c}.tar", c) for c in GROOVE}


def beat(bars: int, qpm: float = 120.0) -> music_pb2.NoteSequence:
    """A quantized rock beat: kick on 1 and 3, snare on 2 and 4, closed hats on 8ths."""
    sequence = music_pb2.NoteSequence()
    sequence.tempos.add(qpm=qpm)
    step = 60.0 / qpm / 4
    for s in range(16 * bars):
        hits = [42] if s % 2 == 0 else []
        hits += [36] if s % 8 == 0 else [38] if s % 8 == 4 else []
        for pitch in hits:
            sequence.notes.add(pitch=pitch, velocity=100, start_time=s * step,
                               end_time=(s + 1) * step, is_drum=True, instrument=9)
    sequence.total_time = 16 * bars * step
    return sequence


@pytest.mark.parametrize("config", GROOVE)
def test_sample_is_seeded(vaes, config):
    first = vaes[config].sample(2, temperature=0.5, seed=3)
    again = vaes[config].sample(2, temperature=0.5, seed=3)
    assert [note_tuples(s) for s in first] == [note_tuples(s) for s in again]


def test_humanize_adds_timing_and_dynamics(vaes):
    model = vaes["groovae_2bar_humanize"]
    result = model.humanize(beat(2), temperature=1e-7, seed=0)
    assert result.notes and all(n.is_drum for n in result.notes)
    step = 0.125
    offsets = [n.start_time / step - round(n.start_time / step) for n in result.notes]
    assert max(abs(o) for o in offsets) > 1e-3  # off the grid
    assert len({n.velocity for n in result.notes}) > 1  # velocities vary
    assert result.total_time == pytest.approx(4.0, abs=0.1)
    assert note_tuples(result) == note_tuples(model.humanize(beat(2), temperature=1e-7, seed=0))


def test_humanize_joins_2bar_windows_at_the_input_tempo(vaes):
    model = vaes["groovae_2bar_humanize"]
    two = model.humanize(beat(2, qpm=90), temperature=1e-7, seed=0)
    five = model.humanize(beat(5, qpm=90), temperature=1e-7, seed=0)
    assert five.tempos[0].qpm == 90
    window = 32 * 60.0 / 90 / 4
    first = [n for n in five.notes if n.start_time < window - 0.1]
    assert_same(music_pb2.NoteSequence(notes=first, tempos=five.tempos),
                music_pb2.NoteSequence(notes=[n for n in two.notes
                                              if n.start_time < window - 0.1],
                                       tempos=two.tempos))
    assert max(n.start_time for n in five.notes) > 2 * window  # the 3rd, padded window
    assert five.total_time >= 3 * window - 1e-9


def test_drumify_turns_taps_into_a_beat(vaes):
    taps = music_pb2.NoteSequence()
    taps.tempos.add(qpm=120)
    for s in range(0, 32, 2):  # pitched notes are taps too
        taps.notes.add(pitch=60 + s % 5, velocity=90, start_time=s * 0.125 + 0.01,
                       end_time=s * 0.125 + 0.1)
    result = vaes["groovae_2bar_tap_fixed_velocity"].drumify(taps, temperature=1e-7, seed=0)
    assert result.notes and all(n.is_drum and n.instrument == 9 for n in result.notes)


def test_regroove_errors(vaes):
    with pytest.raises(GenerationError, match="needs a GrooVAE 'groovae_2bar_tap_fixed"):
        vaes["groovae_2bar_humanize"].drumify(beat(2))
    with pytest.raises(GenerationError, match="needs a GrooVAE 'groovae_2bar_humanize'"):
        vaes["groovae_2bar_tap_fixed_velocity"].humanize(beat(2))
    with pytest.raises(PrimerError, match="no drum notes"):
        vaes["groovae_2bar_humanize"].humanize(music_pb2.NoteSequence())
    with pytest.raises(GenerationError, match="temperature"):
        vaes["groovae_2bar_humanize"].humanize(beat(2), temperature=0)


def test_encode_needs_exactly_one_2bar_window(vaes):
    model = vaes["groovae_2bar_humanize"]
    with pytest.raises(PrimerError, match="shorter than 2 bars"):
        model.encode([beat(1)])
    with pytest.raises(PrimerError, match="2 different 2-bar examples"):
        model.encode([beat(4)])
