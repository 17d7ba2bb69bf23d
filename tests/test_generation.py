"""Generation behaviour beyond the oracle runs: primers, sections, seeds, beam search."""

from __future__ import annotations

import numpy as np
import note_seq
import pretty_midi
import pytest

from conftest import ORACLE, note_tuples, read_textproto


def _primer(config: str):
    return read_textproto(ORACLE / config / "primer.textproto")


def test_same_seed_same_music_and_other_seeds_differ(models):
    model = models["drum_kit"]
    first = model.generate(_primer("drum_kit"), steps=32, temperature=1.0, seed=7)
    again = model.generate(_primer("drum_kit"), steps=32, temperature=1.0, seed=7)
    others = {tuple(note_tuples(model.generate(_primer("drum_kit"), steps=32, seed=s)))
              for s in range(4)}
    assert note_tuples(first) == note_tuples(again)
    assert len(others) > 1


@pytest.mark.parametrize("config", ["drum_kit", "basic_rnn", "attention_rnn"])
def test_steps_extends_by_that_many_steps_and_keeps_the_primer(models, config):
    model = models[config]
    primer = _primer(config)
    result = model.generate_with_score(primer, steps=24, seed=1)
    assert result.generated_steps == 24
    seconds_per_step = 60.0 / 120 / model.config.steps_per_quarter
    primer_end_step = round(max(n.end_time for n in primer.notes) / seconds_per_step)
    assert result.sequence.total_time == pytest.approx((primer_end_step + 24) * seconds_per_step)
    assert result.generated_start == pytest.approx(primer_end_step * seconds_per_step)
    primer_onsets = {round(n.start_time, 6) for n in primer.notes}
    kept = {round(n.start_time, 6) for n in result.sequence.notes}
    assert primer_onsets <= kept


def test_default_length_is_two_bars_after_the_primer(models):
    model = models["basic_rnn"]
    result = model.generate_with_score(seed=3)  # no primer at all
    steps_per_bar = 4 * model.config.steps_per_quarter
    assert result.generated_steps == 2 * steps_per_bar
    assert result.primer_steps == 1  # an RNN needs one event to start from: a silent step


def test_melody_output_is_monophonic_and_drums_are_drums(models):
    melody = models["lookback_rnn"].generate(_primer("lookback_rnn"), steps=64, seed=2)
    onsets = [round(n.start_time, 6) for n in melody.notes]
    assert len(onsets) == len(set(onsets))
    assert not any(n.is_drum for n in melody.notes)
    drums = models["drum_kit"].generate(_primer("drum_kit"), steps=64, seed=2)
    assert drums.notes and all(n.is_drum and n.instrument == 9 for n in drums.notes)


def test_primer_as_midi_path_prettymidi_and_notesequence_agree(models, tmp_path):
    model = models["attention_rnn"]
    midi_path = ORACLE / "attention_rnn" / "primer.mid"
    kwargs = dict(steps=16, temperature=0.5, seed=4)
    from_path = model.generate(midi_path, **kwargs)
    from_pretty = model.generate(pretty_midi.PrettyMIDI(str(midi_path)), **kwargs)
    from_sequence = model.generate(note_seq.midi_file_to_note_sequence(str(midi_path)), **kwargs)
    assert note_tuples(from_path) == note_tuples(from_pretty) == note_tuples(from_sequence)


def test_generated_midi_round_trips(models, tmp_path):
    sequence = models["drum_kit"].generate(_primer("drum_kit"), steps=32, seed=5)
    path = tmp_path / "drums.mid"
    note_seq.sequence_proto_to_midi_file(sequence, str(path))
    back = note_seq.midi_file_to_note_sequence(str(path))
    assert [(n.pitch, n.velocity, n.is_drum) for n in sorted(back.notes, key=lambda n: (n.start_time, n.pitch))] == \
        [(n.pitch, n.velocity, n.is_drum) for n in sorted(sequence.notes, key=lambda n: (n.start_time, n.pitch))]
    starts = sorted(n.start_time for n in back.notes)
    assert np.allclose(starts, sorted(n.start_time for n in sequence.notes), atol=1e-3)


def test_qpm_argument_sets_the_tempo_of_a_primer_without_one(models):
    sequence = models["basic_rnn"].generate(steps=16, qpm=90, seed=0)
    assert [t.qpm for t in sequence.tempos] == [90]
    assert sequence.total_time == pytest.approx((1 + 16) * 60.0 / 90 / 4)


@pytest.mark.parametrize("config", ["basic_rnn", "drum_kit"])
def test_beam_search_finds_more_likely_sequences(models, config):
    """Statistically: beam 4 x branch 2 beats plain sampling in log-likelihood on average."""
    model = models[config]
    primer = _primer(config)
    plain = [model.generate_with_score(primer, steps=16, seed=s).log_likelihood
             for s in range(12)]
    beam = [model.generate_with_score(primer, steps=16, beam_size=4, branch_factor=2,
                                      seed=s).log_likelihood for s in range(12)]
    assert np.all(np.isfinite(plain)) and np.all(np.isfinite(beam))
    assert np.mean(beam) > np.mean(plain)
    assert np.median(beam) > np.median(plain)


def test_steps_per_iteration_changes_the_search_but_not_the_length(models):
    model = models["basic_rnn"]
    result = model.generate_with_score(_primer("basic_rnn"), steps=10, beam_size=2,
                                       branch_factor=3, steps_per_iteration=4, seed=0)
    assert result.generated_steps == 10
