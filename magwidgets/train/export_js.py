"""Export a trained event RNN as a Magenta.js checkpoint folder (``config.json`` +
``weights_manifest.json`` + shards), for web apps and Magenta Studio.

Magenta.js's ``MusicRNN`` runs one-hot melody, improv and drum-kit models; its attention
wrapper reads the whole-stack placement only, spelled ``attention_output_projection``, and
takes its output from the third layer (``music_rnn/attention.ts``), so an attention model
runs there only when trained with ``--attention-wraps stack`` and three layers. magwidgets
loads every export back.
"""

from __future__ import annotations

from pathlib import Path

from magwidgets.bundles.magentajs import write_magentajs
from magwidgets.families.magentajs_specs import config_json_for
from magwidgets.train.loop import RunFolder
from magwidgets.train.rnn import NetworkSpec, magenta_variables

JS_ATTENTION_LAYERS = 3  # attention.ts takes the wrapper's output from h[2]


def js_spelling(name: str) -> str:
    """A TF variable name as Magenta.js's MusicRNN looks it up."""
    return name.replace("/attn_output_projection/", "/attention_output_projection/")


def magentajs_runs(spec: NetworkSpec) -> bool:
    """Whether Magenta.js's MusicRNN can run this network (not only magwidgets)."""
    return not spec.attention_length or (spec.attention_wraps == "stack"
                                         and len(spec.layer_sizes) == JS_ATTENTION_LAYERS)


def export_run_magentajs(run: RunFolder, out: str | Path, overwrite: bool = False) -> Path:
    """The best checkpoint of an event-RNN run as a Magenta.js folder at ``out``."""
    record = run.read_record()
    spec = NetworkSpec.from_dict(record["network"])
    weights = {js_spelling(name): value
               for name, value in magenta_variables(run.best_model(), spec).items()}
    folder = write_magentajs(weights, config_json_for(spec.config_id, spec.attention_length),
                             out, overwrite=overwrite)
    if not magentajs_runs(spec):
        print(f"note: Magenta.js runs attention only around a whole stack of "
              f"{JS_ATTENTION_LAYERS} layers; this {spec.attention_wraps}-layer attention "
              "model loads in magwidgets but not in Magenta.js")
    return folder
