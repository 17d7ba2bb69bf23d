"""MusicVAE (Magenta's ``music_vae``) in NumPy: the 2-bar categorical and NADE configs, the
16-bar hierarchical melody and trio configs, and GrooVAE."""

from magwidgets.models.music_vae.configs import VAE_CONFIGS, VAEConfig
from magwidgets.models.music_vae.model import EncodedWindow, MusicVAE, slerp

__all__ = ["VAE_CONFIGS", "EncodedWindow", "MusicVAE", "VAEConfig", "slerp"]
