"""MusicVAE checkpoints in their other formats: Magenta.js folders written from the fixture
``.tar`` files (float32 identical, 1-/2-byte quantized close), and the ``.tar`` reader's
refusal of archives that could write outside its temporary folder."""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import pytest

import magwidgets as mw
from conftest import note_tuples, read_textproto
from magwidgets.bundles.magentajs import write_magentajs
from magwidgets.families.magentajs_specs import config_json_for
from magwidgets.errors import BundleError
from magwidgets.families.music_vae import MusicVAE, checkpoint
from magwidgets.families.music_vae.checkpoint import load_weights, read_checkpoint_tar

VAE = Path(__file__).parent / "fixtures" / "magenta-oracle" / "vae"
LOCAL = VAE.parent / "vae-local"  # fixtures made here with Magenta (see PROVENANCE.md)
GROOVE = ["groovae_2bar_humanize", "groovae_2bar_tap_fixed_velocity"]
ARGMAX = ["cat-mel_2bar_small", "cat-drums_2bar_small", "hierdec-mel_16bar",
          "hierdec-trio_16bar", "nade-drums_2bar_reduced", "nade-drums_2bar_full"]
CONFIGS = ARGMAX + GROOVE
# How close a quantized folder stays to the float32 one (measured figures in the test)
LATENT_TOLERANCE = {"uint16": 1e-4, "uint8": 3e-2}  # max |mu - mu'|, |sigma - sigma'|
SHARED_NOTES = {"uint16": 0.99, "uint8": 0.8}  # share of decoded notes both play
TEMPERATURE = 1e-7  # the fixtures' decoding temperature: (nearly) argmax


def fixture(config: str, name: str) -> Path:
    shared = VAE / config / name
    return shared if shared.exists() else LOCAL / config / name


def tar(config: str) -> Path:
    return fixture(config, f"{config}.tar")


def inputs(config: str):
    return [read_textproto(fixture(config, f"inputs_{i}.textproto")) for i in (0, 1)]


def outputs(model: MusicVAE, config: str) -> dict:
    """mu and sigma of the fixture inputs, decodes of three seeded random z and the 5-step
    interpolation between the inputs."""
    _, mu, sigma = model.encode(inputs(config), seed=0)
    z = np.random.default_rng(0).standard_normal((3, model.z_size))
    decoded = model.decode(z, temperature=TEMPERATURE, seed=0)
    interpolated = model.interpolate(*inputs(config), 5, temperature=TEMPERATURE, seed=0)
    return {"mu": mu, "sigma": sigma, "sequences": decoded + interpolated}


@pytest.fixture(scope="module")
def reference() -> dict[str, dict]:
    return {c: outputs(MusicVAE.from_checkpoint(tar(c), c), c) for c in CONFIGS}


def export(config: str, folder: Path, quantize: str | None = None) -> Path:
    return write_magentajs(load_weights(tar(config)), config_json_for(config), folder, quantize)


@pytest.mark.parametrize("config", CONFIGS)
def test_float32_magentajs_folder_gives_identical_outputs(reference, config, tmp_path):
    folder = export(config, tmp_path / config)
    model = mw.load_model(folder)  # config.json names the config
    assert isinstance(model, MusicVAE) and model.config.id == config
    got, want = outputs(model, config), reference[config]
    assert np.array_equal(got["mu"], want["mu"]) and np.array_equal(got["sigma"], want["sigma"])
    assert [note_tuples(s) for s in got["sequences"]] == [note_tuples(s) for s in want["sequences"]]
    same = MusicVAE.from_checkpoint(folder, config)  # a folder also loads with its config named
    assert np.array_equal(same.encode(inputs(config))[1], want["mu"])


def test_a_folder_without_encoder_sigma_encodes_to_mu(reference, tmp_path):
    """Magenta.js reads only encoder/mu, so a Magenta.js folder may leave sigma out: such a
    model encodes to z = mu (sigma 0), as Magenta.js does, and decodes as the full one."""
    config = "cat-mel_2bar_small"
    weights = {name: value for name, value in load_weights(tar(config)).items()
               if not name.startswith("encoder/sigma/")}
    model = mw.load_model(write_magentajs(weights, config_json_for(config), tmp_path / "js"))
    z, mu, sigma = model.encode(inputs(config), seed=0)
    want = reference[config]
    assert np.array_equal(mu, want["mu"]) and np.array_equal(z, mu) and not sigma.any()
    got = outputs(model, config)["sequences"]
    assert [note_tuples(s) for s in got] == [note_tuples(s) for s in want["sequences"]]


def hits(sequence) -> dict[tuple, object]:
    """Notes keyed by (pitch, nearest sixteenth, instrument)."""
    step = 60.0 / (sequence.tempos[0].qpm if sequence.tempos else 120.0) / 4
    return {(n.pitch, round(n.start_time / step), n.instrument): n for n in sequence.notes}


def shared_share(got: list, want: list) -> float:
    """The share of notes both decodes play (at the same sixteenth), over all sequences."""
    common = total = 0
    for mine, theirs in zip(got, want):
        mine, theirs = hits(mine), hits(theirs)
        common += len(mine.keys() & theirs.keys())
        total += max(len(mine), len(theirs))
    return common / max(total, 1)


@pytest.mark.parametrize("quantize", ["uint16", "uint8"])
@pytest.mark.parametrize("config", CONFIGS)
def test_quantized_magentajs_folder_stays_close(reference, config, quantize, tmp_path):
    """Measured on the fixtures: uint16 moves mu/sigma by <= 7e-5 and keeps >= 99.8% of
    the notes; uint8 moves them by <= 2.5e-2 and keeps 85-99% (the fixtures' random weights
    make many near-ties that a 1-byte weight tips; 16-bar decodes compound it)."""
    model = mw.load_model(export(config, tmp_path / config, quantize))
    got, want = outputs(model, config), reference[config]
    np.testing.assert_allclose(got["mu"], want["mu"], atol=LATENT_TOLERANCE[quantize])
    np.testing.assert_allclose(got["sigma"], want["sigma"], atol=LATENT_TOLERANCE[quantize])
    assert shared_share(got["sequences"], want["sequences"]) >= SHARED_NOTES[quantize]


@pytest.mark.parametrize("config", GROOVE)
def test_uint16_groove_keeps_timing_and_velocity(reference, config, tmp_path):
    got = outputs(mw.load_model(export(config, tmp_path / config, "uint16")), config)
    for mine, theirs in zip(got["sequences"], reference[config]["sequences"]):
        mine, theirs = hits(mine), hits(theirs)
        assert mine.keys() == theirs.keys()
        assert max(abs(mine[k].start_time - theirs[k].start_time) for k in mine) < 5e-4
        assert max(abs(mine[k].velocity - theirs[k].velocity) for k in mine) <= 1


# .tar safety -------------------------------------------------------------------------------

@pytest.fixture
def sandbox(tmp_path, monkeypatch) -> Path:
    """The process's temporary folder moved under tmp_path, to see what gets written."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    return tmp_path


def checkpoint_members(config: str = "cat-mel_2bar_small") -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(tar(config)) as archive:
        return [(info, archive.extractfile(info).read())
                for info in archive.getmembers() if info.isfile()]


def write_tar(path: Path, extra: list[tarfile.TarInfo], with_checkpoint: bool = True) -> Path:
    """A tar holding the fixture checkpoint (if asked) followed by the ``extra`` members."""
    with tarfile.open(path, "w") as archive:
        for info, data in checkpoint_members() if with_checkpoint else []:
            archive.addfile(info, io.BytesIO(data))
        for info in extra:
            archive.addfile(info, io.BytesIO(b"x" * info.size))
    return path


def assert_nothing_written(sandbox: Path, tar_path: Path) -> None:
    """The temporary folder is gone and no file appeared anywhere else."""
    assert list((sandbox / "tmp").iterdir()) == []
    assert sorted(p for p in sandbox.rglob("*") if p.is_file()) == [tar_path]


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, size: int = 1,
           target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, size if kind == tarfile.REGTYPE else 0, target
    return info


@pytest.mark.parametrize("evil, message", [
    (tar_member("../escape.ckpt.index"), "'../escape.ckpt.index' points outside the archive"),
    (tar_member("cat/../../../escape"), "points outside the archive"),
    (tar_member("/tmp/escape.ckpt.index"), "'/tmp/escape.ckpt.index' points outside the archive"),
    (tar_member("link.ckpt.index", tarfile.SYMTYPE, target="/etc/passwd"),
     "'link.ckpt.index' is not a regular file \\(links and devices are refused\\)"),
    (tar_member("hard.ckpt.index", tarfile.LNKTYPE, target="cat-mel_2bar_small.ckpt.index"),
     "'hard.ckpt.index' is not a regular file"),
    (tar_member("fifo", tarfile.FIFOTYPE), "'fifo' is not a regular file"),
])
def test_tar_members_that_could_escape_are_refused_before_anything_is_written(
        sandbox, evil, message):
    path = write_tar(sandbox / "evil.tar", [evil])
    with pytest.raises(BundleError, match=message):
        read_checkpoint_tar(path)
    with pytest.raises(BundleError, match=message):
        mw.load_model(path, config="cat-mel_2bar_small")
    assert_nothing_written(sandbox, path)


def test_an_oversize_member_is_refused_from_its_header(sandbox):
    """A header claiming more than MAX_MEMBER_BYTES is refused before its data is read."""
    huge = tar_member("model.ckpt.data-00000-of-00001")
    huge.size = checkpoint.MAX_MEMBER_BYTES + 1
    path = sandbox / "huge.tar"
    path.write_bytes(huge.tobuf(tarfile.USTAR_FORMAT))
    with pytest.raises(BundleError, match=r"'model.ckpt.data-00000-of-00001' is too large "
                                          r"\(2147483649 bytes; at most 2147483648\)"):
        read_checkpoint_tar(path)
    assert_nothing_written(sandbox, path)


def test_members_adding_up_past_the_total_limit_are_refused(sandbox, monkeypatch):
    monkeypatch.setattr(checkpoint, "MAX_TOTAL_BYTES", 100_000)
    path = write_tar(sandbox / "big.tar", [])  # the fixture checkpoint: ~260 kB
    with pytest.raises(BundleError, match="members add up to more than 100000 bytes"):
        read_checkpoint_tar(path)
    assert_nothing_written(sandbox, path)


def test_a_truncated_tar_is_a_bundle_error(sandbox):
    path = sandbox / "cut.tar"
    path.write_bytes(tar("cat-mel_2bar_small").read_bytes()[:5000])
    with pytest.raises(BundleError, match="truncated or corrupt"):
        read_checkpoint_tar(path)
    assert_nothing_written(sandbox, path)


def test_a_good_tar_leaves_no_temporary_files(sandbox):
    path = write_tar(sandbox / "good.tar", [])
    weights = read_checkpoint_tar(path)
    assert "encoder/mu/kernel" in weights
    assert_nothing_written(sandbox, path)


# unpacked TF checkpoints --------------------------------------------------------------------

def unpack(config: str, folder: Path) -> Path:
    """The fixture tar's checkpoint files, written into ``folder``; returns its prefix."""
    folder.mkdir()
    for info, data in checkpoint_members(config):
        (folder / Path(info.name).name).write_bytes(data)
    return folder / Path(next(f for f in folder.iterdir() if f.suffix == ".index").stem)


def test_an_unpacked_checkpoint_loads_as_folder_and_as_prefix(reference, tmp_path):
    config = "cat-mel_2bar_small"
    prefix = unpack(config, tmp_path / "ckpt")
    for path in (prefix.parent, prefix):
        model = mw.load_model(path, config=config)
        assert np.array_equal(model.encode(inputs(config), seed=0)[1], reference[config]["mu"])


def test_a_folder_of_several_checkpoints_needs_its_state_file(tmp_path):
    prefix = unpack("cat-mel_2bar_small", tmp_path / "run")
    for file in list(prefix.parent.iterdir()):
        file.with_name(file.name.replace(prefix.name, "model.ckpt-200")).write_bytes(
            file.read_bytes())
    with pytest.raises(BundleError, match=r"one TF checkpoint .* \(found .index files: "
                                          r"cat-mel_2bar_small.ckpt.index, model.ckpt-200.index"):
        load_weights(prefix.parent)
    (prefix.parent / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-200"\n'
                                              'all_model_checkpoint_paths: "model.ckpt-200"\n')
    assert "encoder/mu/kernel" in load_weights(prefix.parent)
