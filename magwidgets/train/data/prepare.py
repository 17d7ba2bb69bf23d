"""``prepare``: a config id and a source in, train / eval (/ test) examples and statistics out."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from magwidgets.errors import DataError
from magwidgets.families import EVENT_RNN_CONFIGS as CONFIGS
from magwidgets.families.music_vae.configs import VAE_CONFIGS
from magwidgets.train.data.examples import Example
from magwidgets.train.data.extract import Tally
from magwidgets.train.data.rnn import RnnPipeline
from magwidgets.train.data.sources import SUFFIXES, Piece, SourceSet, read_sources
from magwidgets.train.data.stats import DataStats
from magwidgets.train.data.vae import VaePipeline


@dataclass
class PreparedData:
    """Examples for one config, split by piece, with what was kept and dropped.

    ``input_size`` is the width of an input row (1 for index inputs); ``output_size`` the
    number of target classes (event-RNN, categorical MusicVAE) or GrooVAE's 27 values.
    ``test`` is filled only when the source has its own test split (Groove MIDI)."""

    config_id: str
    input_size: int
    output_size: int
    index_inputs: bool
    stats: DataStats
    train: list[Example] = field(default_factory=list)
    eval: list[Example] = field(default_factory=list)
    test: list[Example] = field(default_factory=list)

    def summary(self) -> str:
        return self.stats.summary()


def pipeline_for(config_id: str) -> RnnPipeline | VaePipeline:
    """The example pipeline of an event-RNN or MusicVAE config; DataError if unknown."""
    if config_id in CONFIGS:
        return RnnPipeline(CONFIGS[config_id])
    if config_id in VAE_CONFIGS:
        return VaePipeline(VAE_CONFIGS[config_id])
    raise DataError(
        f"unknown config {config_id!r}; expected an event-RNN config "
        f"({', '.join(sorted(CONFIGS))}) or a MusicVAE config ({', '.join(sorted(VAE_CONFIGS))})")


def assign_splits(pieces: list[Piece], eval_fraction: float, seed: int) -> list[str]:
    """The split of each piece: its data set's own, else a seeded random ``eval_fraction``
    of the pieces (at least one when there are two or more) for eval, the rest for train."""
    if not 0.0 <= eval_fraction < 1.0:
        raise DataError(f"eval_fraction must be in [0, 1), got {eval_fraction!r}")
    free = [i for i, piece in enumerate(pieces) if piece.split is None]
    count = round(len(free) * eval_fraction)
    if eval_fraction > 0 and len(free) >= 2:
        count = max(count, 1)
    held_out = set(random.Random(seed).sample(free, count))
    return [piece.split or ("eval" if i in held_out else "train")
            for i, piece in enumerate(pieces)]


def prepare(config_id: str, source: str | Path | SourceSet, *, eval_fraction: float = 0.1,
            seed: int = 0, max_files: int | None = None) -> PreparedData:
    """Training examples for ``config_id`` from ``source`` (a folder, a named corpus such as
    ``music21:bach``, or a ``SourceSet`` already read), by Magenta's rules for its family.

    Pieces (a file, or a tune of a multi-tune file) go whole to one split, so transposed or
    stretched copies never leak from train into eval. ``max_files`` limits the files read
    (see ``read_sources``; not used when ``source`` is a SourceSet). Raises DataError when
    the config is unknown, the source is missing, or no example could be extracted (saying
    how many files were read and why each kind was dropped).
    """
    pipeline = pipeline_for(config_id)
    sources = source if isinstance(source, SourceSet) else read_sources(
        source, max_files=max_files)
    stats = DataStats(config=config_id, source=sources.source, files_read=sources.files_read,
                      files_skipped=sources.files_skipped.copy())
    data = PreparedData(config_id, pipeline.input_size, pipeline.output_size,
                        pipeline.index_inputs, stats)
    tally = Tally()
    splits = assign_splits(sources.pieces, eval_fraction, seed)
    for piece, split in zip(sources.pieces, splits):
        stats.pieces_per_split[split] += 1
        examples = getattr(data, split)
        for example, augmented in pipeline(piece.sequence, split == "train", tally):
            examples.append(example)
            stats.examples[split] += 1
            stats.augmented[split] += augmented
    stats.dropped, stats.cut_up, stats.truncated = tally.dropped, tally.cut_up, tally.truncated
    if not data.train and not data.eval and not data.test:
        raise DataError(f"no training examples for {config_id} could be made from "
                        f"{sources.source}:\n{_reasons(stats)}")
    return data


def _reasons(stats: DataStats) -> str:
    lines = [f"read {stats.files_read} files, {stats.files_used} usable, "
             f"{stats.pieces} pieces"]
    lines += [f"skipped {count} files: {reason}"
              for reason, count in stats.files_skipped.most_common()]
    lines += [f"dropped {count}: {reason}" for reason, count in stats.dropped.most_common()]
    if stats.files_read == 0:
        lines.append(f"no music files found (expected {', '.join(SUFFIXES)})")
    return "\n".join(f"  {line}" for line in lines)
