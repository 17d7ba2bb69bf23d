"""Every exception magwidgets raises on purpose, in one place.

Each subclasses ``ValueError`` (bad input) so callers that already catch that keep working,
and each message says what was expected and what came in.
"""

from __future__ import annotations


class MagwidgetsError(ValueError):
    """Base class of all magwidgets errors."""


class BundleError(MagwidgetsError):
    """A model file cannot be read: not a bundle, truncated, corrupt or of an unknown family."""


class HubError(BundleError):
    """A hub model cannot be fetched: the server is unreachable or answers an error, the file
    is over the size cap, or what came back does not parse (the message names the URL and
    the local path where a copy can be placed by hand)."""


class PrimerError(MagwidgetsError):
    """The primer cannot be used by this model (polyphonic, too long, several tracks ...)."""


class GenerationError(MagwidgetsError):
    """Generation arguments are invalid (end before start, temperature <= 0, absurd sizes ...)."""


class SynthesisError(MagwidgetsError):
    """Audio cannot be rendered with the requested backend (no libfluidsynth or soundfont)."""


class RenderError(MagwidgetsError):
    """A pianoroll cannot be drawn or exported as asked (bad option, no Chromium for PNG/SVG)."""


class DataError(MagwidgetsError):
    """Training data cannot be prepared: a missing folder, an unknown corpus or config, or
    sources from which no usable example could be extracted (the message says why)."""


class GenerationCancelled(GenerationError):
    """A long generation (an NSynth decode) was stopped by its ``cancel`` callable or event;
    ``partial`` holds what was generated up to then."""

    def __init__(self, message: str, partial: object = None) -> None:
        super().__init__(message)
        self.partial = partial
