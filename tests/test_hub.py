"""The model hub against a real HTTP server on a loopback port, serving the oracle fixtures under
the registry's URL paths (``MAGWIDGETS_HUB_MIRROR`` points there): first download with
progress, offline reloads, interrupted transfers, corrupt files, 404s, the size cap and two
downloads of one model at once. Nothing here touches the internet."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import numpy as np
import pytest

import magwidgets as mw
from conftest import ORACLE, bundle_path
from magwidgets.bundles import tf_reader
from magwidgets.bundles.mag import read_bundle
from magwidgets.bundles.magentajs import write_magentajs
from magwidgets.families.magentajs_specs import config_json_for
from magwidgets.cli import main
from magwidgets.errors import BundleError, HubError
from magwidgets.hub.registry import MAG, MAGENTAJS, MODELS, TAR
from magwidgets.hub.lock import FileLock
from magwidgets.hub.store import hub_dir, lock_path, resolve_url
from magwidgets.families import EVENT_RNN_CONFIGS as CONFIGS
from magwidgets.families.music_vae import VAE_CONFIGS

VAE = ORACLE.parent / "vae"
DRUMS = bundle_path("drum_kit").read_bytes()
GROOVE = (VAE / "groovae_2bar_humanize" / "groovae_2bar_humanize.tar").read_bytes()


def url_path(name: str, file: str = "") -> str:
    """The URL path the registry gives model ``name`` (plus ``/file`` in a folder)."""
    path = urllib.parse.urlsplit(mw.hub.info(name).url).path
    return f"{path}/{file}" if file else path


class FixtureServer:
    """A ThreadingHTTPServer on 127.0.0.1 serving ``files`` (URL path -> bytes), honouring
    ``Range: bytes=N-``, logging each request, and with faults to switch on: ``cuts[path]``
    (close the connection after that many body bytes, one entry per request), ``ignore_range``,
    ``no_length`` (no Content-Length, body ends when the connection closes) and ``delay_s``."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = dict(files)
        self.requests: list[tuple[str, str | None]] = []
        self.cuts: dict[str, list[int]] = {}
        self.ignore_range = self.no_length = False
        self.delay_s = 0.0
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.handle_error = lambda *args: None  # clients hanging up on purpose
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def gets(self, path: str) -> list[str | None]:
        """The Range header of each request for ``path``."""
        return [ranged for requested, ranged in self.requests if requested == path]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                ranged = self.headers.get("Range")
                server.requests.append((self.path, ranged))
                data = server.files.get(self.path)
                if data is None:
                    self.send_error(404, "Not Found")
                    return
                start = 0
                if ranged and not server.ignore_range:
                    start = int(ranged.removeprefix("bytes=").removesuffix("-"))
                    if start >= len(data):
                        self.send_error(416, "Range Not Satisfiable")
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                if not server.no_length:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                cuts = server.cuts.get(self.path)
                if cuts:
                    body = body[:cuts.pop(0)]
                for i in range(0, len(body), 16384):
                    self.wfile.write(body[i:i + 16384])
                    time.sleep(server.delay_s)

        return Handler


@pytest.fixture
def serve(tmp_path, monkeypatch):
    """Start a fixture server for ``files``, point the hub at it and the cache at tmp_path."""
    servers: list[FixtureServer] = []
    monkeypatch.setenv("MAGWIDGETS_CACHE", str(tmp_path / "cache"))

    def start(files: dict[str, bytes]) -> FixtureServer:
        server = FixtureServer(files)
        servers.append(server)
        monkeypatch.setenv("MAGWIDGETS_HUB_MIRROR", server.url)
        return server

    yield start
    for server in servers:
        server.stop()


def leftovers() -> list[str]:
    """Whatever a failed or finished transfer left in the staging folder."""
    staging = hub_dir() / ".partial"
    return sorted(p.name for p in staging.rglob("*")) if staging.exists() else []


def magentajs_drum_kit(folder: Path) -> dict[str, bytes]:
    """The drum_kit fixture as a Magenta.js folder, keyed by the hub's URL paths."""
    bundle = read_bundle(bundle_path("drum_kit"))
    weights = tf_reader.read_checkpoint_bytes(bundle.checkpoint, bundle.path)
    write_magentajs(weights, config_json_for("drum_kit", 8), folder)
    return {url_path("drum_kit_rnn-js", p.name): p.read_bytes() for p in folder.iterdir()}


# The registry -----------------------------------------------------------------------------

def test_every_entry_is_a_model_the_engine_loads():
    names = [model.name for model in MODELS]
    assert len(names) == len(set(names))
    for model in MODELS:
        if model.family == "music_vae":
            assert model.config in VAE_CONFIGS, model.name
        else:
            assert CONFIGS[model.config].family == model.family, model.name
        assert model.kind in (MAG, TAR, MAGENTAJS)
        assert model.url.startswith("https://storage.googleapis.com/"), model.name
        assert model.description and model.licence
        assert model.size_mb is None or model.size_mb > 0


def test_the_registry_holds_every_family_and_format():
    kinds = {(model.family, model.kind) for model in MODELS}
    for family in ("drums_rnn", "melody_rnn", "improv_rnn"):
        assert (family, MAG) in kinds and (family, MAGENTAJS) in kinds
    assert {("polyphony_rnn", MAG), ("performance_rnn", MAG), ("music_vae", TAR),
            ("music_vae", MAGENTAJS)} <= kinds
    assert [m.name for m in mw.hub.list("drums_rnn")] == ["drum_kit_rnn", "drum_kit_rnn-js"]
    assert mw.hub.info("groovae_2bar_humanize").url == (
        "https://storage.googleapis.com/magentadata/models/music_vae/checkpoints/"
        "groovae_2bar_humanize.tar")


def test_unknown_names_and_families_say_what_exists():
    with pytest.raises(HubError, match="did you mean drum_kit_rnn"):
        mw.hub.info("drum_kit")
    with pytest.raises(HubError, match="families: drums_rnn, melody_rnn, polyphony_rnn"):
        mw.hub.list("drums")
    with pytest.raises(BundleError, match="no hub model named 'nope'"):
        mw.load_model("hub:nope")


def test_the_mirror_replaces_scheme_and_host_and_keeps_the_path(monkeypatch):
    url = mw.hub.info("drum_kit_rnn").url
    monkeypatch.setenv("MAGWIDGETS_HUB_MIRROR", "http://10.0.0.5:8000/magenta/")
    assert resolve_url(url) == ("http://10.0.0.5:8000/magenta/download.magenta.tensorflow.org/"
                                "models/drum_kit_rnn.mag")
    monkeypatch.setenv("MAGWIDGETS_HUB_MIRROR", "10.0.0.5")
    with pytest.raises(HubError, match="expected a base URL"):
        resolve_url(url)


# Downloading and loading --------------------------------------------------------------------

@pytest.mark.parametrize("name, data", [("drum_kit_rnn", DRUMS),
                                         ("groovae_2bar_humanize", GROOVE)])
def test_first_load_downloads_with_progress_then_loads_with_the_server_gone(
        serve, capsys, name, data):
    server = serve({url_path(name): data})
    model = mw.load_model(f"hub:{name}")
    assert "100%" in capsys.readouterr().err  # tqdm's bar, named after the model
    assert mw.hub.local_path(name).read_bytes() == data and mw.hub.is_cached(name)
    assert server.gets(url_path(name)) == [None] and leftovers() == []
    server.stop()  # the mirror now points at a closed port: any request would fail
    again = mw.load_model(f"hub:{name}")
    assert type(again) is type(model)
    assert capsys.readouterr().err == ""
    if name == "drum_kit_rnn":
        direct = mw.load_model(bundle_path("drum_kit"))
        inputs = np.random.default_rng(0).uniform(0, 1, (2, 8, direct.encoder.input_size))
        assert np.array_equal(again.predict_proba(inputs), direct.predict_proba(inputs))
    else:
        assert again.config.id == "groovae_2bar_humanize"


def test_a_magentajs_folder_is_fetched_file_by_file_and_loads(serve, tmp_path):
    files = magentajs_drum_kit(tmp_path / "js")
    server = serve(files)
    model = mw.load_model("hub:drum_kit_rnn-js")
    assert sorted(path for path, _ in server.requests) == sorted(files)
    assert mw.hub.local_path("drum_kit_rnn-js").is_dir()
    direct = mw.load_model(bundle_path("drum_kit"))
    inputs = np.random.default_rng(1).uniform(0, 1, (2, 8, direct.encoder.input_size))
    assert np.array_equal(model.predict_proba(inputs), direct.predict_proba(inputs))


@pytest.mark.parametrize("ignore_range", [False, True])
def test_an_interrupted_transfer_resumes_or_restarts_cleanly(serve, ignore_range):
    path = url_path("drum_kit_rnn")
    server = serve({path: DRUMS})
    server.cuts[path] = [40000]
    server.ignore_range = ignore_range  # then the server answers 200: a clean restart
    assert mw.hub.download("drum_kit_rnn", progress=False).read_bytes() == DRUMS
    assert server.gets(path) == [None, "bytes=40000-"]
    assert leftovers() == []


def test_a_transfer_cut_off_for_good_resumes_in_the_next_call(serve):
    path = url_path("groovae_2bar_humanize")
    server = serve({path: GROOVE})
    server.cuts[path] = [100000, 0, 0, 0]  # every attempt of the first call dies
    with pytest.raises(HubError, match="failed 4 times") as error:
        mw.hub.download("groovae_2bar_humanize", progress=False)
    assert str(mw.hub.local_path("groovae_2bar_humanize")) in str(error.value)
    assert not mw.hub.is_cached("groovae_2bar_humanize")
    assert mw.hub.download("groovae_2bar_humanize", progress=False).read_bytes() == GROOVE
    assert server.gets(path)[-1] == "bytes=100000-"


@pytest.mark.parametrize("name, data, says", [
    ("drum_kit_rnn", DRUMS[:len(DRUMS) // 2], "not a Magenta .mag bundle"),
    ("groovae_2bar_humanize", GROOVE[:len(GROOVE) // 2], "not a readable tar"),
    ("groovae_2bar_humanize", (ORACLE / "drum_kit" / "primer.mid").read_bytes(),
     "not a readable tar"),
])
def test_a_corrupt_file_is_refused_and_not_cached(serve, name, data, says):
    serve({url_path(name): data})
    with pytest.raises(HubError, match=says) as error:
        mw.hub.download(name, progress=False)
    assert "nothing was cached" in str(error.value)
    assert str(mw.hub.local_path(name)) in str(error.value)
    assert not mw.hub.is_cached(name) and not mw.hub.local_path(name).exists()
    assert leftovers() == []


def test_a_magentajs_folder_with_a_short_shard_is_refused(serve, tmp_path):
    files = magentajs_drum_kit(tmp_path / "js")
    shard = url_path("drum_kit_rnn-js", "group1-shard1of1")
    files[shard] = files[shard][:-4]
    serve(files)
    with pytest.raises(HubError, match="need .* bytes but its shards hold"):
        mw.hub.download("drum_kit_rnn-js", progress=False)
    assert not mw.hub.local_path("drum_kit_rnn-js").exists() and leftovers() == []


def test_a_404_names_the_url_and_where_to_put_the_file_by_hand(serve, capsys):
    server = serve({})
    name = "cat-drums_2bar_small.lokl"
    with pytest.raises(HubError) as error:
        mw.load_model(f"hub:{name}")
    message = str(error.value)
    target = mw.hub.local_path(name)
    assert f"{server.url}{url_path(name)}" in message and "404" in message
    assert f"download {mw.hub.info(name).url} and save it as {target}" in message
    assert main(["hub", "download", name]) == 2
    assert "404 Not Found" in capsys.readouterr().err
    target.parent.mkdir(parents=True, exist_ok=True)  # the user follows the advice
    target.write_bytes((VAE / "cat-drums_2bar_small" / "cat-drums_2bar_small.tar").read_bytes())
    server.stop()
    assert mw.load_model(f"hub:{name}").config.id == "cat-drums_2bar_small"


def test_an_unreachable_server_says_how_to_install_by_hand(serve):
    server = serve({})
    server.stop()
    with pytest.raises(HubError, match="cannot connect") as error:
        mw.hub.download("drum_kit_rnn-js", progress=False)
    assert f"into the folder {mw.hub.local_path('drum_kit_rnn-js')}" in str(error.value)


@pytest.mark.parametrize("no_length", [False, True])
def test_a_file_over_the_size_cap_is_refused(serve, monkeypatch, no_length):
    server = serve({url_path("drum_kit_rnn"): DRUMS})
    server.no_length = no_length  # then only counting the bytes as they come can tell
    with pytest.raises(HubError, match="size cap of 100,000 bytes"):
        mw.hub.download("drum_kit_rnn", progress=False, max_bytes=100_000)
    assert not mw.hub.is_cached("drum_kit_rnn") and leftovers() == []
    monkeypatch.setenv("MAGWIDGETS_HUB_MAX_BYTES", "1000")
    with pytest.raises(HubError, match="size cap of 1,000 bytes"):
        mw.hub.download("drum_kit_rnn", progress=False)
    monkeypatch.delenv("MAGWIDGETS_HUB_MAX_BYTES")
    assert mw.hub.download("drum_kit_rnn", progress=False).read_bytes() == DRUMS


def test_two_downloads_of_one_model_at_once_fetch_it_once(serve, capsys):
    path = url_path("drum_kit_rnn")
    server = serve({path: DRUMS})
    server.delay_s = 0.01  # ~1 s transfer: the second caller arrives mid-download
    results: list[Path | BaseException] = []

    def fetch() -> None:
        try:
            results.append(mw.hub.download("drum_kit_rnn"))
        except BaseException as error:  # noqa: BLE001 (reported by the assert below)
            results.append(error)

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    threads[0].start()
    deadline = time.monotonic() + 30
    while not server.requests and time.monotonic() < deadline:  # the first is downloading
        time.sleep(0.01)
    threads[1].start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == [mw.hub.local_path("drum_kit_rnn")] * 2
    assert server.gets(path) == [None]
    assert "another download of this model is running; waiting" in capsys.readouterr().err
    assert mw.hub.local_path("drum_kit_rnn").read_bytes() == DRUMS


def test_a_second_process_waits_for_the_first_and_fetches_nothing(serve):
    """Another kernel holds the model's lock (here: this test); a `magwidgets hub download`
    process waits for it, then finds the model cached and makes no request."""
    path = url_path("drum_kit_rnn")
    server = serve({path: DRUMS})
    model = mw.hub.info("drum_kit_rnn")
    with FileLock(lock_path(model)):
        process = subprocess.Popen(
            [sys.executable, "-m", "magwidgets", "hub", "download", "drum_kit_rnn"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
        for line in iter(process.stderr.readline, ""):  # until it says it waits, or exits
            if "another download of this model is running; waiting" in line:
                break
        else:
            pytest.fail(f"the second process did not wait: {process.communicate()}")
        assert server.requests == []
        target = mw.hub.local_path("drum_kit_rnn")  # the other kernel finishes the job
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(DRUMS)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0 and out.strip() == str(target)
    assert server.requests == []


# Command line and picker -------------------------------------------------------------------

def test_cli_lists_downloads_and_describes(serve, capsys):
    serve({url_path("drum_kit_rnn"): DRUMS})
    assert main(["hub", "download", "drum_kit_rnn"]) == 0
    assert capsys.readouterr().out.strip() == str(mw.hub.local_path("drum_kit_rnn"))
    assert main(["hub", "list", "--family", "drums_rnn"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[0] == "drum_kit_rnn" and lines[1].endswith("yes")
    assert lines[2].split()[:2] == ["drum_kit_rnn-js", "magentajs"]
    assert main(["hub", "info", "tap2drum_2bar-js"]) == 0
    out = capsys.readouterr().out
    assert "groovae_2bar_tap_fixed_velocity" in out and "15.6 MB" in out and "CC BY 4.0" in out


def test_picker_choices_are_hub_specs(serve):
    serve({url_path("groovae_2bar_humanize"): GROOVE})
    mw.hub.download("groovae_2bar_humanize", progress=False)
    groove = mw.hub.choices(configs=("groovae_2bar_humanize", "groovae_4bar"))
    assert [spec for _, spec in groove] == [
        "hub:groovae_4bar", "hub:groovae_2bar_humanize", "hub:groovae_2bar_humanize-js",
        "hub:groovae_4bar-js"]
    assert groove[1][0].endswith("(downloaded)") and not groove[0][0].endswith("(downloaded)")
    drums = mw.hub.choices("drums_rnn")
    assert [spec for _, spec in drums] == ["hub:drum_kit_rnn", "hub:drum_kit_rnn-js"]
    assert mw.load_model(groove[1][1]).config.id == "groovae_2bar_humanize"
