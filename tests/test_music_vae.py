"""MusicVAE and GrooVAE against Magenta's own encode / decode / interpolate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
from note_seq.protobuf import music_pb2

from conftest import note_tuples, read_textproto
from magwidgets.errors import BundleError, GenerationError, PrimerError
from magwidgets.families.music_vae import MusicVAE
from magwidgets.loading import load_model

VAE = Path(__file__).parent / "fixtures" / "magenta-oracle" / "vae"
LOCAL = VAE.parent / "vae-local"  # references made here with Magenta (see PROVENANCE.md)
CATEGORICAL = ["cat-mel_2bar_small", "cat-drums_2bar_small"]
GROOVE = ["groovae_2bar_humanize", "groovae_2bar_tap_fixed_velocity"]
HIERARCHICAL = ["hierdec-mel_16bar", "hierdec-trio_16bar"]
NADE = ["nade-drums_2bar_reduced", "nade-drums_2bar_full"]
CONFIGS = CATEGORICAL + GROOVE + HIERARCHICAL + NADE
TIME_TOLERANCE = 1e-6  # seconds; GrooVAE's offsets put notes between steps


def fixture(config: str, name: str) -> Path:
    """A config's fixture file, from the shared oracle copy or else from ``vae-local``."""
    shared = VAE / config / name
    return shared if shared.exists() else LOCAL / config / name


def meta(config: str) -> dict:
    """The config's meta.json, the ``vae-local`` one extending the shared one."""
    found = [json.loads((root / config / "meta.json").read_text())
             for root in (VAE, LOCAL) if (root / config / "meta.json").exists()]
    return {key: value for part in found for key, value in part.items()}


def ref(config: str) -> dict[str, np.ndarray]:
    return {key: value for root in (VAE, LOCAL) if (root / config / "ref.npz").exists()
            for key, value in np.load(root / config / "ref.npz").items()}


def inputs(config: str) -> list[music_pb2.NoteSequence]:
    return [read_textproto(fixture(config, f"inputs_{i}.textproto")) for i in (0, 1)]


ENCODED = [c for c in CONFIGS if "mu" in ref(c)]
DECODED = [c for c in CONFIGS if "stable_decode" in meta(c)]


@pytest.fixture(scope="module")
def vaes() -> dict[str, MusicVAE]:
    return {c: MusicVAE.from_checkpoint(fixture(c, f"{c}.tar"), c) for c in CONFIGS}


def assert_same(generated: music_pb2.NoteSequence, expected: music_pb2.NoteSequence) -> None:
    """Same notes (pitch, velocity, is_drum, instrument, program exactly; times to
    TIME_TOLERANCE) and tempo."""
    got, want = note_tuples(generated), note_tuples(expected)
    assert [(n[0], n[1], n[4]) for n in got] == [(n[0], n[1], n[4]) for n in want]
    def parts(sequence):
        return sorted((n.pitch, round(n.start_time, 4), n.instrument, n.program)
                      for n in sequence.notes)

    assert parts(generated) == parts(expected)
    np.testing.assert_allclose([n[2:4] for n in got], [n[2:4] for n in want],
                               atol=TIME_TOLERANCE)
    assert [t.qpm for t in generated.tempos] == [t.qpm for t in expected.tempos]


@pytest.mark.parametrize("config", ENCODED)
def test_encode_matches_magenta(vaes, config):
    expected = ref(config)
    z, mu, sigma = vaes[config].encode(inputs(config), seed=0)
    np.testing.assert_allclose(mu, expected["mu"], atol=1e-4)
    np.testing.assert_allclose(sigma, expected["sigma"], atol=1e-4)
    assert z.shape == mu.shape == (2, meta(config)["hparams"]["z_size"])


@pytest.mark.parametrize("config", DECODED)
def test_decode_matches_magenta(vaes, config):
    info, z = meta(config), ref(config)["z"]
    decoded = vaes[config].decode(z, info["length"], info["temperature"], seed=0)
    assert len(decoded) == len(z)
    for i in info["stable_decode"]:
        assert_same(decoded[i], read_textproto(fixture(config, f"decoded_{i}.textproto")))


@pytest.mark.parametrize("config", ENCODED)
def test_interpolate_matches_magenta(vaes, config):
    info = meta(config)
    steps = info["interpolate"]["num_steps"]
    result = vaes[config].interpolate(*inputs(config), steps, info["length"],
                                      info["temperature"], seed=0)
    assert len(result) == steps
    for i in info["stable_interp"]:
        assert_same(result[i], read_textproto(fixture(config, f"interp_{i}.textproto")))


@pytest.mark.parametrize("config", CATEGORICAL + HIERARCHICAL + NADE)
def test_sample_is_seeded(vaes, config):
    first = vaes[config].sample(3, temperature=0.5, seed=7)
    again = vaes[config].sample(3, temperature=0.5, seed=7)
    assert [note_tuples(s) for s in first] == [note_tuples(s) for s in again]
    assert [note_tuples(s) for s in first] != [note_tuples(s) for s in
                                               vaes[config].sample(3, temperature=0.5, seed=8)]
    same = vaes[config].sample(2, temperature=1e-7, same_z=True, seed=1)
    assert note_tuples(same[0]) == note_tuples(same[1])
    seconds = meta(config)["length"] * 0.125  # steps of a 16th at 120 qpm
    assert all(s.total_time <= seconds + 1e-9 for s in first)


def test_unknown_config_is_a_bundle_error():
    with pytest.raises(BundleError, match="not supported.*cat-mel_2bar_small"):
        MusicVAE.from_checkpoint(fixture(CONFIGS[0], f"{CONFIGS[0]}.tar"),
                                 "hier-multiperf_vel_1bar_med")


def test_a_tar_without_a_checkpoint_is_a_bundle_error(tmp_path):
    bogus = tmp_path / "bogus.tar"
    note = tmp_path / "readme.txt"
    note.write_text("hello")
    with tarfile.open(bogus, "w") as tar:
        tar.add(note, arcname="readme.txt")
    with pytest.raises(BundleError, match="not a MusicVAE checkpoint"):
        MusicVAE.from_checkpoint(bogus, "cat-mel_2bar_small")
    not_a_tar = tmp_path / "x.tar"
    not_a_tar.write_bytes(b"nothing here")
    with pytest.raises(BundleError, match="not a MusicVAE checkpoint"):
        MusicVAE.from_checkpoint(not_a_tar, "cat-mel_2bar_small")


def test_a_tar_with_a_path_traversal_is_refused(tmp_path):
    evil = tmp_path / "evil.tar"
    payload = tmp_path / "payload"
    payload.write_text("x")
    with tarfile.open(evil, "w") as tar:
        tar.add(payload, arcname="../escape.ckpt.index")
    with pytest.raises(BundleError, match="outside the archive"):
        MusicVAE.from_checkpoint(evil, "cat-drums_2bar_small")


def test_weights_of_another_config_are_refused():
    with pytest.raises(BundleError, match="do not fit config 'cat-drums_2bar_small'"):
        MusicVAE.from_checkpoint(fixture("cat-mel_2bar_small", "cat-mel_2bar_small.tar"),
                                 "cat-drums_2bar_small")


def test_input_without_a_2bar_example_says_why(vaes):
    one_bar = music_pb2.NoteSequence()
    one_bar.tempos.add(qpm=120)
    one_bar.notes.add(pitch=60, velocity=80, start_time=0.0, end_time=0.5)
    one_bar.total_time = 0.5
    with pytest.raises(PrimerError, match="no 2-bar example.*melody of at least 2 bars"):
        vaes["cat-mel_2bar_small"].encode([one_bar])
    with pytest.raises(PrimerError, match="no drum notes"):
        vaes["cat-drums_2bar_small"].encode([one_bar])
    with pytest.raises(PrimerError, match="only drum notes"):
        vaes["cat-mel_2bar_small"].encode(inputs("cat-drums_2bar_small")[:1])


def test_bad_generation_arguments(vaes):
    model = vaes["cat-mel_2bar_small"]
    with pytest.raises(GenerationError, match="temperature"):
        model.sample(1, temperature=0)
    with pytest.raises(GenerationError, match=r"z must be \[n, 16\]"):
        model.decode(np.zeros((1, 3)))


def test_cached_vae_decodes_without_importing_tensorflow(tmp_path):
    config = "cat-drums_2bar_small"
    path = fixture(config, f"{config}.tar")
    env = {**os.environ, "MAGWIDGETS_CACHE": str(tmp_path)}
    script = textwrap.dedent(f"""
        import sys
        from magwidgets.families.music_vae import MusicVAE
        model = MusicVAE.from_checkpoint({str(path)!r}, {config!r})
        sequence = model.sample(1, temperature=1e-7, seed=0)[0]
        print(len(sequence.notes), "tensorflow" in sys.modules)
    """)

    def run() -> list[str]:
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                              text=True, check=True)
        return done.stdout.splitlines()[-1].split()

    converted_notes, converted_imported = run()
    assert converted_imported == "True"
    notes, imported = run()
    assert imported == "False"
    assert notes == converted_notes


def test_load_model_takes_a_musicvae_checkpoint_with_its_config():
    import magwidgets as mw

    tar = VAE / "cat-mel_2bar_small" / "cat-mel_2bar_small.tar"
    assert isinstance(mw.load_model(tar, config="cat-mel_2bar_small"), mw.MusicVAE)
    with pytest.raises(mw.BundleError, match="for a MusicVAE checkpoint name its config"):
        mw.load_model(tar)


@pytest.mark.parametrize("temperature", [float("inf"), float("nan"), 0.0, "0.5", None])
def test_vae_temperature_is_checked_like_every_number(temperature):
    vae = load_model("starter:mel_2bar")
    with pytest.raises(GenerationError, match="temperature must be a number >= 1e-09"):
        vae.sample(1, temperature=temperature, seed=0)
