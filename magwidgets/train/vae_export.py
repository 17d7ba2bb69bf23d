"""A trained Keras MusicVAE (``magwidgets.train.vae``) as Magenta's files.

``magenta_variables`` renames and reshapes the weights to the TF1 variables Magenta's graph
has (``encoder/cell_0/bidirectional_rnn/fw/multi_rnn_cell/cell_0/lstm_cell/kernel``, ...,
``decoder/output_projection/bias``, ``global_step``): Keras' LSTM becomes TF1's
``LSTMBlockCell`` by stacking kernel over recurrent kernel, reordering the gates from Keras'
i, f, c, o to TF1's i, j, f, o and taking the cell's built-in forget bias of 1 out of the
bias. ``export_tar`` writes them as a TF1 V2 checkpoint packed in a ``.tar`` like Magenta's
released ones (``<name>.ckpt.index`` + ``<name>.ckpt.data-00000-of-00001``), which
``magwidgets.load_model(tar, config=...)`` and Magenta 2.1.4's ``TrainedModel`` (with the
sizes as hparams) both load. ``export_magentajs`` writes a Magenta.js folder.
"""

from __future__ import annotations

import io
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import keras
import numpy as np

from magwidgets.bundles.magentajs import write_magentajs
from magwidgets.errors import MagwidgetsError
from magwidgets.families.magentajs_specs import config_json_for
from magwidgets.train.loop import RunFolder
from magwidgets.train.rnn import keras_lstm_as_tf1
from magwidgets.train.vae import VaeSpec, decoder_layer_name, encoder_layer_names

_ENCODER = "encoder/cell_{}/bidirectional_rnn/{}/multi_rnn_cell/cell_0/lstm_cell/"
_DECODER = "decoder/multi_rnn_cell/cell_{}/lstm_cell/"
GLOBAL_STEP = "global_step"


def magenta_variables(model: keras.Model, spec: VaeSpec, global_step: int
                      ) -> dict[str, np.ndarray]:
    """The network's weights under Magenta's TF1 names (``global_step`` included, int64)."""
    variables: dict[str, np.ndarray] = {}

    def put(prefix: str, pair) -> None:
        variables[prefix + "kernel"], variables[prefix + "bias"] = (
            np.asarray(w, np.float32) for w in pair)

    for index in range(len(spec.enc_rnn_size)):
        for direction, name in zip(("fw", "bw"), encoder_layer_names(index)):
            put(_ENCODER.format(index, direction), keras_lstm_as_tf1(model.get_layer(name)))
    for dense, name in (("mu", "encoder/mu/"), ("sigma", "encoder/sigma/"),
                        ("z_to_initial_state", "decoder/z_to_initial_state/"),
                        ("output_projection", "decoder/output_projection/")):
        put(name, model.get_layer(dense).get_weights())
    for index in range(len(spec.dec_rnn_size)):
        put(_DECODER.format(index), keras_lstm_as_tf1(model.get_layer(decoder_layer_name(index))))
    variables[GLOBAL_STEP] = np.asarray(global_step, np.int64)
    return variables


def write_checkpoint_tar(variables: dict[str, np.ndarray], path: str | Path,
                         name: str) -> Path:
    """Save ``variables`` as a TF1 V2 checkpoint ``<name>.ckpt`` and pack its index and data
    files into the tar ``path`` (no folders, as Magenta's released tars)."""
    import tensorflow as tf

    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="magwidgets-vae-") as folder:
        prefix = str(Path(folder, f"{name}.ckpt"))
        names = list(variables)
        tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names,
                          shape_and_slices=[""] * len(names),
                          tensors=[tf.constant(variables[n]) for n in names])
        files = sorted(Path(folder).glob(f"{name}.ckpt.*"))
        path.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(path, "w") as tar:
            for file in files:
                data = file.read_bytes()
                info = tarfile.TarInfo(file.name)
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    return path


def trained_run(run_dir: str | Path) -> tuple[keras.Model, VaeSpec, dict[str, Any]]:
    """The best checkpoint of a MusicVAE run, its spec and record (importing
    ``magwidgets.train.vae`` above registers its custom layers for loading)."""
    run = RunFolder(Path(run_dir))
    record = run.read_record()
    if record.get("family") != "music_vae":
        raise MagwidgetsError(f"{run.path}: not a MusicVAE run (family "
                              f"{record.get('family')!r})")
    return run.best_model(), VaeSpec.from_dict(record["network"]), record


def run_variables(run_dir: str | Path) -> tuple[dict[str, np.ndarray], VaeSpec]:
    """The best checkpoint's weights under Magenta's names, and the run's spec."""
    model, spec, record = trained_run(run_dir)
    best = record["epochs"][record["best_epoch"] - 1]
    return magenta_variables(model, spec, best["steps"]), spec


def export_tar(run_dir: str | Path, out: str | Path) -> Path:
    """The run's best weights as a Magenta MusicVAE checkpoint ``.tar`` at ``out``."""
    variables, spec = run_variables(run_dir)
    return write_checkpoint_tar(variables, out, spec.config_id)


def export_magentajs(run_dir: str | Path, out: str | Path, quantize: str | None = None,
                     overwrite: bool = False) -> Path:
    """The run's best weights as a Magenta.js checkpoint folder (``config.json`` names the
    config and its data converter); ``quantize`` "uint8"/"uint16" as Magenta.js's
    converter. Magenta.js has no use for ``global_step``, which is left out."""
    variables, spec = run_variables(run_dir)
    del variables[GLOBAL_STEP]
    return write_magentajs(variables, config_json_for(spec.config_id), out, quantize,
                           overwrite=overwrite)
