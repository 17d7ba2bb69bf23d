"""The ``magwidgets`` command: inspect a model file or generate MIDI from it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import note_seq

from magwidgets.errors import MagwidgetsError
from magwidgets.families import family_of_model
from magwidgets.hub.cli import register as register_hub
from magwidgets.loading import load_model
from magwidgets.render.page import write_music_page
from magwidgets.train.cli import register as register_training


def _info(args: argparse.Namespace) -> None:
    model = load_model(args.model, config=args.config)
    family = family_of_model(model)
    lines = [("file", str(getattr(model, "source", args.model))),
             ("config", f"{model.config.id} ({family.id if family else '?'})"),
             ("description", getattr(model, "description", "") or
              (family.summary if family else "")),
             *model.describe()]
    for label, value in lines:
        print(f"{label + ':':<13}{value}")


def _generate(args: argparse.Namespace) -> None:
    out = Path(args.out)
    page = Path(args.html) if args.html else None
    for path in (out, page):
        if path is not None and path.exists() and not args.force:
            raise MagwidgetsError(f"{path} exists; pass --force to overwrite it")
    model = load_model(args.model)
    result = model.generate_with_score(
        args.primer, steps=args.steps, end_time=args.end_time, qpm=args.qpm,
        temperature=args.temperature, beam_size=args.beam_size,
        branch_factor=args.branch_factor, steps_per_iteration=args.steps_per_iteration,
        seed=args.seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    note_seq.sequence_proto_to_midi_file(result.sequence, str(out))
    print(f"{out}: {len(result.sequence.notes)} notes, {result.sequence.total_time:.2f} s "
          f"({result.primer_steps} primer steps + {result.generated_steps} generated; "
          f"log-likelihood {result.log_likelihood:.2f})")
    if page is not None:
        page.parent.mkdir(parents=True, exist_ok=True)
        write_music_page(page, result.sequence, title=f"{model.config.id}: {out.name}",
                         primer_end=result.generated_start, filename=out.name)
        print(f"{page}: pianoroll + player (open it in a browser)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="magwidgets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    info = commands.add_parser("info", help="describe a .mag bundle")
    info.add_argument("model", help="a model file or folder, starter:<name> or hub:<name>")
    info.add_argument("--config", help="the config of a checkpoint that does not name it "
                                       "(a MusicVAE .tar), e.g. cat-mel_2bar_small")
    info.set_defaults(run=_info)
    generate = commands.add_parser("generate", help="continue a primer (or start fresh) to MIDI")
    generate.add_argument("model", help="path of a Magenta .mag bundle")
    generate.add_argument("--out", required=True, help="MIDI file to write")
    generate.add_argument("--primer", help="MIDI file to continue")
    generate.add_argument("--html", help="also write a web page: pianoroll + audio player")
    length = generate.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="steps to generate (default: two bars)")
    length.add_argument("--end-time", type=float, help="end of the generated section, seconds")
    generate.add_argument("--qpm", type=float, help="tempo when the primer has none (default 120)")
    generate.add_argument("--temperature", type=float, default=1.0)
    generate.add_argument("--beam-size", type=int, default=1)
    generate.add_argument("--branch-factor", type=int, default=1)
    generate.add_argument("--steps-per-iteration", type=int, default=1)
    generate.add_argument("--seed", type=int, help="makes the run reproducible")
    generate.add_argument("--force", action="store_true",
                          help="overwrite --out / --html if they exist")
    generate.set_defaults(run=_generate)
    register_training(commands)
    register_hub(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``magwidgets`` console script."""
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except MagwidgetsError as err:
        print(f"magwidgets: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
