"""``MusicTransformer``: Magenta's Piano Transformer (unconditional or melody-conditioned) in
NumPy, with the Colab's encodings, teacher-forced logits and cached sampling."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from note_seq.protobuf import music_pb2
from tqdm.auto import tqdm

from magwidgets.engine.blas import one_blas_thread
from magwidgets.errors import GenerationError
from magwidgets.families.music_transformer import encoding
from magwidgets.families.music_transformer.checkpoint import TransformerConfig
from magwidgets.families.music_transformer.configs import CONFIGS
from magwidgets.families.music_transformer.decoding import (
    Cancel,
    Sampler,
    decode_steps,
    force,
    new_cache,
)
from magwidgets.families.music_transformer.network import Network
from magwidgets.families.registry import NamedConfig
from magwidgets.io.sequences import SequenceLike

DEFAULT_CONTEXT = 4096  # positions the cache holds: the Colab's decode_length
DEFAULT_SECONDS = 30.0  # generate() without end_time or num_tokens: 30 s past the primer
MAX_TOKENS_PER_SECOND = 200  # generate(end_time=...) gives up after this many ids per second
MAX_TOKENS = 1_000_000


def _ids_2d(ids: Sequence[int] | np.ndarray, vocab: int, what: str) -> np.ndarray:
    array = encoding.check_ids(ids, vocab, what)
    if array.ndim == 1:
        return array[None, :]
    if array.ndim != 2:
        raise GenerationError(f"{what}: expected ids [length] or [batch, length], got shape "
                              f"{array.shape}")
    return array


class MusicTransformer:
    """A t2t Transformer from a Piano Transformer checkpoint: ``encode``/``decode_tokens`` for
    score2perf ids, ``logits`` (teacher-forced), ``generate_tokens`` and ``generate``."""

    def __init__(self, network: Network, *, source: Path,
                 context: int = DEFAULT_CONTEXT) -> None:
        self.network = network
        self.source = source
        self.context = context

    @property
    def config(self) -> TransformerConfig:
        return self.network.config

    @property
    def melody_conditioned(self) -> bool:
        """True for the encoder-decoder model that accompanies a melody."""
        return self.config.input_vocab is not None

    @property
    def attention(self) -> str:
        """t2t's ``self_attention_type``: ``dot_product`` or ``dot_product_relative_v2``."""
        return "dot_product_relative_v2" if self.config.relative else "dot_product"

    @property
    def kind(self) -> NamedConfig:
        """Which Piano Transformer this checkpoint is (the registry's config)."""
        return CONFIGS[self.config.id]

    def describe(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines that say what this model is (``magwidgets info``)."""
        c = self.config
        return [("layers", f"{c.num_layers} x {c.hidden_size}, {c.num_heads} heads, "
                           f"filter {c.filter_size}"),
                ("attention", self.attention),
                ("vocabulary", f"{c.target_vocab} performance ids"
                               + (f", melody {c.input_vocab}" if c.input_vocab else ""))]

    def __repr__(self) -> str:
        c = self.config
        kind = "melody-conditioned" if self.melody_conditioned else "unconditional"
        return (f"MusicTransformer({kind}, {c.num_layers} layers x {c.hidden_size}, "
                f"{c.num_heads} heads, {self.attention}, source={str(self.source)!r})")

    # ------------------------------------------------------------------ encodings
    def encode(self, sequence: SequenceLike) -> np.ndarray:
        """The Colab's primer ids: sustain applied, cut at 20 s, drums dropped, no EOS."""
        return encoding.encode_performance(sequence)

    def encode_melody(self, sequence: SequenceLike) -> np.ndarray:
        """The melody model's input ids (a melody with chords: its top line, with a warning)."""
        return encoding.encode_melody(sequence)

    def decode_tokens(self, ids: Sequence[int] | np.ndarray) -> music_pb2.NoteSequence:
        """A NoteSequence of performance ids (cut at the first EOS, as the Colab does)."""
        return encoding.decode_performance(ids)

    # ------------------------------------------------------------------ the network
    def _inputs(self, inputs: Sequence[int] | np.ndarray | None, batch: int) -> np.ndarray | None:
        if not self.melody_conditioned:
            if inputs is not None:
                raise GenerationError("this model is unconditional: it takes no inputs "
                                      "(melody); load the melody-conditioned checkpoint")
            return None
        if inputs is None:
            raise GenerationError("this is the melody-conditioned model: pass the melody ids "
                                  "(inputs=model.encode_melody(melody))")
        array = _ids_2d(inputs, self.config.input_vocab, "melody inputs")
        if array.shape[1] == 0:
            raise GenerationError("melody inputs are empty")
        return np.broadcast_to(array, (batch, array.shape[1])) if array.shape[0] == 1 else array

    @one_blas_thread
    def logits(self, targets: Sequence[int] | np.ndarray, *,
               inputs: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
        """Teacher-forced logits ``[len, vocab]``: row t predicts ``targets[t]`` from
        ``targets[:t]`` (t2t shifts targets right; row 0 sees no token)."""
        ids = encoding.check_ids(targets, self.config.target_vocab, "targets")
        if ids.ndim != 1 or not 0 < len(ids) <= self.context:
            raise GenerationError(f"targets: expected 1..{self.context} ids in one row, got "
                                  f"shape {ids.shape}")
        melody = self._inputs(inputs, 1)
        cache = new_cache(self.network, 1, len(ids), melody)
        before = np.concatenate([[encoding.PAD_ID], ids[:-1]])[None]
        return force(self.network, cache, before)[0]

    def _truncated(self, primer: np.ndarray) -> np.ndarray:
        if primer.shape[1] + 1 <= self.context:
            return primer
        keep = self.context // 2
        warnings.warn(f"the primer has {primer.shape[1]} ids, more than the model's context "
                      f"of {self.context}: keeping its last {keep}", stacklevel=3)
        return primer[:, -keep:]

    @one_blas_thread
    def generate_tokens(self, primer_ids: Sequence[int] | np.ndarray, num_tokens: int, *,
                        temperature: float = 1.0, top_k: int | None = None,
                        seed: int | None = None,
                        inputs: Sequence[int] | np.ndarray | None = None,
                        return_logits: bool = False, cancel: Cancel = None,
                        progress: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Only the new ids after ``primer_ids`` (``[len]``, or ``[batch, len]`` for parallel
        samples), stopping at EOS as t2t does; with ``return_logits`` also their logits
        ``[n, vocab]`` (``[batch, n, vocab]``). ``temperature=0`` is argmax. For the melody
        model ``num_tokens`` counts output ids: t2t's ``decode_length=D`` gives
        ``len(inputs) + D`` of them."""
        primer = self._truncated(_ids_2d(primer_ids, self.config.target_vocab, "primer ids"))
        num_tokens = _check_count(num_tokens, "num_tokens")
        sample = Sampler(_check_temperature(temperature), _check_top_k(top_k, self.config),
                         np.random.default_rng(seed))
        melody = self._inputs(inputs, primer.shape[0])
        tokens, logits = [], []
        steps = decode_steps(self.network, primer, melody, num_tokens, sample, self.context,
                             cancel)
        for token, step_logits in tqdm(steps, total=num_tokens, disable=not progress,
                                       unit="token"):
            tokens.append(token)
            logits.append(step_logits)
        batch = primer.shape[0]
        ids = np.stack(tokens, axis=1) if tokens else np.zeros((batch, 0), np.int64)
        all_logits = (np.stack(logits, axis=1) if logits
                      else np.zeros((batch, 0, self.config.target_vocab), np.float32))
        if np.asarray(primer_ids).ndim == 1:
            ids, all_logits = ids[0], all_logits[0]
        return (ids, all_logits) if return_logits else ids

    @one_blas_thread
    def generate(self, primer: SequenceLike = None, *, end_time: float | None = None,
                 num_tokens: int | None = None, temperature: float = 1.0,
                 top_k: int | None = None, seed: int | None = None,
                 melody: SequenceLike = None, cancel: Cancel = None,
                 progress: bool = True) -> music_pb2.NoteSequence:
        """The primer (encoded as the Colab does) continued until ``end_time`` seconds (default:
        30 s past the primer; the melody's end for the melody model), ``num_tokens`` ids or
        EOS. Melody model: ``melody`` in, the piano performance around it out (the Colab's
        second half). ``cancel`` (a callable or threading.Event) stops early: the piece so
        far is returned."""
        inputs = None
        if melody is not None or self.melody_conditioned:
            if melody is None:
                raise GenerationError("this is the melody-conditioned model: pass melody=")
            if not self.melody_conditioned:
                raise GenerationError("this model is unconditional: melody= needs the "
                                      "melody-conditioned checkpoint "
                                      "(melody_conditioned_model_16)")
            inputs = self.encode_melody(melody)
        primer_ids = self.encode(primer) if primer is not None else np.zeros(0, np.int64)
        primer_ids = self._truncated(primer_ids[None])[0]
        start = float(encoding.shift_steps(primer_ids).sum()) / encoding.STEPS_PER_SECOND
        if end_time is None and num_tokens is None:
            end_time = (len(inputs) / encoding.MELODY_STEPS_PER_SECOND if inputs is not None
                        else start + DEFAULT_SECONDS)
        if end_time is not None and not (math.isfinite(end_time) and end_time > start):
            raise GenerationError(f"end_time must be after the primer's end ({start:.2f} s), "
                                  f"got {end_time}")
        budget = (_check_count(num_tokens, "num_tokens") if num_tokens is not None
                  else math.ceil((end_time - start) * MAX_TOKENS_PER_SECOND) + 256)
        sample = Sampler(_check_temperature(temperature), _check_top_k(top_k, self.config),
                         np.random.default_rng(seed))
        steps = decode_steps(self.network, primer_ids[None], self._inputs(inputs, 1), budget,
                             sample, self.context, cancel)
        new, elapsed = [], start
        by_time = end_time is not None
        total = round(end_time - start, 2) if by_time else budget
        with tqdm(total=total, disable=not progress, unit="s" if by_time else "token") as bar:
            for token, _ in steps:
                new.append(int(token[0]))
                if not by_time:
                    bar.update(1)
                    continue
                before = elapsed
                elapsed += float(encoding.shift_steps(token[0])) / encoding.STEPS_PER_SECOND
                bar.update(round(min(elapsed, end_time) - before, 2))
                if elapsed >= end_time:
                    break
        return self.decode_tokens(np.concatenate([primer_ids, np.array(new, np.int64)]))


def _check_count(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or not 0 < value <= MAX_TOKENS:
        raise GenerationError(f"{name} must be an integer in 1..{MAX_TOKENS}, got {value!r}")
    return int(value)


def _check_temperature(value: float) -> float:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise GenerationError(f"temperature must be a finite number >= 0 (0: argmax), "
                              f"got {value!r}")
    return float(value)


def _check_top_k(value: int | None, config: TransformerConfig) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or not 1 <= value <= config.target_vocab:
        raise GenerationError(f"top_k must be None or an integer in 1..{config.target_vocab}, "
                              f"got {value!r}")
    return int(value)
