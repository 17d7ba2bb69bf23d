"""``magwidgets hub list|info|download``: the model hub from a terminal."""

from __future__ import annotations

import argparse

from magwidgets import hub
from magwidgets.hub.registry import HubModel


def _size(model: HubModel) -> str:
    return f"{model.size_mb:g} MB" if model.size_mb is not None else ""


def _list(args: argparse.Namespace) -> None:
    models = hub.list(args.family)
    rows = [("name", "format", "config", "size", "cached")]
    rows += [(m.name, m.kind, m.config, _size(m), "yes" if hub.is_cached(m.name) else "")
             for m in models]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for name, kind, config, size, cached in rows:
        print(f"{name:<{widths[0]}}  {kind:<{widths[1]}}  {config:<{widths[2]}}  "
              f"{size:>{widths[3]}}  {cached}".rstrip())


def _info(args: argparse.Namespace) -> None:
    model = hub.info(args.name)
    print(f"name:        {model.name}")
    print(f"description: {model.description}")
    print(f"format:      {model.kind}")
    print(f"family:      {model.family} (config {model.config})")
    print(f"url:         {model.url}")
    print(f"size:        {_size(model) or 'not published'}")
    print(f"licence:     {model.licence}")
    state = "cached" if hub.is_cached(model.name) else "not downloaded"
    print(f"local path:  {hub.local_path(model.name)} ({state})")


def _download(args: argparse.Namespace) -> None:
    max_bytes = None if args.max_mb is None else int(args.max_mb * 1024**2)
    path = hub.download(args.name, max_bytes=max_bytes, force=args.force)
    print(path)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``hub`` command (list, info, download) to the ``magwidgets`` parser."""
    parser = commands.add_parser("hub", help="Magenta's published models: list, download")
    actions = parser.add_subparsers(dest="hub_command", required=True)
    listing = actions.add_parser("list", help="every model, with its format, config and size")
    listing.add_argument("--family", help="only this family, e.g. drums_rnn or music_vae")
    listing.set_defaults(run=_list)
    info = actions.add_parser("info", help="one model: description, URL, licence, local path")
    info.add_argument("name")
    info.set_defaults(run=_info)
    download = actions.add_parser("download", help="download a model into the cache")
    download.add_argument("name")
    download.add_argument("--force", action="store_true", help="download again if cached")
    download.add_argument("--max-mb", type=float, help="refuse a model larger than this")
    download.set_defaults(run=_download)
