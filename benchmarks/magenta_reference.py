"""Magenta 2.1.4's own generation speed on the full-size bundles, for a side-by-side ratio.

Run it with the Python of a throwaway Magenta venv (recipe: the fixtures README,
``../shared/fixtures/magenta-oracle/README.md``); ``event_rnn_speed.py`` does that itself
when ``MAGENTA_PYTHON`` names that interpreter. It measures what ``event_rnn_speed.py``
measures -- the whole ``generate`` call from an empty primer, divided by the steps (64, or
500 time steps of 10 ms for performance), median of 7 after a warm-up -- with the graph batch set to beam_size x branch_factor
as Magenta's generate scripts set it (for polyphony "steps" are time steps, each of which
takes several RNN steps in both implementations), and prints JSON:
``{"drum_kit": {"1x1": ms, "4x2": ms}, ...}``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from magenta.models.drums_rnn import drums_rnn_model, drums_rnn_sequence_generator
from magenta.models.melody_rnn import melody_rnn_model, melody_rnn_sequence_generator
from magenta.models.performance_rnn import performance_model, performance_sequence_generator
from magenta.models.polyphony_rnn import polyphony_model, polyphony_sequence_generator
from magenta.models.shared import sequence_generator_bundle
from note_seq.protobuf import generator_pb2, music_pb2

FULL_SIZE = Path(__file__).resolve().parents[1].parent / "shared/fixtures/magenta-oracle/full-size"
REPEATS = 7
# Steps generated per bundle (event_rnn_speed.py uses the same) and (beam_size,
# branch_factor) settings; Magenta's polyphony fails with beam 4 x branch 2.
STEPS = {"drum_kit": 64, "attention_rnn": 64, "polyphony": 64, "performance_with_dynamics": 500}
SETTINGS = {"drum_kit": ((1, 1), (4, 2)), "attention_rnn": ((1, 1), (4, 2)),
            "polyphony": ((1, 1),), "performance_with_dynamics": ((1, 1), (4, 2))}
MODULES = {"drum_kit": (drums_rnn_model, drums_rnn_sequence_generator),
           "attention_rnn": (melody_rnn_model, melody_rnn_sequence_generator),
           "polyphony": (polyphony_model, polyphony_sequence_generator),
           "performance_with_dynamics": (performance_model, performance_sequence_generator)}


def _generator(name: str, beam_size: int, branch_factor: int):
    """Magenta's own generator for the bundle, built by its generator map, and the
    seconds per step of its config."""
    configs, generators = MODULES[name]
    config = configs.default_configs[name]
    config.hparams.batch_size = beam_size * branch_factor
    bundle = sequence_generator_bundle.read_bundle_file(str(FULL_SIZE / f"{name}.mag"))
    generator = generators.get_generator_map()[name](checkpoint=None, bundle=bundle)
    generator.initialize()
    steps_per_second = getattr(config, "steps_per_second", None) if name.startswith(
        "performance") else None
    return generator, (1.0 / steps_per_second if steps_per_second
                       else 60.0 / 120 / config.steps_per_quarter)


def ms_per_step(name: str, beam_size: int, branch_factor: int) -> float:
    generator, seconds_per_step = _generator(name, beam_size, branch_factor)
    steps = STEPS[name]
    options = generator_pb2.GeneratorOptions()
    options.args["temperature"].float_value = 1.0
    options.args["beam_size"].int_value = beam_size
    options.args["branch_factor"].int_value = branch_factor
    options.args["steps_per_iteration"].int_value = 1
    # start one step in (Magenta needs a non-empty primer track), then STEPS steps
    options.generate_sections.add(start_time=0.001, end_time=(steps + 1) * seconds_per_step)

    empty = music_pb2.NoteSequence()
    empty.tempos.add(qpm=120)  # Magenta's polyphony generator needs a tempo to render

    def once() -> float:
        start = time.perf_counter()
        generator.generate(empty, options)
        return (time.perf_counter() - start) * 1e3 / steps

    once()
    return statistics.median(once() for _ in range(REPEATS))


if __name__ == "__main__":
    figures = {name: {f"{b}x{f}": ms_per_step(name, b, f) for b, f in SETTINGS[name]}
               for name in MODULES}
    json.dump(figures, sys.stdout)
