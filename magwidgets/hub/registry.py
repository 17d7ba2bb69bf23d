"""Every model the hub can fetch: the published models each family lists in its ``hub.py``."""

from __future__ import annotations

from magwidgets.families import FAMILIES
from magwidgets.families.published import MAG, MAGENTAJS, TAR, HubModel

MODELS: tuple[HubModel, ...] = tuple(model for family in FAMILIES.values() for model in family.hub)

__all__ = ["MAG", "MAGENTAJS", "MODELS", "TAR", "HubModel"]
