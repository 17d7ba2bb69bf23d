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
from magwidgets.bundles.magentajs import config_json_for, write_magentajs
from magwidgets.errors import BundleError
from magwidgets.models.music_vae import MusicVAE, checkpoint
from magwidgets.models.music_vae.checkpoint import load_weights, read_checkpoint_tar

VAE = Path(__file__).parent / "fixtures" / "magenta-oracle" / "vae"
CATEGORICAL = ["cat-mel_2bar_small", "cat-drums_2bar_small"]
GROOVE = ["groovae_2bar_humanize", "groovae_2bar_tap_fixed_velocity"]
# How far quantized weights move the encoder's mu and sigma on the fixture models
# (measured: uint16 <= 2e-5, uint8 <= 4e-3).
LATENT_TOLERANCE = {"uint16": 1e-4, "uint8": 1e-2}


def tar(config: str) -> Path:
    return VAE / config / f"{config}.tar"


def inputs(config: str):
    return [read_textproto(VAE / config / f"inputs_{i}.textproto") for i in (0, 1)]


def outputs(model: MusicVAE, config: str) -> dict:
    """mu and sigma of the fixture inputs, their decodes of ref.npz's z and the 5-step
    interpolation, at the fixture's temperature."""
    meta = json.loads((VAE / config / "meta.json").read_text())
    _, mu, sigma = model.encode(inputs(config), seed=0)
    z = np.load(VAE / config / "ref.npz")["z"]
    decoded = model.decode(z, meta["length"], meta["temperature"], seed=0)
    interpolated = model.interpolate(*inputs(config), 5, meta["length"], meta["temperature"],
                                     seed=0)
    return {"mu": mu, "sigma": sigma, "sequences": decoded + interpolated}


@pytest.fixture(scope="module")
def reference() -> dict[str, dict]:
    return {c: outputs(MusicVAE.from_checkpoint(tar(c), c), c) for c in CATEGORICAL + GROOVE}


def export(config: str, folder: Path, quantize: str | None = None) -> Path:
    return write_magentajs(load_weights(tar(config)), config_json_for(config), folder, quantize)


@pytest.mark.parametrize("config", CATEGORICAL + GROOVE)
def test_float32_magentajs_folder_gives_identical_outputs(reference, config, tmp_path):
    folder = export(config, tmp_path / config)
    model = mw.load_model(folder)  # config.json names the config
    assert isinstance(model, MusicVAE) and model.config.name == config
    got, want = outputs(model, config), reference[config]
    assert np.array_equal(got["mu"], want["mu"]) and np.array_equal(got["sigma"], want["sigma"])
    assert [note_tuples(s) for s in got["sequences"]] == [note_tuples(s) for s in want["sequences"]]
    same = MusicVAE.from_checkpoint(folder, config)  # a folder also loads with its config named
    assert np.array_equal(same.encode(inputs(config))[1], want["mu"])


@pytest.mark.parametrize("quantize", ["uint16", "uint8"])
@pytest.mark.parametrize("config", CATEGORICAL + GROOVE)
def test_quantized_magentajs_folder_gives_close_latents(reference, config, quantize, tmp_path):
    model = mw.load_model(export(config, tmp_path / config, quantize))
    got, want = outputs(model, config), reference[config]
    np.testing.assert_allclose(got["mu"], want["mu"], atol=LATENT_TOLERANCE[quantize])
    np.testing.assert_allclose(got["sigma"], want["sigma"], atol=LATENT_TOLERANCE[quantize])
    assert len(got["sequences"]) == len(want["sequences"])


@pytest.mark.parametrize("config", CATEGORICAL)
def test_uint16_categorical_decodes_note_for_note(reference, config, tmp_path):
    got = outputs(mw.load_model(export(config, tmp_path / config, "uint16")), config)
    want = reference[config]
    assert [note_tuples(s) for s in got["sequences"]] == [note_tuples(s) for s in want["sequences"]]


@pytest.mark.parametrize("config", GROOVE)
def test_uint16_groove_keeps_every_hit_with_timing_within_100_microseconds(reference, config,
                                                                          tmp_path):
    got = outputs(mw.load_model(export(config, tmp_path / config, "uint16")), config)
    for mine, theirs in zip(got["sequences"], reference[config]["sequences"]):
        mine, theirs = (sorted(s.notes, key=lambda n: (n.pitch, n.start_time))
                        for s in (mine, theirs))
        assert [n.pitch for n in mine] == [n.pitch for n in theirs]
        assert max(abs(a.start_time - b.start_time) for a, b in zip(mine, theirs)) < 1e-4
        assert max(abs(a.velocity - b.velocity) for a, b in zip(mine, theirs)) <= 1


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
