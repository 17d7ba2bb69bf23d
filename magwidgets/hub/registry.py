"""The models Magenta published, as data: name, format, family and config, URLs, size.

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
_GROOVE_DATA = " Trained on the Groove MIDI Dataset (CC BY 4.0)."


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


def _bundle(name: str, family: str, config: str, description: str) -> HubModel:
    return HubModel(name, MAG, family, config, f"{_BUNDLES}{name}.mag", description)


def _vae_tar(name: str, config: str, description: str, extra: str = "") -> HubModel:
    return HubModel(name, TAR, "music_vae", config, f"{_VAE_TARS}{name}.tar", description,
                    licence=_LICENCE + extra)


def _js(name: str, family: str, config: str, folder: str, description: str, size_mb: float,
        extra: str = "") -> HubModel:
    return HubModel(f"{name}-js", MAGENTAJS, family, config, f"{_JS}{folder}", description,
                    size_mb, _LICENCE + extra)


_MELODY = "Melody RNN pre-trained on thousands of MIDI files"
_PERFORMANCE = "Performance RNN pre-trained on the Yamaha e-Piano Competition performances"

MODELS: tuple[HubModel, ...] = (
    _bundle("drum_kit_rnn", "drums_rnn", "drum_kit",
            "Drums RNN: 9-piece drum kit (kick, snare, hi-hats, toms, cymbals) with attention"),
    _bundle("basic_rnn", "melody_rnn", "basic_rnn", f"{_MELODY}: one-hot melody encoding"),
    _bundle("mono_rnn", "melody_rnn", "mono_rnn",
            f"{_MELODY}: basic encoding over the full MIDI pitch range"),
    _bundle("lookback_rnn", "melody_rnn", "lookback_rnn",
            f"{_MELODY}: lookback encoding, repeats phrases one and two bars back"),
    _bundle("attention_rnn", "melody_rnn", "attention_rnn",
            f"{_MELODY}: attention over the last steps, for longer-term structure"),
    _bundle("polyphony_rnn", "polyphony_rnn", "polyphony",
            "Polyphony RNN pre-trained on Bach chorales"),
    _bundle("performance", "performance_rnn", "performance",
            f"{_PERFORMANCE}: expressive timing, no velocities"),
    _bundle("performance_with_dynamics", "performance_rnn", "performance_with_dynamics",
            f"{_PERFORMANCE}: expressive timing and velocities in 32 bins"),
    _bundle("performance_with_dynamics_and_modulo_encoding", "performance_rnn",
            "performance_with_dynamics_and_modulo_encoding",
            f"{_PERFORMANCE}: dynamics, event values encoded on the unit circle"),
    _bundle("density_conditioned_performance_with_dynamics", "performance_rnn",
            "density_conditioned_performance_with_dynamics",
            f"{_PERFORMANCE}: conditioned on notes per second"),
    _bundle("pitch_conditioned_performance_with_dynamics", "performance_rnn",
            "pitch_conditioned_performance_with_dynamics",
            f"{_PERFORMANCE}: conditioned on a pitch-class histogram"),
    _bundle("multiconditioned_performance_with_dynamics", "performance_rnn",
            "multiconditioned_performance_with_dynamics",
            f"{_PERFORMANCE}: conditioned on note density and pitch classes"),
    _bundle("chord_pitches_improv", "improv_rnn", "chord_pitches_improv",
            "Improv RNN pre-trained on thousands of MIDI files: melodies over chords, "
            "chords encoded by their pitches"),
    _vae_tar("cat-mel_2bar_big", "cat-mel_2bar_big", "MusicVAE: 2-bar melodies"),
    _vae_tar("hierdec-mel_16bar", "hierdec-mel_16bar", "MusicVAE: 16-bar melodies"),
    _vae_tar("hierdec-trio_16bar", "hierdec-trio_16bar",
             "MusicVAE: 16-bar trios (drums, melody and bass); about 2 GB"),
    _vae_tar("cat-drums_2bar_small.lokl", "cat-drums_2bar_small",
             "MusicVAE: 2-bar drums, 9 classes, trained for more realistic sampling"),
    _vae_tar("cat-drums_2bar_small.hikl", "cat-drums_2bar_small",
             "MusicVAE: 2-bar drums, 9 classes, trained for better reconstruction and "
             "interpolation"),
    _vae_tar("nade-drums_2bar_full", "nade-drums_2bar_full",
             "MusicVAE: 2-bar drums, 61 classes (NADE decoder)"),
    _vae_tar("groovae_4bar", "groovae_4bar", "GrooVAE: 4-bar groove autoencoder", _GROOVE_DATA),
    _vae_tar("groovae_2bar_humanize", "groovae_2bar_humanize",
             "GrooVAE: turns a quantized, constant-velocity 2-bar drum pattern into a "
             "humanized groove", _GROOVE_DATA),
    _vae_tar("groovae_2bar_tap_fixed_velocity", "groovae_2bar_tap_fixed_velocity",
             "GrooVAE: turns a constant-velocity single-drum 2-bar 'tap' pattern into a groove",
             _GROOVE_DATA),
    _vae_tar("groovae_2bar_add_closed_hh", "groovae_2bar_add_closed_hh",
             "GrooVAE: adds (or replaces) closed hi-hat in an existing 2-bar groove",
             _GROOVE_DATA),
    _js("mel_2bar_small", "music_vae", "cat-mel_2bar_small", "music_vae/mel_2bar_small",
        "MusicVAE (Magenta.js): 2-bar melodies, 90 classes; smaller, less accurate", 17.7),
    _js("mel_16bar_small_q2", "music_vae", "hierdec-mel_16bar", "music_vae/mel_16bar_small_q2",
        "MusicVAE (Magenta.js): 16-bar melodies with a 16-step conductor; smaller, weights "
        "quantized to 2 bytes", 23.5),
    _js("drums_2bar_lokl_small", "music_vae", "cat-drums_2bar_small",
        "music_vae/drums_2bar_lokl_small",
        "MusicVAE (Magenta.js): 2-bar drums, 9 classes, strong prior (better sampling)", 18.5),
    _js("drums_2bar_hikl_small", "music_vae", "cat-drums_2bar_small",
        "music_vae/drums_2bar_hikl_small",
        "MusicVAE (Magenta.js): 2-bar drums, 9 classes, weak prior (better reconstructions "
        "and interpolations)", 18.5),
    _js("drums_2bar_nade_9_q2", "music_vae", "nade-drums_2bar_reduced",
        "music_vae/drums_2bar_nade_9_q2",
        "MusicVAE (Magenta.js): 2-bar drums, 9 classes, NADE decoder; weights quantized to "
        "2 bytes", 27.6),
    _js("trio_16bar_xl", "music_vae", "hierdec-trio_16bar", "music_vae/trio_16bar",
        "MusicVAE (Magenta.js): 16-bar trios (melody, bass, drums), very large", 1710.0),
    _js("groovae_2bar_humanize", "music_vae", "groovae_2bar_humanize",
        "music_vae/groovae_2bar_humanize",
        "GrooVAE (Magenta.js): humanizes a quantized, constant-velocity 2-bar drum pattern",
        15.8, _GROOVE_DATA),
    _js("groovae_4bar", "music_vae", "groovae_4bar", "music_vae/groovae_4bar",
        "GrooVAE (Magenta.js): 4-bar groove autoencoder", 15.8, _GROOVE_DATA),
    _js("tap2drum_2bar", "music_vae", "groovae_2bar_tap_fixed_velocity", "groovae/tap2drum_2bar",
        "GrooVAE (Magenta.js): turns a constant-velocity single-drum 2-bar 'tap' pattern "
        "into a groove", 15.6, _GROOVE_DATA),
    _js("basic_rnn", "melody_rnn", "basic_rnn", "music_rnn/basic_rnn",
        "Melody RNN (Magenta.js), converted from basic_rnn.mag", 13.0),
    _js("melody_rnn", "melody_rnn", "mono_rnn", "music_rnn/melody_rnn",
        "Melody RNN (Magenta.js) over all 128 MIDI pitches (run as mono_rnn)", 13.4),
    _js("drum_kit_rnn", "drums_rnn", "drum_kit", "music_rnn/drum_kit_rnn",
        "Drums RNN (Magenta.js), converted from drum_kit_rnn.mag", 11.9),
    _js("chord_pitches_improv", "improv_rnn", "chord_pitches_improv",
        "music_rnn/chord_pitches_improv",
        "Improv RNN (Magenta.js) over chords, converted from chord_pitches_improv.mag", 5.6),
)
