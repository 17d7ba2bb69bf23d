"""The engine the five event-RNN families share (Magenta's ``EventSequenceRNNModel``): an LSTM
over one-hot events, sampling and beam search, ``.mag`` bundles and Magenta.js MusicRNN folders.
"""

from __future__ import annotations

from collections.abc import Mapping

from magwidgets.families.event_rnn.config import RnnConfig
from magwidgets.families.event_rnn.loading import ENGINE, load, recognizes
from magwidgets.families.event_rnn.magentajs import MAGENTAJS_TYPE, rnn_spec
from magwidgets.families.event_rnn.model import EventRNN, Generation
from magwidgets.families.published import HubModel
from magwidgets.families.registry import Family

TRAINER = "magwidgets.train.cli:train_event_rnn_from_args"
EXPORTER = "magwidgets.train.cli:export_event_rnn_run"


def event_rnn_family(family_id: str, title: str, configs: Mapping[str, RnnConfig],
                     model: type[EventRNN], hub: tuple[HubModel, ...], *, summary: str,
                     widget: str) -> Family:
    """The registry record of an event-RNN family: the shared loader, trainer and
    Magenta.js mapping, with the family's own configs, model class, hub entries and widget."""
    return Family(id=family_id, title=title, configs=configs, model=model,
                  recognizes=recognizes, load=load, summary=summary, engine=ENGINE,
                  widget=widget, hub=hub, trainer=TRAINER, exporter=EXPORTER,
                  magentajs_type=MAGENTAJS_TYPE, magentajs_spec=rnn_spec)


__all__ = ["EventRNN", "Generation", "RnnConfig", "event_rnn_family"]
