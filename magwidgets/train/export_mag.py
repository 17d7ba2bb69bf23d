"""Export a trained event RNN as a ``.mag`` bundle that Magenta 2.1.4 itself can run.

Magenta's generators import the bundle's metagraph (``tf.train.import_meta_graph``),
restore its V1 checkpoint with the metagraph's saver, and then only use the graph
collections ``inputs`` ([batch, time, input] placeholder), ``initial_state`` and
``final_state`` (the flattened RNN state), ``temperature`` and ``softmax``. The graph here is
built from raw TF ops in graph mode (Keras 3 has no TF1 RNN cells) with Magenta's variable
names, state order and arithmetic; batch size 1, as Magenta writes generator bundles.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from note_seq.protobuf import generator_pb2

from magwidgets.families import EVENT_RNN_CONFIGS as CONFIGS
from magwidgets.train.loop import RunFolder
from magwidgets.train.rnn import (
    AttentionWeights,
    NetworkSpec,
    attention_scopes,
    attention_step,
    magenta_variables,
    tf1_lstm,
)

BATCH_SIZE = 1  # Magenta's generator bundles are written with batch size 1


def _wrapped_layers(spec: NetworkSpec) -> int:
    if not spec.attention_length:
        return 0
    return 1 if spec.attention_wraps == "first" else len(spec.layer_sizes)


def state_widths(spec: NetworkSpec) -> list[int]:
    """Widths of the flattened state, in Magenta's order: per layer c, h, with the attention
    wrapper's attns and attn_states after the layers it wraps."""
    widths = [size for size in spec.layer_sizes for _ in range(2)]
    wrapped = _wrapped_layers(spec)
    if wrapped:
        size = spec.layer_sizes[wrapped - 1]
        widths[2 * wrapped:2 * wrapped] = [size, spec.attention_length * size]
    return widths


def _step_function(tf, variables: dict, spec: NetworkSpec):
    """The graph's cell: (x [batch, input], flat state) -> (output, new flat state)."""
    wrapped = _wrapped_layers(spec)
    attention = None
    if wrapped:
        prefix, scopes = attention_scopes(spec.attention_wraps, wrapped)
        attn_w = variables[prefix + "attention/attn_w"]
        attention = AttentionWeights(
            input_kernel=variables[prefix + "kernel"], input_bias=variables[prefix + "bias"],
            lstm=tuple((variables[scope + "kernel"], variables[scope + "bias"])
                       for scope in scopes),
            attn_w=tf.reshape(attn_w, attn_w.shape[2:]),
            attn_v=variables[prefix + "attention/attn_v"],
            query_kernel=variables[prefix + "attention/kernel"],
            query_bias=variables[prefix + "attention/bias"],
            output_kernel=variables[prefix + "attn_output_projection/kernel"],
            output_bias=variables[prefix + "attn_output_projection/bias"])

    def step(x, state: list):
        state = list(state)
        if attention is not None:
            head = 2 * wrapped + 2
            x, state[:head] = attention_step(attention, spec.attention_length, x, state[:head])
        for index in range(wrapped, len(spec.layer_sizes)):
            scope = f"rnn/multi_rnn_cell/cell_{index}/basic_lstm_cell/"
            at = 2 * index + (2 if wrapped else 0)
            c, x = tf1_lstm(x, state[at], state[at + 1], variables[scope + "kernel"],
                            variables[scope + "bias"])
            state[at], state[at + 1] = c, x
        return x, state

    return step


def _build_generation_graph(tf, weights: dict[str, np.ndarray], spec: NetworkSpec) -> dict:
    """Magenta's generate-mode graph and collections, in the current (v1) graph."""
    v1 = tf.compat.v1
    variables = {name: v1.get_variable(name, shape=value.shape, initializer=v1.zeros_initializer())
                 for name, value in weights.items()}  # values are loaded in the session, so
    # the metagraph does not hold a second copy of the weights as constants
    if spec.index_inputs:
        inputs = v1.placeholder(tf.float32, [BATCH_SIZE, None, 1])
        expanded = tf.one_hot(tf.cast(tf.squeeze(inputs, axis=-1), tf.int64), spec.input_size)
    else:
        inputs = v1.placeholder(tf.float32, [BATCH_SIZE, None, spec.input_size])
        expanded = inputs
    initial_state = [tf.zeros([BATCH_SIZE, width]) for width in state_widths(spec)]
    step = _step_function(tf, variables, spec)
    time_major = tf.transpose(expanded, [1, 0, 2])
    steps = tf.shape(time_major)[0]
    outputs = tf.TensorArray(tf.float32, size=steps)

    def body(t, outputs, *state):
        output, new_state = step(time_major[t], list(state))
        return (t + 1, outputs.write(t, output), *new_state)

    _, outputs, *final_state = tf.while_loop(
        lambda t, *_: t < steps, body, (tf.constant(0), outputs, *initial_state))
    last_units = spec.layer_sizes[-1]
    outputs_flat = tf.reshape(tf.transpose(outputs.stack(), [1, 0, 2]), [-1, last_units])
    logits = tf.matmul(outputs_flat, variables["fully_connected/weights"])
    logits = logits + variables["fully_connected/biases"]
    temperature = v1.placeholder(tf.float32, [])
    softmax = tf.nn.softmax(logits / tf.fill([spec.num_classes], temperature))
    softmax = tf.reshape(softmax, [BATCH_SIZE, -1, spec.num_classes])
    v1.add_to_collection("inputs", inputs)
    v1.add_to_collection("temperature", temperature)
    v1.add_to_collection("softmax", softmax)
    for tensor in initial_state:
        v1.add_to_collection("initial_state", tensor)
    for tensor in final_state:
        v1.add_to_collection("final_state", tensor)
    return variables


def checkpoint_and_metagraph(weights: dict[str, np.ndarray], spec: NetworkSpec
                             ) -> tuple[bytes, bytes]:
    """A TF1 V1 checkpoint of ``weights`` and the generation metagraph, as Magenta's
    ``write_checkpoint_with_metagraph`` writes them."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default(), tempfile.TemporaryDirectory(prefix="magwidgets-export-") as folder:
        variables = _build_generation_graph(tf, weights, spec)
        saver = tf.compat.v1.train.Saver(sharded=False,
                                         write_version=tf.compat.v1.train.SaverDef.V1)
        prefix = str(Path(folder) / "model.ckpt")
        with tf.compat.v1.Session(graph=graph) as session:
            for name, variable in variables.items():
                session.run(variable.initializer, {variable.initial_value: weights[name]})
            saver.save(session, prefix, write_meta_graph=False, write_state=False)
        metagraph = saver.export_meta_graph(clear_devices=True, strip_default_attrs=True)
        return Path(prefix).read_bytes(), metagraph.SerializeToString()


def write_mag(weights: dict[str, np.ndarray], spec: NetworkSpec, path: str | Path,
              description: str) -> Path:
    """Write a Magenta generator bundle for ``spec``'s config holding ``weights``."""
    checkpoint, metagraph = checkpoint_and_metagraph(weights, spec)
    bundle = generator_pb2.GeneratorBundle()
    bundle.generator_details.id = spec.config_id
    bundle.generator_details.description = CONFIGS[spec.config_id].description
    bundle.bundle_details.description = description
    bundle.checkpoint_file.append(checkpoint)
    bundle.metagraph_file = metagraph
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bundle.SerializeToString())
    return path


def hparams_text(spec: NetworkSpec) -> str:
    """The network's hparams as Magenta's HParams would print them."""
    return (f"rnn_layer_sizes={list(spec.layer_sizes)}, attn_length={spec.attention_length}, "
            f"batch_size={BATCH_SIZE}")


def export_run_mag(run: RunFolder, out: str | Path) -> Path:
    """The best checkpoint of an event-RNN run as a ``.mag`` bundle at ``out``."""
    record = run.read_record()
    spec = NetworkSpec.from_dict(record["network"])
    weights = magenta_variables(run.best_model(), spec)
    best = record["epochs"][record["best_epoch"] - 1]
    description = (f"magwidgets: {spec.config_id} trained on {record['source']} "
                   f"({best['steps']} steps, eval perplexity {best['eval_perplexity']:.2f}); "
                   f"hparams: {hparams_text(spec)}")
    return write_mag(weights, spec, out, description)
