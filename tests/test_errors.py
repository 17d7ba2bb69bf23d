"""Bad input gets a specific error naming the file or argument, before any work starts."""

from __future__ import annotations

import time

import pytest
from note_seq.protobuf import generator_pb2, music_pb2

import magwidgets as mw
from conftest import ORACLE, bundle_path, read_textproto


def _rewrite_bundle(tmp_path, config: str, **changes) -> str:
    bundle = generator_pb2.GeneratorBundle()
    bundle.ParseFromString(bundle_path(config).read_bytes())
    if "generator_id" in changes:
        bundle.generator_details.id = changes["generator_id"]
    if "checkpoint" in changes:
        bundle.checkpoint_file[0] = changes["checkpoint"]
    path = tmp_path / "edited.mag"
    path.write_bytes(bundle.SerializeToString())
    return str(path)


def test_a_file_that_is_not_a_bundle(tmp_path):
    text = tmp_path / "notes.mag"
    text.write_text("this is not a model\n" * 20)
    with pytest.raises(mw.BundleError, match="notes.mag: not a Magenta .mag bundle"):
        mw.load_model(text)


def test_a_midi_file_passed_as_a_model():
    with pytest.raises(mw.BundleError, match="primer.mid: this is a MIDI file, not a model"):
        mw.load_model(ORACLE / "drum_kit" / "primer.mid")


def test_a_missing_file(tmp_path):
    with pytest.raises(mw.BundleError, match="nothing.mag: no such file"):
        mw.load_model(tmp_path / "nothing.mag")


@pytest.mark.parametrize("fraction", [0.5, 0.9, 0.999])
def test_a_truncated_bundle(tmp_path, fraction):
    data = bundle_path("basic_rnn").read_bytes()
    path = tmp_path / "cut.mag"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(mw.BundleError, match="cut.mag: .*truncated"):
        mw.load_model(path)


def test_an_unknown_model_family_names_the_generator_id(tmp_path):
    path = _rewrite_bundle(tmp_path, "basic_rnn", generator_id="pianoroll_rnn_nade")
    with pytest.raises(mw.BundleError, match="generator id 'pianoroll_rnn_nade'"):
        mw.load_model(path)


def test_a_corrupt_checkpoint_inside_a_valid_bundle(tmp_path):
    path = _rewrite_bundle(tmp_path, "basic_rnn", checkpoint=b"\x00garbage" * 100)
    with pytest.raises(mw.BundleError, match="edited.mag: the checkpoint inside the bundle cannot be read"):
        mw.load_model(path)


def test_weights_that_do_not_fit_the_config(tmp_path):
    path = _rewrite_bundle(tmp_path, "basic_rnn", generator_id="mono_rnn")
    with pytest.raises(mw.BundleError, match="takes 38 inputs and predicts 38 classes, but config 'mono_rnn'"):
        mw.load_model(path)


def _chord_primer() -> music_pb2.NoteSequence:
    primer = music_pb2.NoteSequence()
    primer.tempos.add(qpm=120)
    for pitch in (60, 64, 67):
        primer.notes.add(pitch=pitch, velocity=80, start_time=0.5, end_time=1.0)
    primer.total_time = 1.0
    return primer


def test_a_polyphonic_primer_for_a_melody_model(models):
    with pytest.raises(mw.PrimerError, match="polyphonic: 3 notes start together at 0.500 s"):
        models["basic_rnn"].generate(_chord_primer(), steps=8)


def test_a_melody_primer_on_several_instruments(models):
    primer = read_textproto(ORACLE / "basic_rnn" / "primer.textproto")
    primer.notes[0].instrument = 3
    with pytest.raises(mw.PrimerError, match="notes on 2 instruments"):
        models["basic_rnn"].generate(primer, steps=8)


def test_a_primer_longer_than_the_requested_section(models):
    primer = read_textproto(ORACLE / "basic_rnn" / "primer.textproto")  # ends at 2.0 s
    with pytest.raises(mw.PrimerError, match="ends at 2.000 s, after the requested start_time 1.000 s"):
        models["basic_rnn"].generate(primer, start_time=1.0, end_time=4.0)


def test_an_end_time_before_the_start(models):
    with pytest.raises(mw.GenerationError, match=r"end_time \(1.5 s\) must be after start_time \(3.000 s\)"):
        models["drum_kit"].generate(start_time=3.0, end_time=1.5)


@pytest.mark.parametrize("temperature", [0, -1.0, float("nan")])
def test_a_temperature_that_is_not_positive(models, temperature):
    with pytest.raises(mw.GenerationError, match="temperature must be a number >= 1e-06"):
        models["drum_kit"].generate(steps=4, temperature=temperature)


@pytest.mark.parametrize("arguments, message", [
    (dict(steps=10**7), "steps must be an integer from 1 to 32768"),
    (dict(end_time=10.0**7), "asked for .* steps; the limit is 32768"),
    (dict(steps=8, beam_size=10**6), "beam_size must be an integer from 1 to 1024"),
    (dict(steps=8, beam_size=64, branch_factor=64), "beam_size \\* branch_factor = 4096"),
    (dict(steps=8, steps_per_iteration=0), "steps_per_iteration must be an integer"),
    (dict(steps=8, end_time=4.0), "either end_time or steps, not both"),
    (dict(steps=8, qpm=0), "qpm must be a number from 1 to 1000"),
])
def test_absurd_sizes_are_refused_before_any_work(models, arguments, message):
    began = time.perf_counter()
    with pytest.raises(mw.GenerationError, match=message):
        models["drum_kit"].generate(**arguments)
    assert time.perf_counter() - began < 1.0  # refused up front, not after generating


def test_a_qpm_that_contradicts_the_primer(models):
    primer = read_textproto(ORACLE / "drum_kit" / "primer.textproto")
    with pytest.raises(mw.GenerationError, match="differs from the primer's tempo"):
        models["drum_kit"].generate(primer, steps=8, qpm=100)


def test_a_primer_with_tempo_changes(models):
    primer = read_textproto(ORACLE / "drum_kit" / "primer.textproto")
    primer.tempos.add(time=0.5, qpm=90)
    with pytest.raises(mw.PrimerError, match="cannot be quantized"):
        models["drum_kit"].generate(primer, steps=8)


def test_a_non_four_four_primer_warns(models):
    primer = read_textproto(ORACLE / "basic_rnn" / "primer.textproto")
    primer.time_signatures.add(numerator=3, denominator=4)
    with pytest.warns(UserWarning, match="primer is in 3/4; Magenta's models were trained in 4/4"):
        models["basic_rnn"].generate(primer, steps=8)


def test_missing_and_unsupported_primer_files(models, tmp_path):
    with pytest.raises(mw.PrimerError, match="absent.mid: no such file"):
        models["drum_kit"].generate(tmp_path / "absent.mid", steps=4)
    other = tmp_path / "primer.wav"
    other.write_bytes(b"RIFF")
    with pytest.raises(mw.PrimerError, match="unsupported file type '.wav'"):
        models["drum_kit"].generate(other, steps=4)
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd" + b"\x00" * 10)
    with pytest.raises(mw.PrimerError, match="broken.mid: not a readable MIDI file"):
        models["drum_kit"].generate(broken, steps=4)
    with pytest.raises(mw.PrimerError, match="got int"):
        models["drum_kit"].generate(42, steps=4)


def test_predict_proba_checks_the_input_shape(models):
    with pytest.raises(mw.GenerationError, match=r"shape \[batch, time, 518\] for drum_kit, got \[2, 3, 7\]"):
        models["drum_kit"].predict_proba(__import__("numpy").zeros((2, 3, 7)))


@pytest.mark.parametrize("options, message", [
    (dict(temprature=1.2), "takes no option 'temprature'; did you mean 'temperature'"),
    (dict(seed=-1), "seed must be an integer from 0 to"),
    (dict(seed="abc"), "seed must be an integer"),
    (dict(temperature="1.0"), "temperature must be a number"),
    (dict(temperature=None), "temperature must be a number"),
    (dict(temperature=1e-300), "temperature must be a number >= 1e-06"),
    (dict(temperature=float("inf")), "temperature must be a number"),
])
def test_generation_options_are_checked_by_name(models, options, message):
    with pytest.raises(mw.GenerationError, match=message):
        models["basic_rnn"].generate(steps=4, **options)


def test_family_options_are_typed_keywords(models):
    assert models["polyphony"].family_options() == ("condition_on_primer",
                                                    "inject_primer_during_generation")
    assert models["chord_pitches_improv"].family_options() == ("chords",)
    assert models["drum_kit"].family_options() == ()
    with pytest.raises(mw.GenerationError, match="did you mean 'chords'"):
        models["chord_pitches_improv"].generate(steps=4, chord=["C"])
