"""The models Magenta published, as data (name, format, family, config, URL, size): the record
each family's ``hub.py`` lists its entries with, and the helpers that spell the URLs.

Sources (checked, not guessed):

- ``.mag`` bundles: the "Pre-trained" sections of Magenta's model READMEs (drums_rnn,
  melody_rnn, polyphony_rnn, performance_rnn, improv_rnn) and note-seq's
  ``notebook_utils.download_bundle`` link them as ``http://download.magenta.tensorflow.org/
  models/<name>.mag``. That host is the Cloud Storage bucket ``download.magenta.tensorflow.org``,
  which Magenta's own code also reads over HTTPS as ``https://storage.googleapis.com/
  download.magenta.tensorflow.org/...``; the hub uses that HTTPS form. Magenta publishes no
  sizes for them.
- MusicVAE / GrooVAE ``.tar`` checkpoints: the "Pre-trained Checkpoints" table of
  ``magenta/models/music_vae/README.md`` (IDs, configs, descriptions, URLs).
- Magenta.js folders: ``music/checkpoints/checkpoints.json`` of magenta-js (IDs, URLs,
  descriptions, ``size_mb``).

Only models whose config the engine runs are listed: not ``pianoroll_rnn_nade`` (.mag),
``rl_rnn`` (.mag), ``groovae_2bar_hits_control`` (.tar), nor the Magenta.js 4-bar melody and
drum, chord-conditioned, multitrack, 1/3/4-bar tap2drum and transcription checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

MAG, TAR, MAGENTAJS = "mag", "tar", "magentajs"

_BUNDLES = "https://storage.googleapis.com/download.magenta.tensorflow.org/models/"
_VAE_TARS = "https://storage.googleapis.com/magentadata/models/music_vae/checkpoints/"
_JS = "https://storage.googleapis.com/magentadata/js/checkpoints/"
_LICENCE = ("Published by Google Magenta, whose code is Apache-2.0; Magenta states no "
            "separate licence for the weights.")
GROOVE_DATA = " Trained on the Groove MIDI Dataset (CC BY 4.0)."


@dataclass(frozen=True)
class HubModel:
    """One published model: what it is, where it lives and how the engine loads it.

    ``kind`` is ``"mag"`` (a generator bundle), ``"tar"`` (a MusicVAE checkpoint) or
    ``"magentajs"`` (a folder: ``config.json`` + ``weights_manifest.json`` + shards);
    ``url`` is the file's URL, or the folder's for Magenta.js. ``size_mb`` is the size
    Magenta publishes, None where it publishes none.
    """

    name: str
    kind: str
    family: str
    config: str
    url: str
    description: str
    size_mb: float | None = None
    licence: str = _LICENCE

    @property
    def filename(self) -> str:
        """The name of the cached file (or folder, for Magenta.js)."""
        return {MAG: f"{self.name}.mag", TAR: f"{self.name}.tar"}.get(self.kind, self.name)

    @property
    def load_config(self) -> str | None:
        """The ``config`` to pass to ``load_model``: None for a ``.mag``, whose generator id
        names its config (and tells compact Performance RNN bundles apart)."""
        return None if self.kind == MAG else self.config


def bundle(name: str, family: str, config: str, description: str) -> HubModel:
    """A ``.mag`` generator bundle."""
    return HubModel(name, MAG, family, config, f"{_BUNDLES}{name}.mag", description)


def vae_tar(name: str, config: str, description: str, extra: str = "") -> HubModel:
    """A MusicVAE checkpoint ``.tar``."""
    return HubModel(name, TAR, "music_vae", config, f"{_VAE_TARS}{name}.tar", description,
                    licence=_LICENCE + extra)


def js(name: str, family: str, config: str, folder: str, description: str,
       size_mb: float, extra: str = "") -> HubModel:
    """A Magenta.js checkpoint folder, listed as ``<name>-js``."""
    return HubModel(f"{name}-js", MAGENTAJS, family, config, f"{_JS}{folder}", description,
                    size_mb, _LICENCE + extra)


