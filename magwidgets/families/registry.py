"""The registry of model families: one :class:`Family` record per folder under ``families/``.

``load_model``, the hub, the starter models, the CLI, the Magenta.js reader and writer and the
widgets' model pickers read ``FAMILIES`` and nothing else, so adding a family is one folder
and one ``register`` call (``docs/architecture.md`` walks through it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from magwidgets.errors import BundleError
from magwidgets.families.published import HubModel


@dataclass(frozen=True)
class NamedConfig:
    """A config that is only a name: for families whose checkpoints carry every size."""

    id: str
    description: str


@dataclass(frozen=True)
class Family:
    """What magwidgets knows of one model family.

    ``recognizes(path)`` is a cheap test (no TensorFlow) that a file or folder is one of this
    family's checkpoints; ``load(path, config=None, **options)`` reads it. ``widget`` and
    ``trainer`` are ``"module:name"`` strings imported on demand, so that loading a model
    never imports ipywidgets or Keras.
    """

    id: str  # the one spelling used everywhere: "drums_rnn", "music_vae", "gansynth"
    title: str  # for people: "Drums RNN"
    configs: Mapping[str, Any]  # config id -> frozen config
    model: type  # the class ``load`` returns
    recognizes: Callable[[Path], bool]
    load: Callable[..., Any]
    summary: str = ""  # one line: what the family makes
    engine: str = ""  # families sharing an engine say which ("event_rnn")
    widget: str = ""  # "module:Class" of its widget
    hub: tuple[HubModel, ...] = ()  # the models Magenta published for it
    trainer: str = ""  # "module:function" that runs ``magwidgets train <family>``
    exporter: str = ""  # "module:function(run, record, format, out, force)": ``magwidgets export``
    magentajs_type: str = ""  # Magenta.js's model type for its folders ("MusicRNN")
    magentajs_spec: Callable[[str], dict | None] | None = field(default=None, repr=False)
    """config id -> Magenta.js ``config.json`` spec (without ``type``), None where Magenta.js
    cannot run that config."""

    def widget_class(self) -> type:
        """The family's widget class (imports the widget module)."""
        if not self.widget:
            raise BundleError(f"the {self.title} family has no widget")
        return _import(self.widget)

    def train_function(self) -> Callable[..., Any]:
        """The function behind ``magwidgets train <family>``."""
        if not self.trainer:
            raise BundleError(f"magwidgets cannot train {self.title} models yet")
        return _import(self.trainer)

    def export_function(self) -> Callable[..., Any]:
        """The function behind ``magwidgets export`` for this family's training runs."""
        if not self.exporter:
            raise BundleError(f"magwidgets cannot export {self.title} training runs")
        return _import(self.exporter)


def _import(reference: str) -> Any:
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


FAMILIES: dict[str, Family] = {}
"""Family id -> record, in registration order (the order load_model tries them in)."""


def register(family: Family) -> Family:
    """Add ``family``; its id and config ids must be new."""
    if family.id in FAMILIES:
        raise ValueError(f"family {family.id!r} is registered twice")
    taken = {config for other in FAMILIES.values() for config in other.configs}
    clashes = sorted(taken & set(family.configs))
    if clashes:
        raise ValueError(f"family {family.id!r} reuses config ids {clashes}")
    FAMILIES[family.id] = family
    return family


def family(family_id: str) -> Family:
    """The family called ``family_id``; BundleError naming the known ones otherwise."""
    try:
        return FAMILIES[family_id]
    except KeyError:
        raise BundleError(f"unknown model family {family_id!r}; known: "
                          f"{', '.join(FAMILIES)}") from None


def family_of_config(config_id: str) -> Family:
    """The family whose config ``config_id`` is; BundleError listing the configs otherwise."""
    for candidate in FAMILIES.values():
        if config_id in candidate.configs:
            return candidate
    raise BundleError(f"config '{config_id}' is not a model magwidgets can run; supported: "
                      f"{', '.join(sorted(all_configs()))}")


def all_configs(engine: str | None = None) -> dict[str, Any]:
    """Every config id -> config (of the families sharing ``engine``, if given)."""
    return {config_id: config for candidate in FAMILIES.values()
            if engine is None or candidate.engine == engine
            for config_id, config in candidate.configs.items()}


def family_of_model(model: Any) -> Family | None:
    """The family a loaded model belongs to: the one whose model class it is, else the one
    it subclasses (Improv RNN's model is a Melody RNN's too)."""
    for candidate in FAMILIES.values():
        if type(model) is candidate.model:
            return candidate
    for candidate in FAMILIES.values():
        if isinstance(model, candidate.model):
            return candidate
    return None
