"""Polyphony RNN: parity with real Magenta 2.1.4, its two primer options, and bad primers."""

from __future__ import annotations

import numpy as np
import pytest
from note_seq.protobuf import music_pb2

from conftest import ORACLE, bundle_path, note_tuples, read_meta, read_textproto
from magwidgets.errors import GenerationError, PrimerError
from magwidgets.families.polyphony_rnn.model import PolyphonyRNN
from magwidgets.families.polyphony_rnn.encoding import (
    EventType, PolyphonicEvent, PolyphonicTrack, PolyphonyOneHotEncoding)

CONFIG = "polyphony"
FOLDER = ORACLE / CONFIG
TOLERANCE = 1e-5
START, END = 2.0, 4.0  # seconds: the fixture's generate section
# Magenta quantizes a section start with quantize_cutoff=0, which moves a start exactly on a
# step one step later: 2.0 s at 8 steps per second starts on step 17, i.e. 2.125 s.
SECTION_START = 2.125
GENERATED_VELOCITY = 100


@pytest.fixture(scope="session")
def polyphony():
    import magwidgets as mw

    return mw.load_model(bundle_path(CONFIG))


def _primer() -> music_pb2.NoteSequence:
    return read_textproto(FOLDER / "primer.textproto")


def _other_primer() -> music_pb2.NoteSequence:
    """A different two-second primer at the same tempo: one low held chord."""
    sequence = music_pb2.NoteSequence(ticks_per_quarter=220, total_time=2.0)
    sequence.tempos.add(qpm=120.0)
    for pitch in (41, 48, 53):
        sequence.notes.add(pitch=pitch, velocity=90, start_time=0.0, end_time=2.0)
    return sequence


def _after(sequence: music_pb2.NoteSequence, time: float) -> list[tuple]:
    return [note for note in note_tuples(sequence) if note[2] >= time - 1e-6]


def _before(sequence: music_pb2.NoteSequence, time: float) -> list[tuple]:
    return [note for note in note_tuples(sequence) if note[2] < time - 1e-6]


def _shifted(notes: list[tuple], seconds: float, velocity: int) -> list[tuple]:
    return [(p, velocity, round(s + seconds, 6), round(e + seconds, 6), d)
            for p, _, s, e, d in notes]


def _assert_replayed(primer_notes: list[tuple], added: list[tuple]) -> None:
    for pitch, velocity, start, end, _ in _shifted(primer_notes, SECTION_START,
                                                   GENERATED_VELOCITY):
        if start < END - 1e-6:
            assert any(n[:3] == (pitch, velocity, start) and n[3] >= min(end, END) - 1e-6
                       for n in added), (pitch, start, added)


# -- parity with Magenta --------------------------------------------------------------------
def test_load_gives_a_polyphony_model(polyphony):
    assert isinstance(polyphony, PolyphonyRNN)
    assert polyphony.config.id == CONFIG
    assert polyphony.encoder.num_classes == polyphony.encoder.input_size == 259


def test_predict_proba_matches_magenta_softmax(polyphony):
    first_call = np.load(FOLDER / "first_call.npz")
    probabilities = polyphony.predict_proba(first_call["inputs"])
    assert probabilities.shape == first_call["softmax_t1"].shape
    np.testing.assert_allclose(probabilities, first_call["softmax_t1"], atol=TOLERANCE, rtol=0)


def test_first_graph_call_has_magentas_inputs(polyphony, monkeypatch):
    """Blank START plus the primer's first step injected: what Magenta fed its graph."""
    fed = []
    original = PolyphonyRNN._network_inputs
    monkeypatch.setattr(PolyphonyRNN, "_network_inputs",
                        lambda self, inputs: fed.append(np.array(inputs)) or original(self, inputs))
    polyphony.generate(_primer(), start_time=START, end_time=END, temperature=1e-4)
    expected = np.load(FOLDER / "first_call.npz")["inputs"]
    np.testing.assert_array_equal(fed[0][0], expected[0])


@pytest.mark.parametrize("run", ["plain", "beam"])
def test_generate_reproduces_magenta_notes(polyphony, run):
    arguments = read_meta(CONFIG)["runs"][run]
    generated = polyphony.generate(
        FOLDER / "primer.textproto",
        start_time=arguments["start_time"], end_time=arguments["end_time"],
        temperature=arguments["temperature"], beam_size=arguments["beam_size"],
        branch_factor=arguments["branch_factor"],
        steps_per_iteration=arguments["steps_per_iteration"], seed=0)
    expected = read_textproto(FOLDER / f"generated_{run}.textproto")
    assert len(expected.notes) == arguments["notes"]
    assert note_tuples(generated) == note_tuples(expected)
    assert generated.total_time == pytest.approx(expected.total_time)
    assert [t.qpm for t in generated.tempos] == [t.qpm for t in expected.tempos]


# -- behaviour --------------------------------------------------------------------------------
def test_output_is_polyphonic(polyphony):
    generated = polyphony.generate(_primer(), start_time=START, end_time=END, temperature=1.0,
                                   seed=3, inject_primer_during_generation=False)
    new_notes = _after(generated, SECTION_START)
    onsets = [start for _, _, start, _, _ in new_notes]
    overlapping = any(a[2] < b[3] and b[2] < a[3]
                      for i, a in enumerate(new_notes) for b in new_notes[i + 1:])
    assert len(set(onsets)) < len(onsets) or overlapping, new_notes


def test_defaults_keep_the_primer_and_replay_it_for_the_model_to_harmonize(polyphony):
    """Magenta's defaults: not conditioned, primer injected from the section start."""
    primer = _primer()
    generated = polyphony.generate(primer, start_time=START, end_time=END, temperature=1.0,
                                   seed=5)
    # The primer itself is kept as given (its own velocities), the RNN adds only later notes.
    assert _before(generated, START) == note_tuples(primer)
    # Its quantized notes are replayed from the section start (cut at its end); the model may
    # hold a replayed note longer with a CONTINUED_NOTE of its own.
    added = _after(generated, SECTION_START)
    _assert_replayed(note_tuples(primer), added)
    assert len(added) > len(primer.notes)  # and the model added notes around them


def test_without_injection_or_conditioning_the_primer_does_not_matter(polyphony):
    """condition_on_primer=False: the RNN starts blank, so any primer gives the same notes."""
    options = dict(start_time=START, end_time=END, temperature=1.0, seed=11,
                   inject_primer_during_generation=False)
    first = polyphony.generate(_primer(), **options)
    second = polyphony.generate(_other_primer(), **options)
    assert _after(first, START) == _after(second, START)
    assert _after(first, START)
    assert _before(first, START) == note_tuples(_primer())
    assert _before(second, START) == note_tuples(_other_primer())


def test_conditioning_primes_the_rnn_and_rerenders_the_primer(polyphony):
    options = dict(start_time=START, end_time=END, temperature=1.0, seed=11,
                   condition_on_primer=True, inject_primer_during_generation=False)
    first = polyphony.generate(_primer(), **options)
    second = polyphony.generate(_other_primer(), **options)
    # The primer is returned from its quantized track, as Magenta does (velocity 100).
    assert _before(first, START) == _shifted(note_tuples(_primer()), 0.0, GENERATED_VELOCITY)
    # Primed with different music, the same seed samples different notes (compare
    # test_without_injection_or_conditioning_the_primer_does_not_matter).
    assert _after(first, START) and _after(first, START) != _after(second, START)
    assert first.total_time == pytest.approx(END)


def test_conditioning_and_injection_replay_after_the_primed_primer(polyphony):
    generated = polyphony.generate(_primer(), start_time=START, end_time=END, temperature=1e-4,
                                   condition_on_primer=True)
    _assert_replayed(note_tuples(_primer()), _after(generated, SECTION_START))


def test_beam_search_with_injection_handles_entries_of_different_lengths(polyphony):
    """Injection makes beam entries' inputs differ in length (Magenta's graph feed fails)."""
    for seed in range(3):
        generation = polyphony.generate_with_score(
            _primer(), start_time=START, end_time=END, temperature=1.0, beam_size=2,
            branch_factor=2, seed=seed)
        assert generation.sequence.total_time == pytest.approx(END)
        assert np.isfinite(generation.log_likelihood)


def test_no_primer_generates_the_requested_steps(polyphony):
    generation = polyphony.generate_with_score(None, steps=16, seed=0)
    assert generation.generated_steps == 16
    assert generation.sequence.tempos[0].qpm == 120.0
    assert generation.sequence.total_time == pytest.approx(
        generation.generated_start + 16 * 0.125)


# -- bad input ------------------------------------------------------------------------------
def test_drum_primer_is_refused(polyphony):
    drums = music_pb2.NoteSequence()
    drums.tempos.add(qpm=120.0)
    for start in (0.0, 0.5):
        drums.notes.add(pitch=36, velocity=100, start_time=start, end_time=start + 0.125,
                        is_drum=True, instrument=9)
    with pytest.raises(PrimerError, match="2 drum notes.*drum_kit"):
        polyphony.generate(drums, steps=8)


def test_several_programs_are_refused(polyphony):
    primer = _primer()
    primer.notes[0].program = 40
    with pytest.raises(PrimerError, match=r"2 programs \[0, 40\]"):
        polyphony.generate(primer, steps=8)


@pytest.mark.parametrize("option", ["condition_on_primer", "inject_primer_during_generation"])
def test_options_must_be_booleans(polyphony, option):
    with pytest.raises(GenerationError, match=f"{option} must be True or False, got 'yes'"):
        polyphony.generate(_primer(), steps=8, **{option: "yes"})


# -- the encoding -----------------------------------------------------------------------------
def test_one_hot_classes_follow_magenta():
    encoding = PolyphonyOneHotEncoding()
    assert encoding.num_classes == 3 + 2 * 128
    assert encoding.encode_event(PolyphonicEvent(EventType.STEP_END)) == 2
    assert encoding.encode_event(PolyphonicEvent(EventType.NEW_NOTE, 60)) == 3 + 60
    assert encoding.encode_event(PolyphonicEvent(EventType.CONTINUED_NOTE, 60)) == 3 + 128 + 60
    for index in range(encoding.num_classes):
        assert encoding.encode_event(encoding.decode_event(index)) == index


def test_track_round_trips_the_quantized_primer():
    import note_seq

    quantized = note_seq.quantize_note_sequence(_primer(), 4)
    track = PolyphonicTrack.from_quantized_sequence(quantized)
    assert track[0].event_type == EventType.START and track[-1].event_type == EventType.END
    assert [e.pitch for e in track[1:4]] == [67, 64, 60]  # highest first, as Magenta
    track.set_length(16)
    assert track.num_steps == 16
    assert note_tuples(track.to_sequence(120.0)) == _shifted(
        note_tuples(_primer()), 0.0, GENERATED_VELOCITY)
    track.set_length(4)
    assert note_tuples(track.to_sequence(120.0)) == [
        (p, GENERATED_VELOCITY, 0.0, 0.5, False) for p in (60, 64, 67)]
