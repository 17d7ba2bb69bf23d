"""The starter models shipped inside the package: small models trained on openly licensed
music, so the widgets and dashboards make music with no download.

Each lives in ``models/<name>/``: ``meta.json`` (its name, family, config and model ``file``), the
model (a Magenta.js checkpoint folder, read with NumPy alone, or a ``.mag`` / MusicVAE
checkpoint), ``card.md`` (data, licence, training, evaluation) and ``sample.png``.
``scripts/train_starter_models.py`` rebuilds the event-RNN ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from magwidgets.errors import BundleError

MODELS = Path(__file__).parent / "models"
PREFIX = "starter:"
META = "meta.json"


@dataclass(frozen=True)
class StarterModel:
    """One shipped model: ``mw.load_model(f"starter:{name}")`` loads it."""

    name: str
    family: str  # a family id: drums_rnn, melody_rnn, ..., music_vae
    config: str
    card_path: Path
    model_path: Path

    @property
    def card(self) -> str:
        """The model card (markdown)."""
        return self.card_path.read_text(encoding="utf-8")


def _read(folder: Path) -> StarterModel:
    meta = json.loads((folder / META).read_text(encoding="utf-8"))
    return StarterModel(name=folder.name, family=meta["family"], config=meta["config"],
                        card_path=folder / "card.md", model_path=folder / meta["file"])


def starter_models() -> list[StarterModel]:
    """Every shipped starter model, by name."""
    if not MODELS.is_dir():
        return []
    return [_read(folder) for folder in sorted(MODELS.iterdir()) if (folder / META).is_file()]


def starter_model(name: str) -> StarterModel:
    """The starter model called ``name``; BundleError naming the available ones if none is."""
    folder = MODELS / name
    if not name or "/" in name or not (folder / META).is_file():
        available = ", ".join(model.name for model in starter_models()) or "none installed"
        raise BundleError(f"no starter model named {name!r}; available: {available}")
    return _read(folder)
