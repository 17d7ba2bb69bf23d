"""Building Magenta ``.mag`` bundles for tests: real TF1 V1 checkpoints under chosen names.

Everything here goes through TensorFlow's own checkpoint writer and reader, so a bundle made
by these helpers is as close to a bundle Magenta wrote as the variable names allow.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from note_seq.protobuf import generator_pb2

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _tf():
    import tensorflow as tf

    return tf


def read_bundle_message(path: Path) -> generator_pb2.GeneratorBundle:
    message = generator_pb2.GeneratorBundle()
    message.ParseFromString(Path(path).read_bytes())
    return message


def read_checkpoint_variables(checkpoint: bytes, folder: Path) -> dict[str, np.ndarray]:
    """Every variable of a V1 checkpoint given as the bytes of its single file."""
    folder.mkdir(parents=True, exist_ok=True)
    prefix = folder / "read.ckpt"
    prefix.write_bytes(checkpoint)
    reader = _tf().compat.v1.train.NewCheckpointReader(str(prefix))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def write_v1_checkpoint(variables: dict[str, np.ndarray], folder: Path) -> bytes:
    """Save ``variables`` (name -> value) with a TF1 V1 Saver; the bytes of its one file."""
    tf = _tf()
    folder.mkdir(parents=True, exist_ok=True)
    prefix = folder / "model.ckpt"
    graph = tf.compat.v1.Graph()
    with graph.as_default():
        for name, value in variables.items():
            tf.compat.v1.get_variable(name, initializer=np.asarray(value))
        saver = tf.compat.v1.train.Saver(write_version=tf.compat.v1.train.SaverDef.V1)
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            saved = saver.save(session, str(prefix), write_meta_graph=False, write_state=False)
    # The V1 format is one file, exactly at the prefix (V2 would write .index + .data-*).
    assert Path(saved) == prefix
    assert sorted(p.name for p in folder.iterdir()) == ["model.ckpt"], list(folder.iterdir())
    return prefix.read_bytes()


def write_bundle(path: Path, *, generator_id: str, checkpoint: bytes, metagraph: bytes,
                 description: str = "test bundle") -> Path:
    message = generator_pb2.GeneratorBundle()
    message.generator_details.id = generator_id
    message.generator_details.description = description
    message.bundle_details.description = description
    message.checkpoint_file.append(checkpoint)
    message.metagraph_file = metagraph
    path.write_bytes(message.SerializeToString())
    return path


def state_metagraph(widths: list[int]) -> bytes:
    """A MetaGraphDef whose ``initial_state`` collection holds [batch, width] tensors,
    exported by TF itself (so the nodes carry ``_output_shapes`` like Magenta's graphs)."""
    tf = _tf()
    graph = tf.compat.v1.Graph()
    with graph.as_default():
        for index, width in enumerate(widths):
            tensor = tf.compat.v1.placeholder(tf.float32, [None, width], name=f"state_{index}")
            tf.compat.v1.add_to_collection("initial_state", tensor)
        return tf.compat.v1.train.export_meta_graph(graph=graph).SerializeToString()


def metagraph_without_state(metagraph: bytes, how: str) -> bytes:
    """The same metagraph with its state shapes made unusable.

    how="no_collection": the ``initial_state`` collection is removed;
    how="no_shapes": the collection stays but no node records ``_output_shapes``.
    """
    from tensorflow.core.protobuf import meta_graph_pb2

    graph = meta_graph_pb2.MetaGraphDef()
    graph.ParseFromString(metagraph)
    if how == "no_collection":
        del graph.collection_def["initial_state"]
    elif how == "no_shapes":
        for node in graph.graph_def.node:
            if "_output_shapes" in node.attr:
                del node.attr["_output_shapes"]
    else:
        raise ValueError(how)
    return graph.SerializeToString()


def shapeless_metagraph() -> bytes:
    """A valid, non-empty MetaGraphDef with no graph and no collections.

    (An all-default MetaGraphDef serializes to b"", which a bundle reader rightly treats
    as "no metagraph"; a version string keeps it non-empty.)
    """
    from tensorflow.core.protobuf import meta_graph_pb2

    graph = meta_graph_pb2.MetaGraphDef()
    graph.meta_info_def.tensorflow_version = "0.12.1"
    data = graph.SerializeToString()
    assert data
    return data


# -- the spellings of each TF era -----------------------------------------------------------

def tf1_0_name(name: str) -> str:
    """TF 1.0-1.2: ``weights`` / ``biases`` where TF >= 1.3 writes ``kernel`` / ``bias``."""
    head, _, last = name.rpartition("/")
    last = {"kernel": "weights", "bias": "biases"}.get(last, last)
    return f"{head}/{last}" if head else last


_OLD_SCOPES = {
    "rnn": "RNN",
    "multi_rnn_cell": "MultiRNNCell",
    "basic_lstm_cell": "BasicLSTMCell",
    "attention_cell_wrapper": "AttentionCellWrapper",
    "attention": "Attention",
    "attn_output_projection": "AttnOutputProjection",
    # tf.contrib AttentionCellWrapper in TF 0.12 (contrib/rnn/python/ops/rnn_cell.py):
    #   with vs.variable_scope("Attention"):
    #     k = vs.get_variable("AttnW", ...); v = vs.get_variable("AttnV", ...)
    "attn_w": "AttnW",
    "attn_v": "AttnV",
}


def tf0_12_name(name: str) -> str:
    """TF <= 0.12: CamelCase scopes, ``CellN``, and every ``_linear`` in a ``Linear`` scope
    holding ``Matrix`` and ``Bias``. tf-slim's output layer keeps ``fully_connected/...``."""
    if name.startswith("fully_connected/"):
        return tf1_0_name(name)
    segments = []
    for segment in name.split("/"):
        cell = re.fullmatch(r"cell_(\d+)", segment)
        if cell:
            segments.append(f"Cell{cell.group(1)}")
        elif segment == "kernel":
            segments += ["Linear", "Matrix"]
        elif segment == "bias":
            segments += ["Linear", "Bias"]
        else:
            segments.append(_OLD_SCOPES.get(segment, segment))
    return "/".join(segments)


ERAS = {"tf1.0-1.2": tf1_0_name, "tf0.12": tf0_12_name}
