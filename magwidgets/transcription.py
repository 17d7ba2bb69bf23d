"""Transcription helpers outside a model: Onsets and Frames' input, Magenta's log-mel."""

from magwidgets.families.onsets_frames.mel import mel_spectrogram

__all__ = ["mel_spectrogram"]
