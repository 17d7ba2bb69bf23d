"""The music_vae models Magenta published (sources: ``magwidgets.families.published``)."""

from magwidgets.families.published import GROOVE_DATA, js, vae_tar

HUB_MODELS = (
    vae_tar("cat-mel_2bar_big", "cat-mel_2bar_big", "MusicVAE: 2-bar melodies"),
    vae_tar("hierdec-mel_16bar", "hierdec-mel_16bar", "MusicVAE: 16-bar melodies"),
    vae_tar("hierdec-trio_16bar", "hierdec-trio_16bar",
             "MusicVAE: 16-bar trios (drums, melody and bass); about 2 GB"),
    vae_tar("cat-drums_2bar_small.lokl", "cat-drums_2bar_small",
             "MusicVAE: 2-bar drums, 9 classes, trained for more realistic sampling"),
    vae_tar("cat-drums_2bar_small.hikl", "cat-drums_2bar_small",
             "MusicVAE: 2-bar drums, 9 classes, trained for better reconstruction and "
             "interpolation"),
    vae_tar("nade-drums_2bar_full", "nade-drums_2bar_full",
             "MusicVAE: 2-bar drums, 61 classes (NADE decoder)"),
    vae_tar("groovae_4bar", "groovae_4bar", "GrooVAE: 4-bar groove autoencoder", GROOVE_DATA),
    vae_tar("groovae_2bar_humanize", "groovae_2bar_humanize",
             "GrooVAE: turns a quantized, constant-velocity 2-bar drum pattern into a "
             "humanized groove", GROOVE_DATA),
    vae_tar("groovae_2bar_tap_fixed_velocity", "groovae_2bar_tap_fixed_velocity",
             "GrooVAE: turns a constant-velocity single-drum 2-bar 'tap' pattern into a groove",
             GROOVE_DATA),
    vae_tar("groovae_2bar_add_closed_hh", "groovae_2bar_add_closed_hh",
             "GrooVAE: adds (or replaces) closed hi-hat in an existing 2-bar groove",
             GROOVE_DATA),
    js("mel_2bar_small", "music_vae", "cat-mel_2bar_small", "music_vae/mel_2bar_small",
        "MusicVAE (Magenta.js): 2-bar melodies, 90 classes; smaller, less accurate", 17.7),
    js("mel_16bar_small_q2", "music_vae", "hierdec-mel_16bar", "music_vae/mel_16bar_small_q2",
        "MusicVAE (Magenta.js): 16-bar melodies with a 16-step conductor; smaller, weights "
        "quantized to 2 bytes", 23.5),
    js("drums_2bar_lokl_small", "music_vae", "cat-drums_2bar_small",
        "music_vae/drums_2bar_lokl_small",
        "MusicVAE (Magenta.js): 2-bar drums, 9 classes, strong prior (better sampling)", 18.5),
    js("drums_2bar_hikl_small", "music_vae", "cat-drums_2bar_small",
        "music_vae/drums_2bar_hikl_small",
        "MusicVAE (Magenta.js): 2-bar drums, 9 classes, weak prior (better reconstructions "
        "and interpolations)", 18.5),
    js("drums_2bar_nade_9_q2", "music_vae", "nade-drums_2bar_reduced",
        "music_vae/drums_2bar_nade_9_q2",
        "MusicVAE (Magenta.js): 2-bar drums, 9 classes, NADE decoder; weights quantized to "
        "2 bytes", 27.6),
    js("trio_16bar_xl", "music_vae", "hierdec-trio_16bar", "music_vae/trio_16bar",
        "MusicVAE (Magenta.js): 16-bar trios (melody, bass, drums), very large", 1710.0),
    js("groovae_2bar_humanize", "music_vae", "groovae_2bar_humanize",
        "music_vae/groovae_2bar_humanize",
        "GrooVAE (Magenta.js): humanizes a quantized, constant-velocity 2-bar drum pattern",
        15.8, GROOVE_DATA),
    js("groovae_4bar", "music_vae", "groovae_4bar", "music_vae/groovae_4bar",
        "GrooVAE (Magenta.js): 4-bar groove autoencoder", 15.8, GROOVE_DATA),
    js("tap2drum_2bar", "music_vae", "groovae_2bar_tap_fixed_velocity", "groovae/tap2drum_2bar",
        "GrooVAE (Magenta.js): turns a constant-velocity single-drum 2-bar 'tap' pattern "
        "into a groove", 15.6, GROOVE_DATA),
)
