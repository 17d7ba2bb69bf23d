"""Training data pipelines on real data: what each family's examples hold, that they decode
back to the source music through the engine's own encoders, the statistics, bad input."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import note_seq
import numpy as np
import pytest
from note_seq import chord_symbols_lib, sequences_lib
from note_seq.drums_encoder_decoder import DEFAULT_DRUM_TYPE_PITCHES

from magwidgets.errors import DataError, MagwidgetsError
from magwidgets.families import EVENT_RNN_CONFIGS as CONFIGS
from magwidgets.families.music_vae import VAE_CONFIGS
from magwidgets.families.music_vae.assemble import make_converter
from magwidgets.families.polyphony_rnn.encoding import (EventType, PolyphonicEvent, PolyphonicTrack,
                                                  PolyphonyOneHotEncoding)
from magwidgets.train.data import SourceSet, pad_batch, prepare, read_sources, scores

DATASETS = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"
GROOVE = DATASETS / "groove-midi"
EWLD = DATASETS / "openewld-pd"
VIENNA = DATASETS / "vienna4x22"


def decode_labels(config_id: str, labels: np.ndarray) -> list:
    """The events the labels name, decoded by the config's encoder (events 1..T)."""
    encoder = CONFIGS[config_id].make_encoder()
    events: list = []
    for label in labels:
        events.append(encoder.class_index_to_event(int(label), events))
    return events


def one_piece(sources: SourceSet, index: int) -> SourceSet:
    return SourceSet(source=sources.source, pieces=[sources.pieces[index]], files_read=1)


# -- reading sources ----------------------------------------------------------------------
def test_groove_keeps_its_own_split_column():
    sources = read_sources(GROOVE, max_files=40)
    with open(GROOVE / "info.csv", newline="") as handle:
        table = {row["midi_filename"].split("/")[-1]: row["split"]
                 for row in csv.DictReader(handle)}
    expected = {"train": "train", "validation": "eval", "test": "test"}
    assert sources.files_read == 40 and len(sources) == 40
    assert {piece.split for piece in sources.pieces} == {"train", "eval", "test"}
    for piece in sources.pieces:
        assert piece.split == expected[table[piece.name]], piece.name

    data = prepare("drum_kit", sources)
    counts = defaultdict(int)
    for piece in sources.pieces:
        counts[piece.split] += 1
    assert dict(data.stats.pieces_per_split) == counts


def test_corrupt_and_empty_files_are_skipped_and_counted(tmp_path):
    good = sorted(GROOVE.glob("drummer1/session1/*.mid"))[:2]
    for path in good:
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "garbage.mid").write_bytes(b"this is not a MIDI file at all" * 10)
    (tmp_path / "truncated.mid").write_bytes(good[0].read_bytes()[:40])
    (tmp_path / "broken.mxl").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "notes.txt").write_text("ignored: not a music file")

    sources = read_sources(tmp_path)
    assert sources.files_read == 5
    assert sources.files_skipped["unreadable MIDI file"] == 2
    assert sources.files_skipped["unreadable MusicXML file"] == 1
    assert len(sources) == 2
    skipped = {Path(path).name for path, _ in sources.skipped}
    assert skipped == {"garbage.mid", "truncated.mid", "broken.mxl"}

    data = prepare("drum_kit", sources)
    assert data.stats.files_read == 5 and data.stats.files_used == 2
    assert "unreadable MIDI file" in data.summary()


def test_a_folder_without_usable_files_says_what_was_read_and_dropped(tmp_path):
    (tmp_path / "garbage.mid").write_bytes(b"\x00" * 100)
    short = next(iter(sorted(GROOVE.glob("drummer1/session1/*fill*.mid"))))
    (tmp_path / short.name).write_bytes(short.read_bytes())
    with pytest.raises(DataError) as error:
        prepare("drum_kit", tmp_path)
    message = str(error.value)
    assert "read 2 files, 1 usable" in message
    assert "skipped 1 files: unreadable MIDI file" in message
    assert "drum track too short (< 7 bars)" in message


def test_an_empty_folder_says_no_music_files_were_found(tmp_path):
    with pytest.raises(DataError, match=r"(?s)read 0 files.*no music files found \(expected \.mid"):
        prepare("attention_rnn", tmp_path)


def test_missing_folder_unknown_corpus_and_unknown_config_are_named(tmp_path):
    with pytest.raises(DataError, match=r"data folder '.*nowhere' does not exist.*music21:bach"):
        read_sources(tmp_path / "nowhere")
    with pytest.raises(DataError, match=r"unknown corpus 'music21:jazz'.*music21:folk"):
        read_sources("music21:jazz")
    with pytest.raises(DataError, match=r"unknown config 'drums'.*drum_kit.*cat-mel_2bar_small"):
        prepare("drums", GROOVE)
    with pytest.raises(DataError, match=r"max_files must be a whole number >= 1, got 0"):
        read_sources(GROOVE, max_files=0)
    assert issubclass(DataError, MagwidgetsError)


def test_a_single_file_is_a_source_too():
    path = sorted(GROOVE.glob("drummer1/session1/*.mid"))[0]
    sources = read_sources(path)
    assert sources.files_read == 1 and [piece.name for piece in sources.pieces] == [path.name]


# -- drums --------------------------------------------------------------------------------
def test_drum_kit_examples_decode_to_the_source_drum_hits():
    sources = read_sources(GROOVE, max_files=25)
    longest = max(range(len(sources)), key=lambda i: sources.pieces[i].sequence.total_time)
    data = prepare("drum_kit", one_piece(sources, longest))
    examples = data.train + data.eval + data.test
    assert examples and data.input_size == 518 and data.output_size == 512
    inputs, labels = examples[0]
    assert np.asarray(inputs).shape == (len(labels), 518)
    assert len(labels) == 511  # Magenta's 512-step maximum, less the first event

    quantized = note_seq.quantize_note_sequence(sources.pieces[longest].sequence, 4)
    drum_class = {pitch: pitches[0]  # the 9 drum classes decode to their first pitch
                  for pitches in DEFAULT_DRUM_TYPE_PITCHES for pitch in pitches}
    hits = defaultdict(set)
    for note in quantized.notes:
        hits[note.quantized_start_step].add(drum_class[note.pitch])
    start = min(hits) // 16 * 16  # the track starts at the bar of the first hit
    expected = [frozenset(hits.get(start + step, ())) for step in range(1, 512)]
    assert decode_labels("drum_kit", labels) == expected
    # a track over 512 steps goes on in a second example (Magenta would drop the rest)
    assert data.stats.cut_up == 1 and len(examples) >= 2
    second = decode_labels("drum_kit", examples[1].targets)
    assert second == [frozenset(hits.get(start + 512 + step, ()))
                      for step in range(1, len(second) + 1)]


# -- melodies -----------------------------------------------------------------------------
@pytest.mark.parametrize("config_id", ["basic_rnn", "attention_rnn"])
def test_melody_examples_decode_to_the_source_melody_in_c(config_id):
    sources = read_sources(EWLD, max_files=6)
    data = prepare(config_id, sources, eval_fraction=0.0)
    assert len(data.train) == data.stats.examples["train"] > 0
    config = CONFIGS[config_id]
    melody = decode_labels(config_id, data.train[0].targets)
    pitches = [e for e in melody if e >= 0]
    assert pitches and config.min_note <= min(pitches) and max(pitches) < config.max_note

    # The first melody of the first piece, extracted and moved to C by note-seq itself.
    quantized = note_seq.quantize_note_sequence(sources.pieces[0].sequence, 4)
    source = note_seq.Melody()
    source.from_quantized_sequence(quantized, gap_bars=1,
                                   instrument=min(n.instrument for n in quantized.notes))
    source.squash(config.min_note, config.max_note, config.transpose_to_key)
    assert melody == list(source)[1:512]


def test_stats_add_up_and_print_as_a_table():
    data = prepare("basic_rnn", EWLD, max_files=20, seed=3)
    stats = data.stats
    assert stats.files_read == 20 == stats.files_used + sum(stats.files_skipped.values())
    assert stats.pieces == 20
    assert stats.examples["train"] == len(data.train)
    assert stats.examples["eval"] == len(data.eval) >= 1
    assert stats.pieces_per_split["eval"] == 2  # 10 % of 20, seeded
    table = data.summary()
    assert table.startswith(f"basic_rnn from {EWLD}")
    assert "files read" in table and "examples" in table

    again = prepare("basic_rnn", EWLD, max_files=20, seed=3)
    assert [len(x.targets) for x in again.eval] == [len(x.targets) for x in data.eval]


def test_pad_batch_pads_and_masks():
    data = prepare("drum_kit", GROOVE, max_files=30)
    batch = data.train[:4]
    inputs, labels, mask = pad_batch(batch)
    longest = max(len(example.targets) for example in batch)
    assert inputs.shape == (4, longest, 518) and inputs.dtype == np.float32
    assert labels.shape == (4, longest) and mask.sum() == sum(len(e.targets) for e in batch)
    np.testing.assert_array_equal(inputs[0, :len(batch[0].targets)], np.asarray(batch[0].inputs))


# -- polyphony ----------------------------------------------------------------------------
def test_polyphony_examples_decode_to_the_chorale_transposed_four_ways():
    sources = read_sources("music21:bach", max_files=2)
    piece = one_piece(sources, 0)
    data = prepare("polyphony", piece, eval_fraction=0.0)
    assert data.stats.examples["train"] == 9  # -4..+4 semitones: "up to a major third"
    assert data.stats.augmented["train"] == 8

    quantized = note_seq.quantize_note_sequence(sources.pieces[0].sequence, 4)
    onsets = {(n.pitch, n.quantized_start_step) for n in quantized.notes}
    for amount, example in zip(range(-4, 5), data.train):
        events = decode_labels("polyphony", example.targets)
        transposed = note_seq.quantize_note_sequence(
            sequences_lib.transpose_note_sequence(sources.pieces[0].sequence, amount)[0], 4)
        source_track = PolyphonicTrack.from_quantized_sequence(transposed)
        encoding = PolyphonyOneHotEncoding()
        assert list(example.targets) == [encoding.encode_event(e) for e in source_track][1:]
        track = PolyphonicTrack([PolyphonicEvent(EventType.START)] + events,
                                steps_per_quarter=4)
        decoded = track.to_sequence(qpm=60.0)  # a step is 0.25 s
        assert {(n.pitch - amount, round(n.start_time * 4)) for n in decoded.notes} == onsets


# -- improv (lead sheets) -----------------------------------------------------------------
def test_improv_examples_hold_the_lead_sheet_in_all_twelve_keys():
    sources = read_sources(EWLD, max_files=3)
    data = prepare("chord_pitches_improv", one_piece(sources, 0), eval_fraction=0.0)
    assert data.stats.examples["train"] % 12 == 0 and data.stats.examples["train"] >= 12
    assert data.stats.augmented["train"] == data.stats.examples["train"] * 11 // 12

    quantized = note_seq.quantize_note_sequence(sources.pieces[0].sequence, 4)
    melody = note_seq.Melody()
    melody.from_quantized_sequence(quantized, gap_bars=1,
                                   instrument=min(n.instrument for n in quantized.notes))
    chords = note_seq.ChordProgression()
    chords.from_quantized_sequence(quantized, melody.start_step, melody.end_step)
    source_pitches = [e for e in list(melody)[1:512] if e >= 0]
    for amount, example in zip(range(-6, 6), data.train[:12]):
        decoded = decode_labels("chord_pitches_improv", example.targets)
        rhythm = [e if e < 0 else 0 for e in decoded]
        assert rhythm == [e if e < 0 else 0 for e in list(melody)[1:512]]
        shifts = {p - q for p, q in zip([e for e in decoded if e >= 0], source_pitches)}
        assert {(shift - amount) % 12 for shift in shifts} == {0}  # squashed by octaves
        # the chord input of each step: the pitch classes of the chord sounding next
        inputs = np.asarray(example.inputs)
        for step in range(0, len(example.targets), 16):
            figure = chords[step + 1]
            expected = np.zeros(12)
            if figure != note_seq.NO_CHORD:
                for pitch_class in chord_symbols_lib.chord_symbol_pitches(figure):
                    expected[(pitch_class + amount) % 12] = 1.0
            np.testing.assert_array_equal(inputs[step, 13:25], expected)


# -- performance --------------------------------------------------------------------------
def test_performance_eval_examples_decode_to_the_played_notes():
    sources = read_sources(VIENNA, max_files=2)
    piece = one_piece(sources, 0)
    piece.pieces[0].split = "eval"  # eval: no stretching or transposing
    data = prepare("performance_with_dynamics", piece)
    assert data.stats.examples["eval"] == len(data.eval) >= 2
    assert data.stats.augmented["eval"] == 0
    encoder = CONFIGS["performance_with_dynamics"].make_encoder()
    inputs, labels = data.eval[0]
    first = encoder.class_index_to_event(int(np.argmax(np.asarray(inputs)[0])), [])
    performance = note_seq.Performance(steps_per_second=100, num_velocity_bins=32)
    for event in [first] + decode_labels("performance_with_dynamics", labels):
        performance.append(event)
    decoded = performance.to_sequence()
    last = performance.num_steps  # onsets on the last step may lie past the 512th event
    onsets = sorted((n.pitch, step) for n in decoded.notes
                    if (step := round(n.start_time * 100)) < last)

    sustained = sequences_lib.apply_sustain_control_changes(sources.pieces[0].sequence)
    played = sorted((n.pitch, step) for n in sustained.notes
                    if (step := sequences_lib.quantize_to_step(n.start_time, 100)) < last)
    assert len(onsets) > 50 and onsets == played


def test_optional_conditioning_trains_each_performance_with_and_without_controls():
    sources = read_sources(VIENNA, max_files=2)
    piece = one_piece(sources, 0)
    piece.pieces[0].split = "eval"
    plain = prepare("multiconditioned_performance_with_dynamics", piece)
    optional = prepare("optional_multiconditioned_performance_with_dynamics", piece)
    assert len(optional.eval) == 2 * len(plain.eval)
    on, off = (np.asarray(x.inputs) for x in optional.eval[:2])
    assert on[0, 0] == 0.0 and off[0, 0] == 1.0  # the "disable conditioning" flag
    np.testing.assert_array_equal(on[:, 1:], np.asarray(plain.eval[0].inputs))
    np.testing.assert_array_equal(optional.eval[0].targets, plain.eval[0].targets)


# -- MusicVAE -----------------------------------------------------------------------------
def groove_piece(max_bars: int) -> SourceSet:
    """A Groove MIDI beat in 4/4 of 8 to ``max_bars`` bars."""
    sources = read_sources(GROOVE, max_files=40)
    for index, piece in enumerate(sources.pieces):
        seconds_per_bar = 240.0 / piece.sequence.tempos[0].qpm
        if ("beat" in piece.name and "4-4" in piece.name
                and 8 <= piece.sequence.total_time / seconds_per_bar <= max_bars):
            return one_piece(sources, index)
    raise AssertionError("no short 4/4 beat in the slice")


def test_cat_drums_targets_are_the_drum_sets_of_the_input_roll():
    data = prepare("cat-drums_2bar_small", groove_piece(40))
    converter = make_converter(VAE_CONFIGS["cat-drums_2bar_small"])
    examples = data.train + data.eval + data.test
    assert examples and data.input_size == 10 and data.output_size == 512
    for inputs, targets in examples:
        roll = np.asarray(inputs)
        assert roll.shape == (32, 10) and targets.shape == (32,)
        for row, target in zip(roll, targets):
            drums = set(np.flatnonzero(row[:9]))
            assert set(converter.one_hot.decode_event(int(target))) == drums
            assert row[9] == (not drums)  # the "no drum" bit
    windows = {np.asarray(x.inputs).tobytes() for x in examples}
    assert len(windows) == len(examples)  # distinct, as Magenta's set of windows


@pytest.mark.parametrize("config_id", ["groovae_2bar_humanize", "groovae_2bar_tap_fixed_velocity"])
def test_groovae_targets_decode_to_the_played_hits_and_inputs_leave_them_out(config_id):
    piece = groove_piece(40)
    data = prepare(config_id, piece)
    converter = make_converter(VAE_CONFIGS[config_id])
    examples = data.train + data.eval + data.test
    assert len(examples) >= 4 and data.input_size == data.output_size == 27

    sequence = piece.pieces[0].sequence
    step = 60.0 / sequence.tempos[0].qpm / 4
    quantized = note_seq.quantize_note_sequence(sequence, 4)
    loudest = {}
    for note in quantized.notes:  # the loudest hit per step and drum class
        key = (note.quantized_start_step, converter.pitch_class[note.pitch])
        if key not in loudest or note.velocity > loudest[key].velocity:
            loudest[key] = note
    for window, (inputs, targets) in enumerate(examples):
        decoded = converter.from_output(targets, qpm=sequence.tempos[0].qpm,
                                        start_step=32 * window)
        hits = sorted((converter.pitch_classes[drum][0], note.velocity,
                       round(note.start_time / step, 4))
                      for (s, drum), note in loudest.items() if s // 32 == window)
        assert sorted((n.pitch, n.velocity, round(n.start_time / step, 4))
                      for n in decoded.notes) == hits
        assert not inputs[:, 9:18].any()  # no velocities: the model must put them back
        if config_id == "groovae_2bar_humanize":  # the hits, without their timing
            np.testing.assert_array_equal(inputs[:, :9], targets[:, :9])
            assert not inputs[:, 18:].any()
        else:  # one tapped channel (with its timing) wherever any drum is hit
            np.testing.assert_array_equal(inputs[:, 3], targets[:, :9].max(axis=1))
            assert not np.delete(inputs, [3, 21], axis=1).any()


def test_cat_mel_targets_are_the_melody_events_of_the_one_hot_input():
    data = prepare("cat-mel_2bar_small", EWLD, max_files=4)
    assert data.input_size == data.output_size == 90
    for inputs, targets in data.train[:20]:
        one_hot = np.asarray(inputs)
        assert one_hot.shape == (32, 90) and (one_hot.sum(axis=1) == 1).all()
        np.testing.assert_array_equal(one_hot.argmax(axis=1), targets)
    assert data.stats.augmented["train"] == 0


# -- ABC through music21 ------------------------------------------------------------------
TUNE = """X:1
T:Test reel
M:4/4
L:1/8
Q:1/4=100
K:G
D2|"G"G2 B2 d2 B2|"C"c2 e2 "D7"d2 c2|"G"B2 G2 "Bb"A2-A2|"Em"G8|
"G"G2 B2 d2 B2|"C"c2 e2 "D7"d2 c2|"G"B2 G2 "D"A2 F2|"G"G6||
"""


def test_abc_tunes_become_lead_sheets_with_chords_tempo_and_bars(tmp_path):
    (tmp_path / "reel.abc").write_text(TUNE)
    sources = read_sources(tmp_path)
    assert sources.files_read == 1 and len(sources) == 1
    sequence = sources.pieces[0].sequence
    quarter = 60.0 / 100  # Q:1/4=100
    assert [t.qpm for t in sequence.tempos] == [100.0]
    assert [(t.numerator, t.denominator) for t in sequence.time_signatures] == [(4, 4)]
    chords = [(round(a.time / quarter, 3), a.text) for a in sequence.text_annotations]
    # the pickup (one quarter) is padded to a whole bar: bar 1 starts at quarter 4
    assert chords[:5] == [(4.0, "G"), (8.0, "C"), (10.0, "D7"), (12.0, "G"), (14.0, "Bb")]
    notes = sorted((round(n.start_time / quarter, 3), round(n.end_time / quarter, 3), n.pitch)
                   for n in sequence.notes)
    assert notes[0] == (3.0, 4.0, 62)  # the pickup D
    assert (14.0, 16.0, 69) in notes  # A2-A2: tied, one note of a half
    assert len(notes) == 26

    data = prepare("chord_pitches_improv", sources, eval_fraction=0.0)
    assert data.stats.examples["train"] == 12  # one lead sheet in all 12 keys


def test_music21_pieces_are_read_once_then_come_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MAGWIDGETS_CACHE", str(tmp_path / "cache"))
    (tmp_path / "tunes").mkdir()
    (tmp_path / "tunes" / "reel.abc").write_text(TUNE)
    first = read_sources(tmp_path / "tunes")
    assert list((tmp_path / "cache" / "scores").glob("*.pb"))
    monkeypatch.setattr(scores, "parse_scores", lambda path: pytest.fail("parsed again"))
    again = read_sources(tmp_path / "tunes")
    assert [(p.name, p.sequence) for p in again.pieces] == [
        (p.name, p.sequence) for p in first.pieces]
