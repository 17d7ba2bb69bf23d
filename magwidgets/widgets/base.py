"""What every model widget shares: the model (and its picker), the seed, the results panel,
and buttons whose errors land in the widget as one readable line.

A button's action runs through ``_report``: a ``MagwidgetsError`` becomes the status line; an
unexpected exception is logged with its traceback and shown as a one-line message too, so
the dashboard stays usable either way.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import ipywidgets as widgets
import numpy as np
from traitlets import Any as AnyTrait
from traitlets import Int, validate

from magwidgets.errors import BundleError, MagwidgetsError
from magwidgets.loading import load_model
from magwidgets.validation import refuse_unknown
from magwidgets.widgets.model_picker import ModelPicker
from magwidgets.widgets.results import ResultsPanel

MAX_SEED = 2**31 - 1
_log = logging.getLogger(__name__)


class ModelWidget(widgets.VBox):
    """Base of the model widgets: ``model``, ``seed``, ``picker`` and ``results``."""

    model_kind: ClassVar[str] = ""  # what the widget plays, for messages: "drums_rnn models"

    model = AnyTrait(None, help="The loaded model this widget runs")
    seed = Int(None, allow_none=True, min=0, max=MAX_SEED,
               help="Random seed (variation k uses seed + k); None draws a new one each run")

    def __init__(self, *, accept: str = ".mag", picker_extras: Sequence[widgets.Widget] = (),
                 view_options: dict[str, Any] | None = None, **traits: Any) -> None:
        super().__init__(**traits)
        self.picker = ModelPicker(self._load_and_describe, self.named_models(), accept=accept,
                                  extras=picker_extras)
        self.results = ResultsPanel(view_options)

    @validate("model")
    def _check_model(self, proposal: dict[str, Any]) -> Any:
        model = proposal["value"]
        if model is not None and not self.accepts(model):
            raise BundleError(f"{type(self).__name__} plays {self.model_kind}; "
                              f"this is {model!r}")
        return model

    def apply_settings(self, settings: dict[str, Any]) -> None:
        """Set the widget's controls from keywords (``temperature=1.2``), refusing a name the
        widget has not (``temprature``) with the nearest ones, instead of storing it."""
        boxes = set(widgets.VBox.class_trait_names())
        controls = sorted(name for name in self.class_trait_names()
                          if name not in boxes and not name.startswith("_"))
        refuse_unknown(settings, controls, f"{type(self).__name__} has no setting",
                       MagwidgetsError)
        for name, value in settings.items():
            setattr(self, name, value)

    def accepts(self, model: Any) -> bool:
        """Whether this widget can play ``model`` (its family's models only)."""
        return False

    def named_models(self) -> list[tuple[str, str]]:
        """``(label, spec)`` for the picker's dropdown: the shipped starter models, then the
        model hub's (loading one downloads it once; downloaded ones are marked), of the
        kind this widget plays."""
        return []

    def load(self, spec: str | Path) -> Any:
        """Load a model (``starter:<name>``, ``hub:<name>`` or a file path) and use it.

        Raises:
            BundleError: it cannot be read, or it is not a model this widget plays.
        """
        model = self._read_model(str(spec))
        self.use(model)
        return model

    def use(self, model: Any) -> None:
        """Play ``model`` (a loaded model); BundleError if this widget cannot."""
        self.model = model

    def _read_model(self, spec: str) -> Any:
        """The model at ``spec`` (MusicVAE widgets add the checkpoint's config)."""
        return load_model(spec)

    def _load_and_describe(self, spec: str) -> str:
        model = self.load(spec)
        config = model.config.id
        return f"loaded {Path(spec).name}: {config}"  # a path's file name, or "starter:x"

    def _use_initial_model(self, model: Any) -> None:
        """The constructor's ``model``: a loaded model, a spec to load, or None."""
        if isinstance(model, (str, Path)):
            self.picker.path.value = str(model)
            self.picker.message.value = html.escape(self._load_and_describe(str(model)))
        elif model is not None:
            self.use(model)

    def require_model(self) -> Any:
        """The model, or BundleError saying how to choose one."""
        if self.model is None:
            raise BundleError("no model loaded: choose one in the model picker, type a "
                              "model file path and press Load, or upload a model file")
        return self.model

    def seeds(self, count: int) -> list[int]:
        """``count`` seeds for one run: ``seed + k``, or fresh random ones when seed is None."""
        first = self.seed if self.seed is not None else int(
            np.random.default_rng().integers(MAX_SEED - count))
        return [first + k for k in range(count)]

    def action_button(self, description: str, action: Callable[[], Any],
                      icon: str = "play") -> widgets.Button:
        """A button running ``action`` with its errors shown in the status line."""
        button = widgets.Button(description=description, icon=icon, button_style="primary")
        button.on_click(lambda _: self._report(action, button))
        return button

    def _report(self, action: Callable[[], Any], button: widgets.Button) -> None:
        button.disabled = True
        try:
            action()
        except MagwidgetsError as err:
            self.results.show_error(err)
        except Exception as err:  # a bug must not break the dashboard; keep the traceback
            _log.exception("%s failed", button.description)
            self.results.show_error(f"unexpected error ({type(err).__name__}): {err}")
        finally:
            button.disabled = False
