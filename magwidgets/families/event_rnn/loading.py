"""Event-RNN checkpoints (Magenta ``.mag`` bundles and Magenta.js ``MusicRNN`` folders) to a
ready model of the right family, converting a bundle's weights with TensorFlow once."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from magwidgets.bundles import cache, magentajs, tf_reader
from magwidgets.bundles.mag import Bundle, read_bundle
from magwidgets.errors import BundleError
from magwidgets.families import registry
from magwidgets.families.event_rnn import weights as names
from magwidgets.families.event_rnn.magentajs import MAGENTAJS_TYPE
from magwidgets.families.event_rnn.model import EventRNN
from magwidgets.families.magentajs_specs import resolve_config

ENGINE = "event_rnn"
# Magenta writes the generator id of the config's details, so a compact (index-input)
# Performance RNN bundle says performance_with_dynamics; its graph tells them apart.
COMPACT_CONFIG = "performance_with_dynamics_compact"
COMPACT_GENERATOR_ID = "performance_with_dynamics"


def recognizes(path: Path) -> bool:
    """A Magenta.js MusicRNN folder; ``.mag`` files are what ``load_model`` tries last."""
    return magentajs.model_type(path) == MAGENTAJS_TYPE


def _convert(bundle: Bundle) -> tuple[dict[str, np.ndarray], dict]:
    """Weights under canonical names, and what the graph says, via TensorFlow once."""
    weights = names.canonical_weights(tf_reader.read_checkpoint_bytes(bundle.checkpoint,
                                                                      bundle.path))
    facts = tf_reader.read_graph_facts(bundle.metagraph, bundle.path)
    attention_length = None
    placement = names.attention_placement(weights)
    if placement and facts.state_widths:
        attention_length = names.attention_length_from_state(
            facts.state_widths, weights, placement, bundle.path)
    return weights, {"generator_id": bundle.generator_id, "attention_length": attention_length,
                     "index_inputs": facts.index_inputs}


def _weights(bundle: Bundle) -> tuple[dict[str, np.ndarray], dict]:
    cached = cache.load_cached(bundle.sha256)
    if cached is not None:
        return cached
    weights, meta = _convert(bundle)
    cache.store(bundle.sha256, weights, meta)
    return weights, meta


def _config_id(bundle: Bundle, meta: dict) -> str:
    """The bundle's config: its generator id, except that Magenta writes
    ``performance_with_dynamics`` into compact (index-input) bundles too."""
    if bundle.generator_id == COMPACT_GENERATOR_ID and meta["index_inputs"]:
        return COMPACT_CONFIG
    return bundle.generator_id


def load(path: str | Path, *, config: str | None = None) -> EventRNN:
    """A ``.mag`` bundle or a Magenta.js MusicRNN folder as its family's model; the config
    comes from the bundle's generator id (or the folder's ``config.json``) unless named."""
    path = Path(path)
    if path.is_dir():
        return _load_magentajs(path, config)
    bundle = read_bundle(path)
    configs = registry.all_configs(ENGINE)
    config_id = config or bundle.generator_id
    if config_id not in configs:
        raise BundleError(
            f"{bundle.path}: generator id '{config_id}' is not a model magwidgets can run yet; "
            f"supported: {', '.join(sorted(configs))}")
    weights, meta = _weights(bundle)
    if config is None:
        config_id = _config_id(bundle, meta)
    return _rnn_model(configs[config_id], weights, meta["attention_length"], bundle.path,
                      bundle.description)


def _rnn_model(rnn_config, weights: dict[str, np.ndarray], attention_length: int | None,
               source: Path, description: str) -> EventRNN:
    """The config's family model on canonical weights, refused when their sizes do not fit
    the config's encoder."""
    network = names.build_network(
        weights, attention_length or rnn_config.default_attention_length, source)
    model = registry.family(rnn_config.family).model(rnn_config, network, source=source,
                                                    description=description)
    expected_in, expected_out = model.encoder.input_size, model.encoder.num_classes
    expected_in = getattr(model.encoder, "input_depth", expected_in)  # index inputs: one-hot
    if (network.input_size, network.num_logits) != (expected_in, expected_out):
        raise BundleError(
            f"{source}: the checkpoint takes {network.input_size} inputs and predicts "
            f"{network.num_logits} classes, but config '{rnn_config.id}' encodes "
            f"{expected_in} inputs and {expected_out} classes")
    return model


def _load_magentajs(folder: Path, config: str | None) -> EventRNN:
    """A Magenta.js MusicRNN checkpoint folder, read with NumPy only."""
    checkpoint = magentajs.read_checkpoint(folder)
    config_id = resolve_config(checkpoint, config)
    configs = registry.all_configs(ENGINE)
    if config_id not in configs:
        raise BundleError(f"{folder}: config '{config_id}' is not an event-RNN config")
    rnn_config = configs[config_id]
    attention_length = (checkpoint.spec or {}).get("attentionLength")
    return _rnn_model(rnn_config, names.magentajs_rnn_weights(checkpoint.weights),
                      attention_length, folder, rnn_config.description)
