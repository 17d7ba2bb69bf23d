"""Training data for every model family: music files or a named corpus in, the encoded
examples Magenta's dataset pipelines would make out, with statistics of what was kept and
dropped and why.

    data = prepare("drum_kit", "../shared/datasets/groove-midi")
    print(data.summary())
    inputs, labels, mask = pad_batch(data.train[:64])
"""

from magwidgets.train.data.examples import Example, SparseRows, pad_batch
from magwidgets.train.data.prepare import PreparedData, prepare
from magwidgets.train.data.sources import Piece, SourceSet, read_sources
from magwidgets.train.data.stats import DataStats

__all__ = ["DataStats", "Example", "Piece", "PreparedData", "SourceSet", "SparseRows",
           "pad_batch", "prepare", "read_sources"]
