"""Music Transformer (Piano Transformer) against tensor2tensor 1.15.7 + score2perf oracle
fixtures (tests/fixtures/magenta-oracle/music_transformer, README there): the encodings,
teacher-forced logits, greedy decodes and the logits along them for the unconditional,
relative_v2 and melody-conditioned models; the KV cache, sampling, the sliding context, bad
input and the TensorFlow-free cached load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import note_seq
import numpy as np
import pytest

from magwidgets.errors import BundleError, GenerationError, PrimerError
from magwidgets.families import music_transformer as mt
from magwidgets.families.music_transformer import encoding

FIXTURES = Path(__file__).parent / "fixtures" / "magenta-oracle" / "music_transformer"
ENCODING = json.loads((FIXTURES / "encoding" / "encoding.json").read_text())
VARIANTS = ("unconditional", "relative_v2", "melody")
LOGIT_ATOL = {"unconditional": 1e-4, "relative_v2": 5e-4, "melody": 1e-4}  # README
FIXTURE_HEADS = 4  # the plain fixtures' num_heads (not stored in a plain checkpoint)
MIDI_TICK = 1 / 440  # 220 ticks per quarter at 120 qpm: Magenta's MIDI read-back grid


@pytest.fixture(scope="module")
def models() -> dict[str, mt.MusicTransformer]:
    return {variant: mt.load(FIXTURES / variant / "ckpt",
                             num_heads=None if variant == "relative_v2" else FIXTURE_HEADS)
            for variant in VARIANTS}


def reference(variant: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / variant / "reference.npz") as archive:
        return {name: archive[name] for name in archive.files}


def inputs_of(variant: str) -> np.ndarray | None:
    return reference(variant)["melody_inputs"] if variant == "melody" else None


# ---------------------------------------------------------------------- encodings
def test_primer_encodes_to_the_colab_ids():
    ids = encoding.encode_performance(FIXTURES / "encoding" / "primer.mid")
    assert ids.tolist() == ENCODING["primer_ids"]
    assert ids.tolist() + [encoding.EOS_ID] == ENCODING["ids"]


def test_vocabulary_layout_matches_score2perf():
    assert encoding.VOCAB_SIZE == ENCODING["vocab_size"] == 310
    assert encoding.MELODY_VOCAB_SIZE == ENCODING["melody_vocab_size"] == 92
    table = ENCODING["id_table"]
    shifts = encoding.shift_steps(np.arange(310))
    assert shifts.tolist() == [value if kind == "TIME_SHIFT" else 0 for kind, value in table]


def test_decode_matches_score2perf_decoding():
    sequence = encoding.decode_performance(ENCODING["ids"])  # EOS at the end is cut
    got = sorted((n.pitch, n.velocity, n.start_time, n.end_time) for n in sequence.notes)
    want = sorted(tuple(note) for note in ENCODING["decoded_notes"])
    assert [g[:2] for g in got] == [tuple(w[:2]) for w in want]
    # the fixture was read back from MIDI (1/440 s ticks); ours is the exact 10 ms grid
    assert np.abs(np.array(got)[:, 2:] - np.array(want)[:, 2:]).max() <= MIDI_TICK / 2


def test_melody_encodes_to_the_colab_inputs():
    ids = encoding.encode_melody(FIXTURES / "encoding" / "melody.mid")
    assert ids.tolist() == ENCODING["melody_ids"]


def test_melody_with_chords_takes_the_top_line_with_a_warning():
    melody = note_seq.midi_file_to_note_sequence(str(FIXTURES / "encoding" / "melody.mid"))
    chorded = note_seq.NoteSequence()
    chorded.CopyFrom(melody)
    for note in melody.notes:  # a third and an octave below every melody note
        for drop in (4, 12):
            chorded.notes.add(pitch=note.pitch - drop, velocity=80, start_time=note.start_time,
                              end_time=note.end_time + 0.3)
    with pytest.warns(UserWarning, match="top line"):
        ids = encoding.encode_melody(chorded)
    assert ids.tolist() == ENCODING["melody_ids"]


def test_primer_notes_outside_the_piano_are_dropped_with_a_warning():
    sequence = note_seq.NoteSequence(total_time=1.0)
    for pitch in (10, 60):
        sequence.notes.add(pitch=pitch, velocity=80, start_time=0.0, end_time=1.0)
    with pytest.warns(UserWarning, match="dropping 1 primer notes outside the piano range"):
        ids = encoding.encode_performance(sequence)
    assert [n.pitch for n in encoding.decode_performance(ids).notes] == [60]


def test_bad_ids_are_refused_with_the_value():
    with pytest.raises(GenerationError, match="id 310 is outside the vocabulary 0..309"):
        encoding.decode_performance([2, 310])
    with pytest.raises(PrimerError, match="no .*notes"):
        encoding.encode_melody(note_seq.NoteSequence())


# ---------------------------------------------------------------------- parity
@pytest.mark.parametrize("variant", VARIANTS)
def test_teacher_forced_logits_match_t2t(models, variant):
    ref = reference(variant)
    logits = models[variant].logits(ref["tf_targets"], inputs=inputs_of(variant))
    assert logits.shape == ref["tf_logits"].shape
    np.testing.assert_allclose(logits, ref["tf_logits"], rtol=0, atol=LOGIT_ATOL[variant])


@pytest.mark.parametrize("variant", VARIANTS)
def test_greedy_decode_matches_t2t_with_its_logits(models, variant):
    ref = reference(variant)
    ids, logits = models[variant].generate_tokens(
        ref["primer"], len(ref["generated"]), temperature=0, inputs=inputs_of(variant),
        return_logits=True)
    assert ids.tolist() == ref["generated"].tolist()
    np.testing.assert_allclose(logits, ref["path_logits"], rtol=0, atol=LOGIT_ATOL[variant])


def test_detected_configs(models):
    unconditional, relative, melody = (models[v] for v in VARIANTS)
    assert (unconditional.config.num_layers, unconditional.config.hidden_size,
            unconditional.config.filter_size) == (3, 64, 128)
    assert unconditional.attention == "dot_product" and not unconditional.melody_conditioned
    assert relative.attention == "dot_product_relative_v2"
    assert (relative.config.num_heads, relative.config.max_relative_position) == (4, 64)
    assert melody.melody_conditioned and melody.config.input_vocab == 92


# ---------------------------------------------------------------------- decoding
def test_parallel_samples_equal_single_ones(models):
    ref = reference("relative_v2")
    single = models["relative_v2"].generate_tokens(ref["primer"], 8, temperature=0)
    batch = models["relative_v2"].generate_tokens(np.stack([ref["primer"]] * 3), 8,
                                                  temperature=0)
    assert batch.shape == (3, 8) and (batch == single).all()


def test_sampling_is_seeded_and_top_k_one_is_argmax(models):
    model, primer = models["unconditional"], reference("unconditional")["primer"]
    first = model.generate_tokens(primer, 16, seed=3)
    assert (model.generate_tokens(primer, 16, seed=3) == first).all()
    assert not (model.generate_tokens(primer, 16, seed=4) == first).all()
    assert (model.generate_tokens(primer, 16, top_k=1, seed=5)
            == reference("unconditional")["generated"][:16]).all()


def test_the_context_slides_when_full():
    model = mt.load(FIXTURES / "relative_v2" / "ckpt", context=64)
    primer = reference("relative_v2")["primer"][:20]
    ids, logits = model.generate_tokens(primer, 60, temperature=0, return_logits=True)
    assert len(ids) == 60
    full = 64 - len(primer)  # new ids before the cache is full; then the last 32 are kept
    kept = np.concatenate([primer, ids])[len(primer) + full - 32:len(primer) + full]
    expected = model.logits(np.append(kept, 0))[-1]
    np.testing.assert_allclose(logits[full], expected, rtol=0, atol=1e-5)
    assert ids[full] == np.argmax(expected)


def test_a_primer_longer_than_the_context_is_truncated_with_a_warning():
    model = mt.load(FIXTURES / "unconditional" / "ckpt", num_heads=FIXTURE_HEADS, context=64)
    with pytest.warns(UserWarning, match="122 ids, more than the model's context of 64"):
        ids = model.generate_tokens(reference("unconditional")["primer"], 4, temperature=0)
    assert len(ids) == 4


def test_generate_continues_a_midi_primer(models):
    model = models["unconditional"]
    piece = model.generate(FIXTURES / "encoding" / "primer.mid", end_time=12.0, seed=1,
                           progress=False)
    primer = model.decode_tokens(model.encode(FIXTURES / "encoding" / "primer.mid"))
    assert len(piece.notes) >= len(primer.notes)
    assert piece.total_time >= 11.0  # 12 s of time shifts; notes may end before
    short = model.generate(num_tokens=10, temperature=0, progress=False)
    assert short.total_time < 12.0


def test_generate_accompanies_a_melody(models):
    ref = reference("melody")  # t2t's decode_length=64 is len(inputs) + 64 = 143 output ids
    piece = models["melody"].generate(melody=FIXTURES / "encoding" / "melody.mid",
                                      num_tokens=len(ref["generated"]), temperature=0,
                                      progress=False)
    assert piece == models["melody"].decode_tokens(ref["generated"])
    by_time = models["melody"].generate(melody=FIXTURES / "encoding" / "melody.mid",
                                        temperature=0, progress=False)
    assert by_time.total_time <= 7.9 + 1.0  # stops at the melody's end (one shift over at most)


def test_cancel_stops_early():
    event = threading.Event()
    event.set()
    model = mt.load(FIXTURES / "unconditional" / "ckpt", num_heads=FIXTURE_HEADS)
    assert len(model.generate_tokens([], 20, cancel=event)) == 0
    calls = iter(range(100))
    ids = model.generate_tokens([], 20, cancel=lambda: next(calls) >= 5)
    assert len(ids) == 5


# ---------------------------------------------------------------------- bad input
def test_bad_generation_arguments_name_the_value(models):
    model = models["unconditional"]
    with pytest.raises(GenerationError, match="primer ids: id 400 is outside"):
        model.generate_tokens([2, 400], 4)
    with pytest.raises(GenerationError, match="temperature must be .* got -1"):
        model.generate_tokens([2], 4, temperature=-1)
    with pytest.raises(GenerationError, match="top_k must be .* got 0"):
        model.generate_tokens([2], 4, top_k=0)
    with pytest.raises(GenerationError, match="num_tokens must be .* got 0"):
        model.generate_tokens([2], 0)
    with pytest.raises(GenerationError, match="unconditional"):
        model.generate(melody=FIXTURES / "encoding" / "melody.mid", progress=False)
    with pytest.raises(GenerationError, match="melody-conditioned model: pass melody"):
        models["melody"].generate(progress=False)
    with pytest.raises(GenerationError, match="end_time must be after"):
        model.generate(FIXTURES / "encoding" / "primer.mid", end_time=1.0, progress=False)


def test_bad_checkpoints_are_refused(tmp_path):
    with pytest.raises(BundleError, match="not a TF checkpoint prefix"):
        mt.load(tmp_path / "missing.ckpt")
    with pytest.raises(BundleError, match="4 heads, num_heads=8 was given"):
        mt.load(FIXTURES / "relative_v2" / "ckpt", num_heads=8)
    with pytest.raises(BundleError, match="not divisible by num_heads=7"):
        mt.load(FIXTURES / "unconditional" / "ckpt", num_heads=7)


def test_recognizes_prefixes_and_folders(tmp_path):
    prefix = FIXTURES / "melody" / "ckpt" / "model.ckpt"
    assert mt.recognizes(prefix) and mt.recognizes(prefix.parent)
    assert mt.recognizes(Path(f"{prefix}.index"))
    (tmp_path / "x.index").write_bytes(b"not a transformer")
    assert not mt.recognizes(tmp_path) and not mt.recognizes(tmp_path / "nothing")


def test_cached_load_does_not_import_tensorflow(models):
    script = textwrap.dedent(f"""
        import sys
        from magwidgets.families import music_transformer as mt
        model = mt.load({str(FIXTURES / 'unconditional' / 'ckpt')!r}, num_heads=4)
        print(model.generate_tokens([2, 3], 3, temperature=0).tolist(),
              "tensorflow" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", script], env=dict(os.environ),
                          capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1].endswith("False")
