"""``load_model``: from a model file to a ready model, converting weights once."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from magwidgets.bundles import cache, magentajs, names
from magwidgets.bundles.mag import Bundle, read_bundle
from magwidgets.errors import BundleError
from magwidgets.models.configs import CONFIGS
from magwidgets.models.drums import DrumsRNN
from magwidgets.models.event_rnn import EventRNN
from magwidgets.models.improv import ImprovRNN
from magwidgets.models.melody import MelodyRNN
from magwidgets.models.music_vae import VAE_CONFIGS, MusicVAE
from magwidgets.models.performance import PerformanceRNN
from magwidgets.models.performance_controls import COMPACT_CONFIG, COMPACT_GENERATOR_ID
from magwidgets.models.polyphony import PolyphonyRNN

_FAMILIES: dict[str, type[EventRNN]] = {
    "drums_rnn": DrumsRNN, "melody_rnn": MelodyRNN, "polyphony_rnn": PolyphonyRNN,
    "improv_rnn": ImprovRNN, "performance_rnn": PerformanceRNN}


def _convert(bundle: Bundle) -> tuple[dict[str, np.ndarray], dict]:
    """Weights under canonical names, and what the graph says, via TensorFlow once."""
    from magwidgets.bundles import tf_reader

    weights = names.canonical_weights(tf_reader.read_checkpoint_bytes(bundle.checkpoint, bundle.path))
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


def load_model(path: str | Path, *, config: str | None = None) -> EventRNN | MusicVAE:
    """Load a Magenta ``.mag`` bundle as a model whose ``generate`` returns NoteSequences,
    or, when ``config`` names a MusicVAE config, a MusicVAE checkpoint (``.tar``), or a
    Magenta.js checkpoint folder (MusicVAE or MusicRNN; its ``config.json`` names the
    config unless ``config`` does). ``"starter:<name>"`` loads a shipped starter model
    (``starter_models()`` lists them).

    The config comes from the bundle's generator id unless ``config`` names one. The first
    load of a bundle converts its TF checkpoint (needs TensorFlow) and caches the weights;
    later loads read the cache and never import TensorFlow.

    Raises:
        BundleError: unreadable file, unknown model family, or weights that do not fit
            the config.
    """
    if isinstance(path, str) and path.startswith("starter:"):
        from magwidgets.starter import starter_model

        starter = starter_model(path[len("starter:"):])
        return load_model(starter.model_path, config=config or starter.config)
    if isinstance(path, str) and path.startswith("hub:"):
        from magwidgets import hub

        return hub.load(path[len("hub:"):], config=config)
    if Path(path).is_dir() and config not in VAE_CONFIGS:
        return _load_magentajs(Path(path), config)
    if config in VAE_CONFIGS:
        return MusicVAE.from_checkpoint(path, config)
    bundle = read_bundle(path)
    config_id = config or bundle.generator_id
    if config_id not in CONFIGS:
        raise BundleError(
            f"{bundle.path}: generator id '{config_id}' is not a model magwidgets can run yet; "
            f"supported: {', '.join(sorted(CONFIGS))}")
    weights, meta = _weights(bundle)
    if config is None:
        config_id = _config_id(bundle, meta)
    return _rnn_model(CONFIGS[config_id], weights, meta["attention_length"], bundle.path,
                      bundle.description)


def _rnn_model(rnn_config, weights: dict[str, np.ndarray], attention_length: int | None,
               source: Path, description: str) -> EventRNN:
    """The config's family model on canonical weights, refused when their sizes do not fit
    the config's encoder."""
    network = names.build_network(
        weights, attention_length or rnn_config.default_attention_length, source)
    model = _FAMILIES[rnn_config.family](rnn_config, network, source=source,
                                         description=description)
    expected_in, expected_out = model.encoder.input_size, model.encoder.num_classes
    expected_in = getattr(model.encoder, "input_depth", expected_in)  # index inputs: one-hot
    if (network.input_size, network.num_logits) != (expected_in, expected_out):
        raise BundleError(
            f"{source}: the checkpoint takes {network.input_size} inputs and predicts "
            f"{network.num_logits} classes, but config '{rnn_config.id}' encodes "
            f"{expected_in} inputs and {expected_out} classes")
    return model


def _load_magentajs(folder: Path, config: str | None) -> EventRNN | MusicVAE:
    """A Magenta.js checkpoint folder (MusicVAE or MusicRNN), read with NumPy only."""
    checkpoint = magentajs.read_checkpoint(folder)
    config_id = magentajs.resolve_config(checkpoint, config)
    if config_id in VAE_CONFIGS:
        return MusicVAE(VAE_CONFIGS[config_id], checkpoint.weights, str(folder))
    rnn_config = CONFIGS[config_id]
    attention_length = (checkpoint.spec or {}).get("attentionLength")
    return _rnn_model(rnn_config, magentajs.rnn_weights(checkpoint.weights), attention_length,
                      folder, rnn_config.description)
