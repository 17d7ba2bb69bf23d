"""Magenta.js checkpoint folders: event RNNs round-trip through them, the writer shards and
quantizes as tensorflowjs does, and broken folders are refused with errors naming the file."""

from __future__ import annotations

import json

import numpy as np
import pytest

import magwidgets as mw
from conftest import ORACLE, bundle_path, note_tuples, read_textproto
from magwidgets.bundles import magentajs, tf_reader
from magwidgets.bundles.mag import read_bundle
from magwidgets.bundles.magentajs import MANIFEST, SHARD_BYTES, read_weights, write_magentajs
from magwidgets.errors import BundleError
from magwidgets.families.magentajs_specs import config_json_for, resolve_config
from magwidgets.families.music_vae import VAE_CONFIGS

RNN_ROUND_TRIP = ["basic_rnn", "drum_kit", "attention_rnn", "chord_pitches_improv",
                  "performance_with_dynamics"]


def magenta_weights(config: str) -> dict[str, np.ndarray]:
    """The bundle's variables under the names Magenta gave them (what an export writes)."""
    bundle = read_bundle(bundle_path(config))
    return tf_reader.read_checkpoint_bytes(bundle.checkpoint, bundle.path)


def attention_length(model) -> int | None:
    return model.network.attention.length if model.network.attention else None


@pytest.mark.parametrize("config", RNN_ROUND_TRIP)
def test_event_rnn_round_trips_through_magentajs(models, config, tmp_path):
    original = models[config]
    folder = write_magentajs(magenta_weights(config),
                             config_json_for(config, attention_length(original)),
                             tmp_path / config)
    loaded = mw.load_model(folder)
    assert type(loaded) is type(original) and loaded.config.id == config
    assert attention_length(loaded) == attention_length(original)
    inputs = np.random.default_rng(0).uniform(0, 1, (2, 12, original.encoder.input_size))
    assert np.array_equal(loaded.predict_proba(inputs), original.predict_proba(inputs))
    primer = read_textproto(ORACLE / config / "primer.textproto")
    assert (note_tuples(loaded.generate(primer, steps=16, seed=3))
            == note_tuples(original.generate(primer, steps=16, seed=3)))


def test_magentajs_specs_name_the_configs_magenta_js_runs(models, tmp_path):
    """Folders whose config.json is Magenta.js's own (no magwidgetsConfig) resolve too."""
    specs = {
        "basic_rnn": {"type": "MusicRNN", "dataConverter": {
            "type": "MelodyConverter", "args": {"minPitch": 48, "maxPitch": 83}}},
        "chord_pitches_improv": {"type": "MusicRNN", "chordEncoder": "PitchChordEncoder",
                                 "dataConverter": {"type": "MelodyConverter",
                                                   "args": {"minPitch": 48, "maxPitch": 83}}},
        "drum_kit": {"type": "MusicRNN", "attentionLength": 8,
                     "dataConverter": {"type": "DrumsOneHotConverter", "args": {}},
                     "auxInputs": [{"type": "BinaryCounter", "args": {"numBits": 6}}]},
    }
    for config, spec in specs.items():
        folder = write_magentajs(magenta_weights(config), spec, tmp_path / config)
        loaded = mw.load_model(folder)
        assert loaded.config.id == config
        assert attention_length(loaded) == attention_length(models[config])


def test_magenta_js_spelling_of_the_attention_projection_is_read(models, tmp_path):
    weights = {name.replace("attn_output_projection", "attention_output_projection"): value
               for name, value in magenta_weights("attention_rnn").items()}
    folder = write_magentajs(weights, config_json_for("attention_rnn", 8), tmp_path / "js")
    inputs = np.random.default_rng(1).uniform(0, 1, (1, 5, 74))
    assert np.array_equal(mw.load_model(folder).predict_proba(inputs),
                          models["attention_rnn"].predict_proba(inputs))


def test_a_folder_without_config_json_needs_the_config_named(models, tmp_path):
    folder = write_magentajs(magenta_weights("basic_rnn"), {}, tmp_path / "js")
    (folder / "config.json").unlink()
    with pytest.raises(BundleError, match="no config.json.*config="):
        mw.load_model(folder)
    assert mw.load_model(folder, config="basic_rnn").config.id == "basic_rnn"


def test_unknown_or_ambiguous_config_json_says_what_to_do(tmp_path):
    weights = magenta_weights("basic_rnn")
    folder = write_magentajs(weights, {"type": "GANSynth"}, tmp_path / "a")
    with pytest.raises(BundleError, match="config.json: type is 'GANSynth'"):
        mw.load_model(folder)
    spec = {"type": "MusicRNN",
            "dataConverter": {"type": "MelodyConverter", "args": {"minPitch": 60, "maxPitch": 71}}}
    folder = write_magentajs(weights, spec, tmp_path / "b")
    with pytest.raises(BundleError, match="fits no magwidgets config; name the config"):
        mw.load_model(folder)


def test_weights_are_sharded_in_4_mb_files_like_tensorflowjs(tmp_path):
    rng = np.random.default_rng(2)
    weights = {"a/kernel": rng.standard_normal((1000, 1100)).astype(np.float32),
               "a/bias": rng.standard_normal(1100).astype(np.float32),
               "global_step": np.array(7, dtype=np.int64),
               "b/kernel": rng.standard_normal((3, 4))}  # float64: stored as float32
    folder = write_magentajs(weights, {"type": "MusicRNN"}, tmp_path / "js")
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest == [{"paths": ["group1-shard1of2", "group1-shard2of2"], "weights": [
        {"name": "a/kernel", "shape": [1000, 1100], "dtype": "float32"},
        {"name": "a/bias", "shape": [1100], "dtype": "float32"},
        {"name": "global_step", "shape": [], "dtype": "int32"},
        {"name": "b/kernel", "shape": [3, 4], "dtype": "float32"}]}]
    assert (folder / "group1-shard1of2").stat().st_size == SHARD_BYTES
    assert (folder / "group1-shard2of2").stat().st_size == 4 * (1100 * 1001 + 1 + 12) - SHARD_BYTES
    back = read_weights(folder)
    assert list(back) == list(weights)
    for name, value in weights.items():
        assert np.array_equal(back[name], value.astype(back[name].dtype))
    assert back["global_step"].dtype == np.int32 and back["b/kernel"].dtype == np.float32


def test_uint8_quantization_matches_tensorflowjs_documented_example(tmp_path):
    """tensorflowjs' write_weights docstring: [0, -0.1, 1.2] -> uint8 [20, 0, 255], min
    -0.10196078817, scale 0.00509803940852 (the range nudged so that 0 stays exact)."""
    folder = write_magentajs({"w": np.array([0, -0.1, 1.2], np.float32)}, {}, tmp_path / "js",
                             "uint8")
    entry = json.loads((folder / MANIFEST).read_text())[0]["weights"][0]
    assert entry["dtype"] == "float32" and entry["quantization"]["dtype"] == "uint8"
    assert entry["quantization"]["min"] == pytest.approx(-0.10196078817)
    assert entry["quantization"]["scale"] == pytest.approx(0.00509803940852)
    assert list((folder / "group1-shard1of1").read_bytes()) == [20, 0, 255]
    values = read_weights(folder)["w"]
    assert values[0] == 0.0 and values.dtype == np.float32
    assert np.allclose(values, [0, -0.1, 1.2], atol=entry["quantization"]["scale"] / 2)


@pytest.mark.parametrize("dtype, steps, width", [("uint8", 255, 1), ("uint16", 65535, 2)])
def test_quantized_weights_are_within_one_step(dtype, steps, width, tmp_path):
    """Rounding costs at most half a step; nudging the range so that 0 is exact can clip
    the largest values by up to another half."""
    weights = magenta_weights("drum_kit")
    back = read_weights(write_magentajs(weights, {}, tmp_path / "js", dtype))
    size = sum(np.asarray(v).size for v in weights.values())
    assert (tmp_path / "js" / "group1-shard1of1").stat().st_size == size * width
    for name, value in weights.items():
        step = (value.max() - value.min()) / steps
        assert np.abs(back[name] - value).max() <= step + 1e-6, name


def test_constant_weight_quantizes_to_its_value(tmp_path):
    back = read_weights(write_magentajs({"w": np.full(4, 0.25, np.float32)}, {},
                                        tmp_path / "js", "uint16"))
    assert np.array_equal(back["w"], np.full(4, 0.25, np.float32))


def test_float16_weights_are_read(tmp_path):
    """Newer tensorflowjs writes float16 quantization ({"dtype": "float16"}, no scale)."""
    folder = tmp_path / "js"
    folder.mkdir()
    (folder / "group1-shard1of1").write_bytes(np.array([0.5, -2.0], "<f2").tobytes())
    (folder / MANIFEST).write_text(json.dumps([{"paths": ["group1-shard1of1"], "weights": [
        {"name": "w", "shape": [2], "dtype": "float32", "quantization": {"dtype": "float16"}}]}]))
    assert read_weights(folder)["w"].tolist() == [0.5, -2.0]


# broken folders ------------------------------------------------------------------------------

@pytest.fixture
def folder(tmp_path):
    """A small valid two-shard checkpoint to break."""
    weights = {"a": np.arange(SHARD_BYTES // 4 + 10, dtype=np.float32), "b": np.ones(3, np.float32)}
    return write_magentajs(weights, config_json_for("basic_rnn"), tmp_path / "js")


def edit_manifest(folder, change) -> None:
    manifest = json.loads((folder / MANIFEST).read_text())
    change(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest))


def test_a_folder_without_manifest_is_refused(tmp_path):
    with pytest.raises(BundleError, match="no weights_manifest.json"):
        mw.load_model(tmp_path)
    with pytest.raises(BundleError, match="no weights_manifest.json"):
        mw.load_model(tmp_path, config="cat-mel_2bar_small")


def test_a_missing_shard_is_named(folder):
    (folder / "group1-shard2of2").unlink()
    with pytest.raises(BundleError, match=r"group1-shard2of2: missing; weights_manifest.json"):
        read_weights(folder)


def test_a_shard_of_the_wrong_size_is_named_with_the_size_expected(folder):
    shard = folder / "group1-shard2of2"
    shard.write_bytes(shard.read_bytes()[:-4])
    expected = 4 * (SHARD_BYTES // 4 + 13)
    with pytest.raises(BundleError, match=rf"need {expected} bytes but its shards hold "
                                          rf"{expected - 4}: .*group1-shard2of2 \(48 bytes\)"):
        read_weights(folder)


@pytest.mark.parametrize("field, value, message", [
    ("dtype", "float64", "weight 'b' has dtype 'float64'; expected one of float32, int32, bool"),
    ("quantization", {"dtype": "int4"}, "weight 'b' is quantized as 'int4'; expected one of"),
    ("quantization", {"dtype": "uint8"}, "without finite numbers 'scale' and 'min'"),
    ("shape", [3, -1], r"weight 'b' has shape \[3, -1\]"),
])
def test_bad_weight_entries_are_refused(folder, field, value, message):
    edit_manifest(folder, lambda m: m[0]["weights"][1].update({field: value}))
    with pytest.raises(BundleError, match=message):
        read_weights(folder)


def test_shard_paths_outside_the_folder_and_bad_json_are_refused(folder):
    edit_manifest(folder, lambda m: m[0]["paths"].__setitem__(1, "../group1-shard2of2"))
    with pytest.raises(BundleError, match="points outside the folder"):
        read_weights(folder)
    (folder / MANIFEST).write_text("[{")
    with pytest.raises(BundleError, match="weights_manifest.json: not readable JSON"):
        read_weights(folder)
    (folder / MANIFEST).write_text('{"paths": []}')
    with pytest.raises(BundleError, match="expected a non-empty list of weight groups"):
        read_weights(folder)


def test_writing_refuses_to_clobber_and_overwrite_removes_old_shards(folder):
    with pytest.raises(BundleError, match="already holds a Magenta.js checkpoint"):
        write_magentajs({"w": np.ones(2, np.float32)}, {}, folder)
    write_magentajs({"w": np.ones(2, np.float32)}, {}, folder, overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json", "group1-shard1of1", "weights_manifest.json"]
    assert list(read_weights(folder)) == ["w"]


def test_writing_bad_arguments(tmp_path):
    with pytest.raises(BundleError, match="quantize must be None, 'uint8' or 'uint16'"):
        write_magentajs({"w": np.ones(2, np.float32)}, {}, tmp_path / "a", "int4")
    with pytest.raises(BundleError, match="weight 'w' has dtype complex128"):
        write_magentajs({"w": np.ones(2, complex)}, {}, tmp_path / "b")
    with pytest.raises(BundleError, match="no weights"):
        write_magentajs({}, {}, tmp_path / "c")


def test_config_json_for_every_config_resolves_back(tmp_path):
    """Every config's config.json names it again, with and without magwidgetsConfig where
    Magenta.js's own spec is enough."""
    weights = {"w": np.ones(1, np.float32)}
    for config in [*mw.CONFIGS, *VAE_CONFIGS]:
        spec = config_json_for(config)
        checkpoint = magentajs.MagentaJsCheckpoint(tmp_path, weights, spec)
        assert resolve_config(checkpoint) == config
        plain = {k: v for k, v in spec.items() if k != magentajs.MAGWIDGETS_KEY}
        if "dataConverter" in plain and not config.endswith("_big"):
            assert resolve_config(
                magentajs.MagentaJsCheckpoint(tmp_path, weights, plain)) == config
