"""The one place outside training (``train/``, which runs Keras and writes TF graphs) that
imports TensorFlow: reading TF1 and TF2 checkpoints and metagraphs.

Called once per bundle, when its weights are not yet in the cache; everything downstream
works on plain ``dict[str, np.ndarray]``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from magwidgets.errors import BundleError


def _tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # we only read files; keeps the log quiet
    try:
        import tensorflow as tf
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise BundleError(
            "converting a checkpoint needs TensorFlow once (pip install tensorflow-cpu); "
            "after that the converted weights are cached and TensorFlow is not needed"
        ) from err
    return tf


def read_checkpoint_bytes(checkpoint: bytes, source: Path) -> dict[str, np.ndarray]:
    """Read every variable of a TF1 V1 checkpoint given as the bytes of its single file."""
    tf = _tensorflow()
    with tempfile.TemporaryDirectory(prefix="magwidgets-ckpt-") as folder:
        prefix = os.path.join(folder, "model.ckpt")
        Path(prefix).write_bytes(checkpoint)
        try:
            reader = tf.compat.v1.train.NewCheckpointReader(prefix)
            names = reader.get_variable_to_shape_map()
            return {name: np.asarray(reader.get_tensor(name)) for name in names}
        except Exception as err:  # TF raises many types for corrupt data
            raise BundleError(
                f"{source}: the checkpoint inside the bundle cannot be read ({err})"
            ) from err


def read_checkpoint_prefix(prefix: Path, source: Path,
                           keep: Callable[[str], bool] | None = None) -> dict[str, np.ndarray]:
    """The variables of the TF checkpoint ``<prefix>.index`` + ``<prefix>.data-*`` (V1 or V2),
    all of them or those whose name ``keep`` accepts (the rest are never read); errors name
    ``source``."""
    tf = _tensorflow()
    try:
        reader = tf.train.load_checkpoint(str(prefix))
        return {name: np.asarray(reader.get_tensor(name))
                for name in reader.get_variable_to_shape_map() if keep is None or keep(name)}
    except Exception as error:  # TF raises many types for corrupt files
        raise BundleError(f"{source}: the checkpoint cannot be read "
                          f"({type(error).__name__}: {error})") from None


@dataclass(frozen=True)
class GraphFacts:
    """What the generator graph tells beyond the weights."""

    state_widths: list[int] | None  # RNN state tensor widths, initial_state order; None if unknown
    index_inputs: bool  # the ``inputs`` placeholder takes class indices [batch, time, 1]


def _state_widths(graph, nodes) -> list[int] | None:
    if "initial_state" not in graph.collection_def:
        return None
    widths = []
    for tensor_name in graph.collection_def["initial_state"].node_list.value:
        node = nodes.get(tensor_name.split(":")[0])
        if node is None or "_output_shapes" not in node.attr:
            return None
        shape = node.attr["_output_shapes"].list.shape[0]
        if len(shape.dim) != 2 or shape.dim[1].size <= 0:
            return None
        widths.append(int(shape.dim[1].size))
    return widths


def _index_inputs(graph, nodes) -> bool:
    """Magenta's compact (OneHotIndex) encoders feed one class index per step."""
    if "inputs" not in graph.collection_def:
        return False
    for tensor_name in graph.collection_def["inputs"].node_list.value:
        node = nodes.get(tensor_name.split(":")[0])
        if node is not None and node.op == "Placeholder":
            dims = [dim.size for dim in node.attr["shape"].shape.dim]
            return len(dims) == 3 and dims[2] == 1
    return False


def read_graph_facts(metagraph: bytes, source: Path) -> GraphFacts:
    """State widths (for the attention length) and the input kind, from the metagraph."""
    _tensorflow()
    from tensorflow.core.protobuf import meta_graph_pb2

    graph = meta_graph_pb2.MetaGraphDef()
    try:
        graph.ParseFromString(metagraph)
    except Exception as err:
        raise BundleError(f"{source}: the metagraph inside the bundle is corrupt ({err})") from err
    nodes = {node.name: node for node in graph.graph_def.node}
    return GraphFacts(_state_widths(graph, nodes), _index_inputs(graph, nodes))
