"""Autoregressive decoding over the KV cache: primer forced through it, then one token a step
(batched samples), sliding the context when it fills; sampling as t2t's
``sample_with_temperature`` (argmax at temperature 0, optional top-k)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from magwidgets.families.music_transformer.encoding import EOS_ID, PAD_ID
from magwidgets.families.music_transformer.network import (
    KVCache,
    Network,
    decoder_chunk,
    encode_inputs,
    output_logits,
)

PREFILL_CHUNK = 256  # positions per teacher-forced chunk: bounds the [h, C, N] score memory
Cancel = Callable[[], bool] | threading.Event | None


def cancelled(cancel: Cancel) -> bool:
    """Whether the caller asked to stop (an Event that is set, or a callable returning True)."""
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def force(network: Network, cache: KVCache, ids_before: np.ndarray) -> np.ndarray:
    """Teacher-force ``ids_before [B, C]`` (each position's input: the id one step earlier)
    through the cache in chunks; the final states' logits ``[B, C, V]``."""
    pieces = []
    for low in range(0, ids_before.shape[1], PREFILL_CHUNK):
        states = decoder_chunk(network, ids_before[:, low:low + PREFILL_CHUNK], cache)
        pieces.append(output_logits(network, states))
    return np.concatenate(pieces, axis=1)


def new_cache(network: Network, batch: int, capacity: int,
              inputs: np.ndarray | None, previous: KVCache | None = None) -> KVCache:
    """A cache for ``capacity`` positions, with the melody encoder's memory (run once)."""
    cache = KVCache(network, batch, capacity)
    if previous is not None:
        cache.memory, cache.memory_bias = previous.memory, previous.memory_bias
    elif inputs is not None:
        encode_inputs(network, inputs, cache)
    return cache


@dataclass(frozen=True)
class Sampler:
    """t2t's ``sample_with_temperature``: argmax at temperature 0, else a draw from
    ``softmax(logits / temperature)`` restricted to the ``top_k`` largest."""

    temperature: float
    top_k: int | None
    rng: np.random.Generator

    def __call__(self, logits: np.ndarray) -> np.ndarray:
        if self.temperature == 0.0:
            return np.argmax(logits, axis=-1)
        scaled = logits.astype(np.float64) / self.temperature
        if self.top_k is not None and self.top_k < scaled.shape[-1]:
            kth = np.partition(scaled, -self.top_k, axis=-1)[:, -self.top_k][:, None]
            scaled = np.where(scaled >= kth, scaled, -np.inf)
        gumbel = -np.log(-np.log(self.rng.random(scaled.shape)))
        return np.argmax(scaled + gumbel, axis=-1)


def decode_steps(network: Network, primer: np.ndarray, inputs: np.ndarray | None,
                 num_tokens: int, sample: Sampler, context: int,
                 cancel: Cancel = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(ids [B], logits [B, V])`` for each new token after ``primer [B, m]``; stops
    after ``num_tokens``, once every sample has emitted EOS (t2t stops there too; later ids
    of a finished sample are PAD), or on ``cancel``. When ``context`` positions are used the
    last ``context // 2`` ids are forced into a fresh cache and decoding goes on."""
    batch = primer.shape[0]
    generated: list[np.ndarray] = []
    cache = new_cache(network, batch, min(context, primer.shape[1] + num_tokens), inputs)
    ids_before = np.concatenate([np.full((batch, 1), PAD_ID), primer], axis=1)
    logits = force(network, cache, ids_before)[:, -1]
    finished = np.zeros(batch, bool)
    for step in range(num_tokens):
        if cancelled(cancel):
            return
        token = np.where(finished, PAD_ID, sample(logits))
        finished |= token == EOS_ID
        yield token, logits
        if finished.all() or step == num_tokens - 1:
            return
        generated.append(token)
        if cache.length == cache.capacity:  # the context is full: keep its second half
            kept = np.concatenate([primer, np.stack(generated, axis=1)],
                                  axis=1)[:, -(context // 2):]
            capacity = min(context, kept.shape[1] + num_tokens - step - 1)
            cache = new_cache(network, batch, capacity, None, previous=cache)
            logits = force(network, cache, np.concatenate(
                [np.full((batch, 1), PAD_ID), kept], axis=1))[:, -1]
        else:
            logits = output_logits(network, decoder_chunk(network, token[:, None], cache))[:, 0]
