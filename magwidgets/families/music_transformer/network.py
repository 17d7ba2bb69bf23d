"""tensor2tensor's Transformer (transformer_tpu: pre-norm, dense_relu_dense) as NumPy functions
over named weights, with a key/value cache for plain and relative (v2) self-attention.

Shapes: B batch, C new positions in a chunk, N cached positions, d hidden, h heads, k depth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from magwidgets.families.music_transformer.checkpoint import (
    TransformerConfig,
    modality_matrix,
)

NORM_EPSILON = 1e-6
MASK = -1e9  # t2t's attention bias for masked positions
TIMESCALE_MAX = 1.0e4


@dataclass(frozen=True)
class Block:
    """One pre-norm sublayer set: self-attention, optional enc-dec attention, feed-forward."""

    norm_attn: tuple[np.ndarray, np.ndarray]  # LN scale, bias [d]
    qkv: np.ndarray  # [d, 3d], q columns pre-scaled by k^-0.5
    attn_out: np.ndarray  # [d, d]
    relative: np.ndarray | None  # key_relative_embeddings transposed: [h, k, R]
    norm_cross: tuple[np.ndarray, np.ndarray] | None
    cross_q: np.ndarray | None  # [d, d], pre-scaled
    cross_kv: np.ndarray | None  # [d, 2d]
    cross_out: np.ndarray | None  # [d, d]
    norm_ffn: tuple[np.ndarray, np.ndarray]
    w1: np.ndarray  # [d, f]
    b1: np.ndarray  # [f]
    w2: np.ndarray  # [f, d]
    b2: np.ndarray  # [d]


@dataclass(frozen=True)
class Network:
    """All weights, laid out for inference."""

    config: TransformerConfig
    target_embedding: np.ndarray  # [V, d], row 0 (PAD) zero, scaled by sqrt(d)
    softmax_t: np.ndarray  # [d, V]
    decoder: tuple[Block, ...]
    decoder_norm: tuple[np.ndarray, np.ndarray]
    input_embedding: np.ndarray | None  # [Vin, d], PAD zero, scaled
    target_space: np.ndarray | None  # [d]: target_space_embedding[0]
    encoder: tuple[Block, ...]
    encoder_norm: tuple[np.ndarray, np.ndarray] | None


def _norm(variables: dict[str, np.ndarray], scope: str) -> tuple[np.ndarray, np.ndarray]:
    return (variables[f"{scope}/layer_norm/layer_norm_scale"],
            variables[f"{scope}/layer_norm/layer_norm_bias"])


def _block(variables: dict[str, np.ndarray], scope: str, config: TransformerConfig,
           cross: bool) -> Block:
    scale = np.float32(config.head_depth ** -0.5)
    attn = f"{scope}/self_attention/multihead_attention"
    relative_name = f"{attn}/dot_product_self_attention_relative_v2/key_relative_embeddings"
    cross_attn = f"{scope}/encdec_attention/multihead_attention"
    return Block(
        norm_attn=_norm(variables, f"{scope}/self_attention/layer_prepostprocess"),
        qkv=np.ascontiguousarray(np.concatenate(
            [variables[f"{attn}/q/kernel"] * scale, variables[f"{attn}/k/kernel"],
             variables[f"{attn}/v/kernel"]], axis=1)),
        attn_out=variables[f"{attn}/output_transform/kernel"],
        relative=np.ascontiguousarray(variables[relative_name].transpose(0, 2, 1))
        if config.relative else None,
        norm_cross=_norm(variables, f"{scope}/encdec_attention/layer_prepostprocess")
        if cross else None,
        cross_q=variables[f"{cross_attn}/q/kernel"] * scale if cross else None,
        cross_kv=np.ascontiguousarray(np.concatenate(
            [variables[f"{cross_attn}/k/kernel"], variables[f"{cross_attn}/v/kernel"]],
            axis=1)) if cross else None,
        cross_out=variables[f"{cross_attn}/output_transform/kernel"] if cross else None,
        norm_ffn=_norm(variables, f"{scope}/ffn/layer_prepostprocess"),
        w1=variables[f"{scope}/ffn/conv1/kernel"], b1=variables[f"{scope}/ffn/conv1/bias"],
        w2=variables[f"{scope}/ffn/conv2/kernel"], b2=variables[f"{scope}/ffn/conv2/bias"])


def _embedding(matrix: np.ndarray, hidden: int) -> np.ndarray:
    scaled = (matrix * np.float32(np.sqrt(hidden))).astype(np.float32)
    scaled[0] = 0.0  # t2t multiplies by (id != 0): PAD embeds to zeros
    return scaled


def build_network(variables: dict[str, np.ndarray], config: TransformerConfig) -> Network:
    """The inference layout of t2t's variables (KeyError on a missing name)."""
    d, vocab = config.hidden_size, config.target_vocab
    melody = config.input_vocab is not None
    shared = modality_matrix(variables, vocab, "shared")
    target = shared if shared is not None else modality_matrix(variables, vocab, "target_emb")
    softmax = shared if shared is not None else modality_matrix(variables, vocab, "softmax")
    if target is None or softmax is None:
        raise KeyError(f"symbol_modality_{vocab}_{d}/shared (or target_emb and softmax)")
    body = "transformer/body"
    decoder = tuple(_block(variables, f"{body}/decoder/layer_{i}", config, cross=melody)
                    for i in range(config.num_layers))
    encoder: tuple[Block, ...] = ()
    input_embedding = target_space = encoder_norm = None
    if melody:
        inputs = modality_matrix(variables, config.input_vocab, "input_emb")
        if inputs is None:
            inputs = modality_matrix(variables, config.input_vocab, "shared")
        if inputs is None:
            raise KeyError(f"symbol_modality_{config.input_vocab}_{d}/input_emb")
        input_embedding = _embedding(inputs, d)
        target_space = variables[f"{body}/target_space_embedding/kernel"][0]
        encoder = tuple(_block(variables, f"{body}/encoder/layer_{i}", config, cross=False)
                        for i in range(config.num_layers))
        encoder_norm = _norm(variables, f"{body}/encoder/layer_prepostprocess")
    return Network(config=config, target_embedding=_embedding(target, d),
                   softmax_t=np.ascontiguousarray(softmax.T), decoder=decoder,
                   decoder_norm=_norm(variables, f"{body}/decoder/layer_prepostprocess"),
                   input_embedding=input_embedding, target_space=target_space,
                   encoder=encoder, encoder_norm=encoder_norm)


def layer_norm(x: np.ndarray, norm: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """t2t's layer norm over the last axis (epsilon 1e-6)."""
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(variance + NORM_EPSILON) * norm[0] + norm[1]


def timing_signal(start: int, length: int, channels: int) -> np.ndarray:
    """t2t's ``get_timing_signal_1d`` rows ``start .. start+length-1``: ``[sin, cos]``."""
    half = channels // 2
    inverse = np.exp(np.arange(half) * -(np.log(TIMESCALE_MAX) / max(half - 1, 1)))
    scaled = np.arange(start, start + length)[:, None] * inverse[None, :]
    return np.concatenate([np.sin(scaled), np.cos(scaled)], axis=1).astype(np.float32)


def _heads(x: np.ndarray, heads: int) -> np.ndarray:
    """[B, C, d] -> [B, h, C, k]."""
    b, c, d = x.shape
    return x.reshape(b, c, heads, d // heads).transpose(0, 2, 1, 3)


def _merge(x: np.ndarray) -> np.ndarray:
    """[B, h, C, k] -> [B, C, d]."""
    b, h, c, k = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, c, h * k)


def _softmax_attend(scores: np.ndarray, values: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    return scores @ values


def relative_logits(q: np.ndarray, table_t: np.ndarray, start: int, total: int) -> np.ndarray:
    """``q · rel[R-1-(i-j)]`` (``table_t`` = rel transposed, ``[h, k, R]``) for queries at
    ``start..`` and keys ``0..total-1``; zero where the distance ``i-j`` is negative (masked
    anyway) or ``>= R`` (t2t pads with zeros)."""
    window = table_t.shape[2]
    chunk = q.shape[2]
    if chunk == 1:  # decoding: the keys within R of the query take a contiguous slice
        out = np.zeros(q.shape[:3] + (total,), np.float32)
        low = max(0, start - window + 1)
        out[..., low:] = q @ table_t[:, :, window - 1 - (start - low):]
        return out
    projected = q @ table_t  # [B, h, C, R]
    distance = (start + np.arange(chunk))[:, None] - np.arange(total)[None, :]
    valid = (distance >= 0) & (distance < window)
    index = np.where(valid, window - 1 - distance, 0)
    gathered = projected[:, :, np.arange(chunk)[:, None], index]
    return np.where(valid, gathered, np.float32(0.0))


class KVCache:
    """Per-layer keys and values ``[B, h, capacity, k]`` for positions ``0 .. length-1``,
    plus the melody model's encoder keys/values."""

    def __init__(self, network: Network, batch: int, capacity: int) -> None:
        config = network.config
        shape = (batch, config.num_heads, capacity, config.head_depth)
        self.keys = [np.zeros(shape, np.float32) for _ in network.decoder]
        self.values = [np.zeros(shape, np.float32) for _ in network.decoder]
        self.length = 0
        self.capacity = capacity
        self.memory: list[tuple[np.ndarray, np.ndarray]] = []
        self.memory_bias: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.keys + self.values)


def _feed_forward(x: np.ndarray, block: Block) -> np.ndarray:
    y = layer_norm(x, block.norm_ffn) @ block.w1
    y += block.b1
    np.maximum(y, 0.0, out=y)
    out = y @ block.w2
    out += block.b2
    return out


def _self_attention(x: np.ndarray, block: Block, heads: int, keys: np.ndarray,
                    values: np.ndarray, start: int, causal: bool,
                    key_bias: np.ndarray | None = None) -> np.ndarray:
    """Writes this chunk's keys/values at ``start`` and attends over ``0 .. start+C-1``."""
    d = x.shape[-1]
    chunk, total = x.shape[1], start + x.shape[1]
    qkv = layer_norm(x, block.norm_attn) @ block.qkv
    q = _heads(qkv[..., :d], heads)
    keys[:, :, start:total] = _heads(qkv[..., d:2 * d], heads)
    values[:, :, start:total] = _heads(qkv[..., 2 * d:], heads)
    scores = q @ keys[:, :, :total].transpose(0, 1, 3, 2)  # [B, h, C, N]
    if block.relative is not None:
        scores += relative_logits(q, block.relative, start, total)
    if causal and chunk > 1:
        ahead = np.arange(total)[None, :] > (start + np.arange(chunk))[:, None]
        scores += np.where(ahead, np.float32(MASK), np.float32(0.0))
    if key_bias is not None:
        scores += key_bias
    return _merge(_softmax_attend(scores, values[:, :, :total])) @ block.attn_out


def _cross_attention(x: np.ndarray, block: Block, heads: int, memory: tuple[np.ndarray, ...],
                     bias: np.ndarray | None) -> np.ndarray:
    q = _heads(layer_norm(x, block.norm_cross) @ block.cross_q, heads)
    scores = q @ memory[0].transpose(0, 1, 3, 2)
    if bias is not None:
        scores += bias
    return _merge(_softmax_attend(scores, memory[1])) @ block.cross_out


def decoder_chunk(network: Network, ids_before: np.ndarray, cache: KVCache) -> np.ndarray:
    """Final decoder states ``[B, C, d]`` for the next C positions, whose inputs are the ids
    one step earlier (``ids_before[:, 0]`` = 0 at position 0: t2t's right shift)."""
    config = network.config
    chunk, start = ids_before.shape[1], cache.length
    if start + chunk > cache.capacity:
        raise ValueError(f"cache holds {cache.capacity} positions, asked for {start + chunk}")
    x = network.target_embedding[ids_before] + timing_signal(start, chunk, config.hidden_size)
    for layer, block in enumerate(network.decoder):
        x = x + _self_attention(x, block, config.num_heads, cache.keys[layer],
                                cache.values[layer], start, causal=True)
        if block.cross_q is not None:
            x = x + _cross_attention(x, block, config.num_heads, cache.memory[layer],
                                     cache.memory_bias)
        x = x + _feed_forward(x, block)
    cache.length = start + chunk
    return layer_norm(x, network.decoder_norm)


def encode_inputs(network: Network, inputs: np.ndarray, cache: KVCache) -> None:
    """Run the melody encoder on ``inputs [B, T]`` and store each decoder layer's enc-dec keys
    and values (PAD positions masked) in ``cache``."""
    config = network.config
    batch, length = inputs.shape
    embedded = network.input_embedding[inputs]
    padding = np.all(embedded == 0.0, axis=-1)  # t2t: embedding_to_padding
    bias = np.where(padding, np.float32(MASK), np.float32(0.0))[:, None, None, :]
    x = embedded + network.target_space + timing_signal(0, length, config.hidden_size)
    shape = (batch, config.num_heads, length, config.head_depth)
    for block in network.encoder:
        keys, values = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
        x = x + _self_attention(x, block, config.num_heads, keys, values, 0, causal=False,
                                key_bias=bias)
        x = x + _feed_forward(x, block)
    memory = layer_norm(x, network.encoder_norm)
    d = config.hidden_size
    cache.memory = []
    for block in network.decoder:
        kv = memory @ block.cross_kv
        cache.memory.append((np.ascontiguousarray(_heads(kv[..., :d], config.num_heads)),
                             np.ascontiguousarray(_heads(kv[..., d:], config.num_heads))))
    cache.memory_bias = bias


def output_logits(network: Network, states: np.ndarray) -> np.ndarray:
    """Logits ``[..., V]`` from final decoder states (``h · Wᵀ``, no bias)."""
    return states @ network.softmax_t
