"""The Piano Transformer kinds magwidgets reads; which one a checkpoint is follows from its
variables (an encoder for the melody input; relative-position embeddings)."""

from __future__ import annotations

from magwidgets.families.registry import NamedConfig

CONFIGS = {kind.id: kind for kind in (
    NamedConfig("transformer_unconditional", "Piano Transformer, unconditional "
                "(Magenta's unconditional_model_16: transformer_tpu, plain attention)"),
    NamedConfig("transformer_melody", "Piano Transformer, melody-conditioned "
                "(Magenta's melody_conditioned_model_16: encoder-decoder)"),
    NamedConfig("transformer_relative", "Music Transformer with relative attention "
                "(dot_product_relative_v2, the paper's)"),
)}


def kind_id(melody_conditioned: bool, relative: bool) -> str:
    """The config id of a checkpoint with these traits."""
    if melody_conditioned:
        return "transformer_melody"
    return "transformer_relative" if relative else "transformer_unconditional"
