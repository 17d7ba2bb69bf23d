"""Magenta 2.1.4's own GANSynth speed at the released size, for ``gansynth_speed.py``.

Run with the Python of a throwaway Magenta venv (``MAGENTA_PYTHON``; recipe in the GANSynth
fixtures README, tensorflow-gan 2.1.0 and tensorflow-hub 0.15.0 added). It builds Magenta's
``Model`` for the final stage of ``configs/mel_prog_hires`` (fmap 4096 / 256 / decay 1.0,
batch 8 as released) with random weights, then times ``generate_samples_from_z`` for one
note and for eight, and the ``--midi_file`` path (instruments, z per note, generate,
combine_notes) on the fixture score, each the median of REPEATS after a warm-up call.
Prints one JSON line: ``{"build_s": .., "one_note_s": .., "eight_notes_s": .., "midi_s": ..}``
with the CPU seconds of each (all threads) as ``one_note_cpu_s`` and so on.
Usage: ``$MAGENTA_PYTHON benchmarks/gansynth_magenta.py MIDI_FILE SECONDS_PER_INSTRUMENT``.
"""

import collections
import inspect
import json
import statistics
import sys
import time

import numpy as np

_ArgSpec = collections.namedtuple("ArgSpec", "args varargs keywords defaults")


def _getargspec(function):
    spec = inspect.getfullargspec(function)
    return _ArgSpec(spec.args, spec.varargs, spec.varkw, spec.defaults)


if not hasattr(inspect, "getargspec"):  # tensorflow-gan 2.1.0 still calls it (Python 3.11)
    inspect.getargspec = _getargspec

import tensorflow.compat.v1 as tf
import tensorflow_datasets as tfds
from magenta.models.gansynth.configs import mel_prog_hires
from magenta.models.gansynth.lib import flags as lib_flags
from magenta.models.gansynth.lib import generate_util as gu
from magenta.models.gansynth.lib import model as lib_model
from magenta.models.gansynth.lib import train_util

REPEATS = 3


def build():
    """Magenta's Model for the last stage, random weights, progress at the end of training."""
    tf.disable_v2_behavior()
    tf.logging.set_verbosity(tf.logging.ERROR)
    flags = lib_flags.Flags()
    flags.load(mel_prog_hires.hparams)
    lib_model.set_flags(flags)
    flags["tfds_data_dir"] = "/nonexistent-tfds"  # the NSynth pipeline is built, never run
    stage = train_util.get_total_num_stages(**flags) - 1
    with tfds.testing.mock_data(num_examples=1):  # Model always builds the training input
        model = lib_model.Model(stage, train_util.get_batch_size(stage, **flags), flags)
    model.sess.run(tf.global_variables_initializer())
    model.current_image_id.load(mel_prog_hires.hparams["total_num_images"], model.sess)
    return model


def median_seconds(call) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (all threads) of ``call`` after a warm-up."""
    call()
    runs = []
    for _ in range(REPEATS):
        start, cpu = time.perf_counter(), time.process_time()
        call()
        runs.append((time.perf_counter() - start, time.process_time() - cpu))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main(midi_file: str, seconds_per_instrument: float) -> None:
    start = time.perf_counter()
    model = build()
    build_s = time.perf_counter() - start
    z = np.random.RandomState(1).normal(size=[8, 256])
    pitches = [36, 48, 60, 84, 40, 52, 64, 72]
    _, notes = gu.load_midi(midi_file)

    def render():
        np.random.seed(101)
        z_instruments, t_instruments = gu.get_random_instruments(
            model, notes["end_times"][-1], secs_per_instrument=seconds_per_instrument)
        z_notes = gu.get_z_notes(notes["start_times"], z_instruments, t_instruments)
        audio = model.generate_samples_from_z(z_notes, notes["pitches"])
        gu.combine_notes(audio, notes["start_times"], notes["end_times"], notes["velocities"])

    figures = {"build_s": build_s}
    for key, call in (("one_note", lambda: model.generate_samples_from_z(z[:1], pitches[:1])),
                      ("eight_notes", lambda: model.generate_samples_from_z(z, pitches)),
                      ("midi", render)):
        figures[f"{key}_s"], figures[f"{key}_cpu_s"] = median_seconds(call)
    print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
