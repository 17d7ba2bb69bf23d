"""The public API surface and the command line."""

from __future__ import annotations

import note_seq

import magwidgets as mw
from magwidgets.cli import main
from conftest import ORACLE, bundle_path


def test_public_names_are_pinned():
    assert sorted(mw.__all__) == sorted([
        "CONFIGS", "BundleError", "DrumsRNN", "EventRNN", "GenerationError", "Generation", "ImprovRNN",
        "MagwidgetsError", "MelodyRNN", "MusicVAE", "PianoRoll", "Player", "PolyphonyRNN", "PrimerError", "RenderError",
        "SequenceView", "SynthesisError", "Waveform", "find_soundfont", "load_model",
        "pianoroll", "show", "synthesize", "to_note_sequence",
        "DrumsRNNWidget", "MelodyRNNWidget", "PolyphonyRNNWidget", "PerformanceRNNWidget",
        "ImprovRNNWidget", "MusicVAEWidget", "GrooVAEWidget", "hub", "starter_models", "FAMILIES",
        "OnsetsAndFrames", "TranscriptionWidget", "GANSynth", "GANSynthWidget",
        "MusicTransformer", "NSynth",
    ])


def test_load_model_picks_the_family_from_the_generator_id(models):
    assert isinstance(models["drum_kit"], mw.DrumsRNN)
    assert isinstance(models["attention_rnn"], mw.MelodyRNN)
    assert isinstance(models["polyphony"], mw.PolyphonyRNN)
    assert models["attention_rnn"].network.attention.length == 8  # read from the metagraph
    assert models["drum_kit"].config.steps_per_quarter == 4
    assert models["one_drum"].config.steps_per_quarter == 2
    assert "attention=8" in repr(models["drum_kit"])


def test_every_error_is_a_value_error():
    for error in (mw.BundleError, mw.PrimerError, mw.GenerationError, mw.RenderError,
                  mw.SynthesisError):
        assert issubclass(error, mw.MagwidgetsError) and issubclass(error, ValueError)


def test_cli_info_and_generate(tmp_path, capsys):
    assert main(["info", str(bundle_path("drum_kit"))]) == 0
    assert "attention:   length 8" in capsys.readouterr().out
    out = tmp_path / "drums.mid"
    arguments = ["generate", str(bundle_path("drum_kit")), "--primer",
                 str(ORACLE / "drum_kit" / "primer.mid"), "--steps", "32", "--seed", "3",
                 "--out", str(out)]
    assert main(arguments) == 0
    written = note_seq.midi_file_to_note_sequence(str(out))
    assert written.notes and all(n.is_drum for n in written.notes)
    before = out.read_bytes()
    assert main(arguments) == 2  # never overwrites without --force
    assert "exists; pass --force" in capsys.readouterr().err
    assert out.read_bytes() == before


def test_cli_reports_bad_files_without_a_traceback(tmp_path, capsys):
    assert main(["info", str(tmp_path / "missing.mag")]) == 2
    assert capsys.readouterr().err.startswith("magwidgets: error: ")
