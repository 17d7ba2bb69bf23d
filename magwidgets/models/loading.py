"""``load_model``: from a model file to a ready model, converting weights once."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from magwidgets.bundles import cache, names
from magwidgets.bundles.mag import Bundle, read_bundle
from magwidgets.errors import BundleError
from magwidgets.models.configs import CONFIGS
from magwidgets.models.drums import DrumsRNN
from magwidgets.models.event_rnn import EventRNN
from magwidgets.models.melody import MelodyRNN
from magwidgets.models.polyphony import PolyphonyRNN

_FAMILIES: dict[str, type[EventRNN]] = {
    "drums_rnn": DrumsRNN, "melody_rnn": MelodyRNN, "polyphony_rnn": PolyphonyRNN}


def _convert(bundle: Bundle) -> tuple[dict[str, np.ndarray], int | None]:
    """Weights under canonical names and the attention length, via TensorFlow once."""
    from magwidgets.bundles import tf_reader

    weights = names.canonical_weights(tf_reader.read_checkpoint_bytes(bundle.checkpoint, bundle.path))
    attention_length = None
    placement = names.attention_placement(weights)
    widths = tf_reader.state_widths(bundle.metagraph, bundle.path)
    if placement and widths:
        network = names.build_network(weights, 1, bundle.path)  # sizes only
        attention_length = names.attention_length_from_state(widths, network.layer_sizes, placement)
    return weights, attention_length


def _weights(bundle: Bundle) -> tuple[dict[str, np.ndarray], int | None]:
    cached = cache.load_cached(bundle.sha256)
    if cached is not None:
        weights, meta = cached
        return weights, meta.get("attention_length")
    weights, attention_length = _convert(bundle)
    cache.store(bundle.sha256, weights, {"generator_id": bundle.generator_id,
                                         "attention_length": attention_length})
    return weights, attention_length


def load_model(path: str | Path, *, config: str | None = None) -> EventRNN:
    """Load a Magenta ``.mag`` bundle as a model whose ``generate`` returns NoteSequences.

    The config comes from the bundle's generator id unless ``config`` names one. The first
    load of a bundle converts its TF checkpoint (needs TensorFlow) and caches the weights;
    later loads read the cache and never import TensorFlow.

    Raises:
        BundleError: unreadable file, unknown model family, or weights that do not fit
            the config.
    """
    bundle = read_bundle(path)
    config_id = config or bundle.generator_id
    if config_id not in CONFIGS:
        raise BundleError(
            f"{bundle.path}: generator id '{config_id}' is not a model magwidgets can run yet; "
            f"supported: {', '.join(sorted(CONFIGS))}")
    rnn_config = CONFIGS[config_id]
    weights, attention_length = _weights(bundle)
    network = names.build_network(
        weights, attention_length or rnn_config.default_attention_length, bundle.path)
    model = _FAMILIES[rnn_config.family](rnn_config, network, source=bundle.path,
                                         description=bundle.description)
    expected_in, expected_out = model.encoder.input_size, model.encoder.num_classes
    if (network.input_size, network.num_logits) != (expected_in, expected_out):
        raise BundleError(
            f"{bundle.path}: the checkpoint takes {network.input_size} inputs and predicts "
            f"{network.num_logits} classes, but config '{config_id}' encodes "
            f"{expected_in} inputs and {expected_out} classes")
    return model
