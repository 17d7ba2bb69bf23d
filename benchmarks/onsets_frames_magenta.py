"""Magenta 2.1.4's own Onsets and Frames speed at the MAESTRO size (random init), warm.

Run with the Python of the Magenta oracle venv (``onsets_frames_speed.py`` does that when
``MAGENTA_PYTHON`` is set); librosa 0.7.2 must be in ``$OF_PYLIB`` (see the fixtures'
``tools/README.md``). It builds the transcribe script's pipeline through the fixture
generator (``make_onsets_frames_fixtures.Graph``: WAV bytes -> librosa mel -> ``model_fn``
PREDICT -> ``predict_sequence``) in one ``tf.Session``, runs it once to warm up, then times
REPEATS runs on the given WAV. Prints JSON ``{"onsets_frames": {"median_s": ..., "all_s":
[...], "cpu_median_s": ..., "notes": n}, ...}``.

    python onsets_frames_magenta.py TOOLS_DIR WAV [config ...]
"""

from __future__ import annotations

import copy
import json
import resource
import statistics
import sys
import time

REPEATS = 3


def _cpu_seconds() -> float:
    """User + system CPU time of this process, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    tools, wav, *configs = sys.argv[1:]
    sys.path.insert(0, tools)
    import make_onsets_frames_fixtures as magenta  # applies Magenta's shims (librosa 0.7.2)
    from note_seq.protobuf import music_pb2

    example = magenta.transcribe.create_example(wav, magenta.SR, False)
    results = {}
    for name in configs or ["onsets_frames", "onsets_frames_uni"]:
        config, _ = magenta.make_config(name, {})
        hparams = copy.deepcopy(config.hparams)
        hparams.batch_size = 1
        hparams.truncated_length_secs = 0
        graph = magenta.Graph(name, config, hparams)
        graph.run(example, ["sequence_predictions"])  # warm-up: graph built, weights loaded
        seconds, cpu = [], []
        for _ in range(REPEATS):
            start, start_cpu = time.perf_counter(), _cpu_seconds()
            out = graph.run(example, ["sequence_predictions"])
            seconds.append(time.perf_counter() - start)
            cpu.append(_cpu_seconds() - start_cpu)
        notes = len(music_pb2.NoteSequence.FromString(out["sequence_predictions"][0]).notes)
        results[name] = {"median_s": statistics.median(seconds), "all_s": seconds,
                         "cpu_median_s": statistics.median(cpu),
                         "notes": notes, "parameters": int(sum(v.shape.num_elements()
                                                               for v in graph.vars))}
        graph.sess.close()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
