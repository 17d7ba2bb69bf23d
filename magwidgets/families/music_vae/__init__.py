"""MusicVAE (Magenta's ``music_vae``) in NumPy: the 2-bar categorical and NADE configs, the
16-bar hierarchical melody and trio configs, and GrooVAE."""

from magwidgets.families.music_vae.configs import VAE_CONFIGS, VAEConfig
from magwidgets.families.music_vae.hub import HUB_MODELS
from magwidgets.families.music_vae.loading import load, recognizes
from magwidgets.families.music_vae.magentajs import MAGENTAJS_TYPE, vae_spec
from magwidgets.families.music_vae.model import EncodedWindow, MusicVAE, slerp
from magwidgets.families.registry import Family

FAMILY = Family(
    id="music_vae", title="MusicVAE", configs=VAE_CONFIGS, model=MusicVAE,
    recognizes=recognizes, load=load,
    summary="encodes music into a latent space, samples and interpolates; GrooVAE grooves drums",
    widget="magwidgets.families.music_vae.widget:MusicVAEWidget", hub=HUB_MODELS,
    trainer="magwidgets.train.vae_cli:train_music_vae_from_args",
    exporter="magwidgets.train.vae_cli:export_music_vae",
    magentajs_type=MAGENTAJS_TYPE, magentajs_spec=vae_spec)

__all__ = ["FAMILY", "VAE_CONFIGS", "EncodedWindow", "MusicVAE", "VAEConfig", "slerp"]
