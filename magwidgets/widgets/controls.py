"""Controls made from traitlets: a slider, checkbox or text box linked both ways to a trait.

The trait is the truth (``w.temperature = 1.2`` from code moves the slider); its ``min``
and ``max`` set the slider's range, so the bounds are written once.
"""

from __future__ import annotations

from typing import Any, cast

import ipywidgets as widgets
from traitlets import Bool, Float, HasTraits, Int, Unicode

CONTROL_STYLE = {"description_width": "140px"}
CONTROL_LAYOUT = {"width": "340px"}


def control(owner: HasTraits, name: str, description: str, *, step: float | None = None,
            kind: type[widgets.Widget] | None = None, **options: Any) -> widgets.Widget:
    """A widget editing ``owner.<name>``, linked both ways; tooltip = the trait's help.

    Numbers get a slider over the trait's bounds unless ``kind`` names another widget
    (``widgets.BoundedIntText`` for a wide range)."""
    trait = owner.traits()[name]
    common: dict[str, Any] = {"description": description, "tooltip": trait.help,
                              "style": CONTROL_STYLE, "layout": dict(CONTROL_LAYOUT), **options}
    if isinstance(trait, Bool):
        common.pop("style")
        made: widgets.Widget = widgets.Checkbox(indent=False, **common)
    elif isinstance(trait, (Int, Float)):
        slider = kind or (widgets.IntSlider if isinstance(trait, Int) else widgets.FloatSlider)
        bounds = {"min": trait.min, "max": trait.max}
        if step is not None:
            bounds["step"] = step
        made = slider(continuous_update=False, **bounds, **common)
    elif isinstance(trait, Unicode):
        made = widgets.Text(continuous_update=False, **common)
    else:
        raise TypeError(f"no control for trait {name!r} of type {type(trait).__name__}")
    widgets.link((owner, name), (made, "value"))
    return made


class SeedControl(widgets.HBox):
    """"fixed seed" checkbox + number, linked to an ``Int(allow_none=True)`` seed trait:
    unchecked means a fresh random seed on every run (None)."""

    def __init__(self, owner: HasTraits, name: str = "seed") -> None:
        self._owner, self._name, self._syncing = owner, name, False
        value = getattr(owner, name)
        self.fixed = widgets.Checkbox(value=value is not None, description="fixed seed",
                                      indent=False, layout={"width": "100px"})
        self.number = widgets.BoundedIntText(value=value or 0, min=0,
                                             max=cast(Int, owner.traits()[name]).max,
                                             layout={"width": "120px"},
                                             disabled=value is None)
        super().__init__([self.fixed, self.number])
        self.fixed.observe(self._to_trait, "value")
        self.number.observe(self._to_trait, "value")
        owner.observe(self._from_trait, name)

    def _to_trait(self, change: dict[str, Any]) -> None:
        self.number.disabled = not self.fixed.value
        if not self._syncing:
            setattr(self._owner, self._name, self.number.value if self.fixed.value else None)

    def _from_trait(self, change: dict[str, Any]) -> None:
        value = change["new"]
        self._syncing = True
        try:
            if value is not None:
                self.number.value = value
            self.fixed.value = value is not None
        finally:
            self._syncing = False
