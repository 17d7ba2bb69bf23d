"""Check by hand that Magenta 2.1.4 itself loads our exported .mag bundles and generates from
them exactly what magwidgets generates.

Needs a Magenta 2.1.4 venv (tensorflow-cpu 2.15.1, magenta --no-deps; see the oracle
fixtures' README), so it is not part of the test suite:

    .venv/bin/python scripts/check_magenta_loads_export.py model.mag [more.mag ...] \\
        --magenta-python /tmp/magenta-venv/bin/python

For each bundle it takes the Magenta oracle fixture's primer and generate arguments for the
bundle's config (../shared/fixtures/magenta-oracle/rnn/<config>/: plain sampling and beam
search, temperature 1e-4, i.e. near-argmax), runs Magenta's own sequence generator on the
bundle (``get_generator_map()[id](checkpoint=None, bundle=...)``, in the Magenta venv), runs
``magwidgets.load_model(bundle).generate`` with the same arguments, and compares the notes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORACLE = ROOT.parent / "shared" / "fixtures" / "magenta-oracle" / "rnn"
RUNS = ("plain", "beam")
GENERATORS = {  # Magenta generator module of each family
    "drums_rnn": "magenta.models.drums_rnn.drums_rnn_sequence_generator",
    "melody_rnn": "magenta.models.melody_rnn.melody_rnn_sequence_generator",
    "polyphony_rnn": "magenta.models.polyphony_rnn.polyphony_sequence_generator",
    "performance_rnn": "magenta.models.performance_rnn.performance_sequence_generator",
    "improv_rnn": "magenta.models.improv_rnn.improv_rnn_sequence_generator",
}


def magenta_generate(jobs: list[dict]) -> None:
    """Inside the Magenta venv: generate each job with Magenta and write its textproto."""
    import importlib

    from google.protobuf import text_format
    from magenta.models.shared import sequence_generator_bundle
    from note_seq.protobuf import generator_pb2, music_pb2

    for job in jobs:
        bundle = sequence_generator_bundle.read_bundle_file(job["bundle"])
        module = importlib.import_module(GENERATORS[job["family"]])
        generator = module.get_generator_map()[bundle.generator_details.id](
            checkpoint=None, bundle=bundle)
        generator.initialize()
        primer = text_format.Parse(Path(job["primer"]).read_text(), music_pb2.NoteSequence())
        options = generator_pb2.GeneratorOptions()
        arguments = job["arguments"]
        options.args["temperature"].float_value = arguments["temperature"]
        for name in ("beam_size", "branch_factor", "steps_per_iteration"):
            options.args[name].int_value = arguments[name]
        options.generate_sections.add(start_time=arguments["start_time"],
                                      end_time=arguments["end_time"])
        generated = generator.generate(primer, options)
        Path(job["out"]).write_text(text_format.MessageToString(generated))
        generator.close()
        print(f"magenta: {job['bundle']} {job['run']}: {len(generated.notes)} notes", flush=True)


def _notes(sequence) -> list[tuple]:
    return sorted((n.pitch, n.velocity, round(n.start_time, 4), round(n.end_time, 4), n.is_drum)
                  for n in sequence.notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundles", nargs="*", type=Path)
    parser.add_argument("--magenta-python", default="/tmp/magenta-venv/bin/python")
    parser.add_argument("--jobs", type=Path, help=argparse.SUPPRESS)  # the Magenta-side call
    args = parser.parse_args()
    if args.jobs:
        magenta_generate(json.loads(args.jobs.read_text()))
        return

    sys.path.insert(0, str(ROOT))
    from google.protobuf import text_format
    from note_seq.protobuf import music_pb2

    import magwidgets as mw

    with tempfile.TemporaryDirectory(prefix="magenta-check-") as folder:
        jobs = []
        for bundle in args.bundles:
            model = mw.load_model(bundle)
            fixture = ORACLE / model.config.id
            meta = json.loads((fixture / "meta.json").read_text())
            for run in RUNS:
                jobs.append({"bundle": str(bundle.resolve()), "family": model.config.family,
                             "config": model.config.id, "run": run,
                             "primer": str(fixture / "primer.textproto"),
                             "arguments": meta["runs"][run],
                             "out": str(Path(folder) / f"{len(jobs)}.textproto")})
        job_file = Path(folder) / "jobs.json"
        job_file.write_text(json.dumps(jobs))
        subprocess.run([args.magenta_python, __file__, "--jobs", str(job_file)], check=True)
        failures = 0
        for job in jobs:
            expected = text_format.Parse(Path(job["out"]).read_text(), music_pb2.NoteSequence())
            arguments = job["arguments"]
            ours = mw.load_model(job["bundle"]).generate(
                job["primer"], start_time=arguments["start_time"],
                end_time=arguments["end_time"], temperature=arguments["temperature"],
                beam_size=arguments["beam_size"], branch_factor=arguments["branch_factor"],
                steps_per_iteration=arguments["steps_per_iteration"], seed=1)
            same = _notes(ours) == _notes(expected)
            failures += not same
            print(f"{'SAME' if same else 'DIFFERENT'}  {job['config']:<28} {job['run']:<5} "
                  f"Magenta {len(expected.notes):>3} notes, magwidgets {len(ours.notes):>3} "
                  f"notes  ({Path(job['bundle']).name})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
