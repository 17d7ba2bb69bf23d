"""Reading Magenta ``.mag`` generator bundles (note-seq's ``GeneratorBundle`` protobuf).

A bundle holds the generator id (which Magenta config made it), descriptions, a TF1 V1
checkpoint and the TF metagraph. Parsing the protobuf needs no TensorFlow.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from google.protobuf.message import DecodeError
from note_seq.protobuf import generator_pb2

from magwidgets.errors import BundleError

# Leading bytes of files people commonly pass by mistake, and what they are.
_KNOWN_MAGIC = {
    b"MThd": "a MIDI file, not a model",
    b"PK\x03\x04": "a zip archive, not a .mag bundle",
    b"\x1f\x8b": "a gzip archive, not a .mag bundle (MusicVAE checkpoints come as .tar files)",
}
_TAR_MAGIC_OFFSET = 257  # "ustar" sits here in every POSIX tar header


@dataclass(frozen=True)
class Bundle:
    """The parts of a ``.mag`` file that magwidgets uses."""

    path: Path
    generator_id: str
    description: str
    bundle_description: str
    checkpoint: bytes
    metagraph: bytes
    sha256: str


def _describe_wrong_format(data: bytes) -> str | None:
    for magic, what in _KNOWN_MAGIC.items():
        if data.startswith(magic):
            return what
    if data[_TAR_MAGIC_OFFSET:_TAR_MAGIC_OFFSET + 5] == b"ustar":
        return ("a tar archive, not a .mag bundle; for a MusicVAE checkpoint name its config, "
                "e.g. load_model(path, config='cat-mel_2bar_small')")
    return None


def read_bundle(path: str | Path) -> Bundle:
    """Parse a ``.mag`` file.

    Raises:
        BundleError: the file is missing, empty, not a bundle, truncated, or lacks a
            checkpoint, a metagraph or a generator id.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise BundleError(f"{path}: no such file") from err
    except IsADirectoryError as err:
        raise BundleError(f"{path}: is a folder, expected a .mag bundle file") from err
    if not data:
        raise BundleError(f"{path}: the file is empty, expected a .mag bundle")
    wrong = _describe_wrong_format(data)
    if wrong:
        raise BundleError(f"{path}: this is {wrong}")

    message = generator_pb2.GeneratorBundle()
    try:
        message.ParseFromString(data)
    except DecodeError as err:
        raise BundleError(
            f"{path}: not a Magenta .mag bundle, or a truncated one ({err})"
        ) from err
    if not message.generator_details.id:
        raise BundleError(f"{path}: not a Magenta .mag bundle (no generator id inside)")
    if not message.checkpoint_file or not message.checkpoint_file[0]:
        raise BundleError(f"{path}: the bundle holds no checkpoint; the file may be truncated")
    if not message.metagraph_file:
        raise BundleError(f"{path}: the bundle holds no metagraph; the file may be truncated")
    return Bundle(
        path=path,
        generator_id=message.generator_details.id,
        description=message.generator_details.description,
        bundle_description=message.bundle_details.description,
        checkpoint=message.checkpoint_file[0],
        metagraph=message.metagraph_file,
        sha256=hashlib.sha256(data).hexdigest(),
    )
