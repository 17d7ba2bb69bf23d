"""Choosing a model: a named model (shipped starter models, the model hub), a file path, or
an uploaded model file. Loading is the owner widget's; the picker only says what to load
and shows why a load failed, leaving the previous model in place.
"""

from __future__ import annotations

import html
import re
import tempfile
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from magwidgets.errors import BundleError, MagwidgetsError
from magwidgets.starter import PREFIX as STARTER_PREFIX
from magwidgets.starter import starter_models
from magwidgets.widgets.primer_input import error_html
from magwidgets.widgets.uploads import MAX_MODEL_BYTES, uploaded_file

Loader = Callable[[str], str]
"""Loads a model spec (``starter:<name>``, ``hub:<name>`` or a path) into the owner widget
and returns a one-line description of it; raises MagwidgetsError when it cannot."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def named_models(configs: Collection[str], hub_choices: list[tuple[str, str]]
                 ) -> list[tuple[str, str]]:
    """``(label, spec)`` for a picker's dropdown: the shipped starter models of these
    configs (no download needed), then ``hub_choices``."""
    shipped = [(f"{model.name} — starter model ({model.config}), no download",
                f"{STARTER_PREFIX}{model.name}")
               for model in starter_models() if model.config in configs]
    return shipped + hub_choices


class ModelPicker(widgets.VBox):
    """Dropdown of named models, a path box with Load, and a model-file upload."""

    def __init__(self, load: Loader, named: Sequence[tuple[str, str]] = (), *,
                 accept: str = ".mag", extras: Sequence[widgets.Widget] = (),
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._load = load
        self._folder = tempfile.TemporaryDirectory(prefix="magwidgets-upload-")
        self.named = widgets.Dropdown(options=[("choose a model…", ""), *named],
                                      description="Model", layout={"width": "420px"})
        self.named.observe(self._load_named, "value")
        self.path = widgets.Text(placeholder="or a model file path", layout={"width": "320px"})
        self.load_button = widgets.Button(description="Load", icon="folder-open",
                                          layout={"width": "80px"})
        self.load_button.on_click(lambda _: self.load(self.path.value.strip()))
        self.upload = widgets.FileUpload(accept=accept, multiple=False,
                                         description="Upload model")
        self.upload.observe(self._load_upload, "value")
        self.message = widgets.HTML()
        rows = [widgets.HBox([self.path, *extras, self.load_button, self.upload])]
        if named:
            rows.insert(0, self.named)
        self.children = (*rows, self.message)

    def load(self, spec: str) -> bool:
        """Load ``spec`` through the owner; say what was loaded, or why not. True if loaded."""
        if not spec:
            self.message.value = error_html("type a model file path first")
            return False
        self.message.value = html.escape(f"loading {spec}…")  # a hub model may download
        try:
            described = self._load(spec)
        except MagwidgetsError as err:
            self.message.value = error_html(err)
            return False
        self.message.value = html.escape(described)
        return True

    def _load_named(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.load(change["new"])

    def _load_upload(self, change: dict[str, Any]) -> None:
        if not change["new"]:
            return
        try:
            name, data = uploaded_file(change["new"], max_bytes=MAX_MODEL_BYTES,
                                       what="model file", error=BundleError)
        except BundleError as err:
            self.message.value = error_html(err)
            return
        path = Path(self._folder.name) / (_UNSAFE.sub("_", name) or "model")
        path.write_bytes(data)
        self.load(str(path))
