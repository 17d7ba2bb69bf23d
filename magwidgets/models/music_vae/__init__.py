"""MusicVAE (Magenta's ``music_vae``) in NumPy: the categorical 2-bar melody and drum configs
and GrooVAE (``groovae_2bar_humanize``, ``groovae_2bar_tap_fixed_velocity``)."""

from magwidgets.models.music_vae.configs import VAE_CONFIGS, VAEConfig
from magwidgets.models.music_vae.model import MusicVAE, slerp

__all__ = ["VAE_CONFIGS", "MusicVAE", "VAEConfig", "slerp"]
