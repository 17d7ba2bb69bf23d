"""Model files: Magenta ``.mag`` bundles, their TF1 checkpoints, and the weights cache."""

from magwidgets.bundles.mag import Bundle, read_bundle

__all__ = ["Bundle", "read_bundle"]
