"""Train the small ``chord_pitches_improv`` TEST model in tests/fixtures/trained/.

What it is for: a small trained Improv RNN that lets the tests check behaviour a random-weight
fixture cannot show, e.g. that the generated melody follows the backing chords. It is NOT a
starter model for making music (2 layers x 64 units, a few minutes of CPU training on 235
lead sheets); use Magenta's published bundles for that.

Data: the public-domain subset of OpenEWLD (MusicXML lead sheets, MIT licence) in
/work/shared/datasets/openewld-pd/ (or --data). Each song is read with note-seq's MusicXML
reader, quantized at 4 steps per quarter (songs that fail, e.g. tempo or time signature
changes, are skipped; where chord symbols collide on one step the last is kept), its melody extracted as magwidgets' ImprovRNN extracts a primer
(first instrument, gap_bars=inf, ignore_polyphonic_notes=True), squashed into the model's
range [48, 84) by whole octaves with the chords moved along, and augmented by transposing
melody and chords by -5..+6 semitones (transpositions leaving the range are dropped).
Inputs and labels are the model's own encoder's ``encode`` (Magenta's training pairs).
10% of the songs (seeded) are held out for the eval loss / accuracy printed at the end.

Network: Keras LSTM x2 (64 units) + Dense, trained with masked cross-entropy, Adam 1e-3.
Keras' LSTM is TF1's BasicLSTMCell once its gates are reordered (Keras i,f,c,o; TF1 i,j,f,o),
its kernel and recurrent kernel stacked, and the forget bias lowered by BasicLSTMCell's
built-in 1.0; the export does that and checks the NumPy engine reproduces Keras' output.
The bundle holds a TF1 V1 checkpoint under Magenta's variable names and a minimal metagraph
(tests/bundle_factory.py), so ``magwidgets.load_model`` reads it like a Magenta bundle.

Time: about 5.5 minutes on 2 CPU cores (data ~15 s, 40 epochs of training ~5 min).
Result: held-out loss 0.634 nats/step, accuracy 0.820; a 287 kB bundle. Seeded; rerun with

    python scripts/train_improv_test_model.py

TensorFlow's CPU kernels are not bit-for-bit deterministic across machines or thread counts,
so a rerun gives a model of the same quality, not necessarily identical bytes.
"""

from __future__ import annotations

import argparse
import copy
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import note_seq  # noqa: E402
from note_seq import musicxml_reader  # noqa: E402

import magwidgets as mw  # noqa: E402
from magwidgets.families.improv_rnn.chords import CHORD_SYMBOL, extract_progression  # noqa: E402
from bundle_factory import state_metagraph, write_bundle, write_v1_checkpoint  # noqa: E402

CONFIG_ID = "chord_pitches_improv"
DATA = Path("/work/shared/datasets/openewld-pd")
OUT = ROOT / "tests" / "fixtures" / "trained" / "chord_pitches_improv_ewld.mag"
UNITS = 64
LAYERS = 2
CHUNK = 128
SEED = 20250101
TRANSPOSITIONS = range(-5, 7)
DESCRIPTION = ("magwidgets test model: chord_pitches_improv, 2x64 LSTM trained briefly on the "
               "public-domain OpenEWLD lead sheets (MIT); for tests, not for music-making")


def song_paths(data: Path) -> list[Path]:
    with open(data / "MANIFEST.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    paths = [data / row["path"] for row in rows
             if row.get("conservative_use", "yes") == "yes" and (data / row["path"]).exists()]
    return sorted(paths)


def keep_last_chord_per_step(quantized) -> None:
    """Where several chord symbols fall on one step (a third of these lead sheets have
    chord changes faster than a sixteenth, which note-seq refuses as CoincidentChordsError
    and Magenta's pipeline would drop the song for), keep the last one."""
    last = {}
    for index, annotation in enumerate(quantized.text_annotations):
        if annotation.annotation_type == CHORD_SYMBOL:
            last[annotation.quantized_step] = index
    kept = [a for index, a in enumerate(quantized.text_annotations)
            if a.annotation_type != CHORD_SYMBOL or last[a.quantized_step] == index]
    del quantized.text_annotations[:]
    quantized.text_annotations.extend(kept)


def lead_sheet(path: Path, config):
    """(melody, chords) of one song in the model's range, or None if unusable."""
    try:
        sequence = musicxml_reader.musicxml_file_to_sequence_proto(str(path))
        quantized = note_seq.quantize_note_sequence(sequence, config.steps_per_quarter)
    except Exception:  # unreadable file, tempo / time signature changes
        return None
    keep_last_chord_per_step(quantized)
    instruments = sorted({n.instrument for n in quantized.notes if not n.is_drum})
    if not instruments:
        return None
    melody = note_seq.Melody()
    try:
        melody.from_quantized_sequence(quantized, search_start_step=0,
                                       instrument=instruments[0], gap_bars=float("inf"),
                                       ignore_polyphonic_notes=True)
        progression = extract_progression(quantized, melody.end_step, False, False)
    except Exception:  # polyphony, coincident or unparseable chords, no chords
        return None
    if len(melody) < 32:
        return None
    chords = progression  # steps 0..end; keep those under the melody, as ImprovRNN does
    chords.set_length(melody.end_step - melody.start_step, from_left=True)
    shift = melody.squash(config.min_note, config.max_note, config.transpose_to_key)
    chords.transpose(shift)
    return melody, chords


def transpositions(melody, chords, config):
    pitches = [e for e in melody if e >= 0]
    for amount in TRANSPOSITIONS:
        if min(pitches) + amount < config.min_note or max(pitches) + amount >= config.max_note:
            continue
        moved, backing = copy.deepcopy(melody), copy.deepcopy(chords)
        moved.transpose(amount, config.min_note, config.max_note)
        backing.transpose(amount)
        yield moved, backing


def encode_chunks(pairs, encoder):
    """Magenta's training pairs, cut into CHUNK-step windows: inputs, labels, mask."""
    xs, ys, ms = [], [], []
    for melody, chords in pairs:
        inputs, labels = encoder.encode(chords, melody)
        inputs = np.asarray(inputs, np.float32)
        labels = np.asarray(labels, np.int32)
        for start in range(0, len(labels), CHUNK):
            x, y = inputs[start:start + CHUNK], labels[start:start + CHUNK]
            if len(y) < 8:
                continue
            pad = CHUNK - len(y)
            xs.append(np.pad(x, ((0, pad), (0, 0))))
            ys.append(np.pad(y, (0, pad)))
            ms.append(np.pad(np.ones(len(y), np.float32), (0, pad)))
    return np.stack(xs), np.stack(ys), np.stack(ms)


def build(input_size: int, num_classes: int):
    import tensorflow as tf

    inputs = tf.keras.Input((None, input_size))
    hidden = inputs
    for _ in range(LAYERS):
        hidden = tf.keras.layers.LSTM(UNITS, return_sequences=True, unit_forget_bias=True)(hidden)
    logits = tf.keras.layers.Dense(num_classes)(hidden)
    return tf.keras.Model(inputs, logits)


def magenta_variables(model) -> dict[str, np.ndarray]:
    """The Keras weights under Magenta's names, as TF1 BasicLSTMCell computes them."""
    import tensorflow as tf

    lstms = [layer for layer in model.layers if isinstance(layer, tf.keras.layers.LSTM)]
    dense = [layer for layer in model.layers if isinstance(layer, tf.keras.layers.Dense)][0]
    variables = {}
    for index, layer in enumerate(lstms):
        kernel, recurrent, bias = (np.asarray(w) for w in layer.get_weights())
        stacked = np.concatenate([kernel, recurrent], axis=0)  # concat([x, h]) @ kernel
        i, f, c, o = np.split(stacked, 4, axis=1)
        bi, bf, bc, bo = np.split(bias, 4)
        scope = f"rnn/multi_rnn_cell/cell_{index}/basic_lstm_cell"
        variables[f"{scope}/kernel"] = np.concatenate([i, c, f, o], axis=1).astype(np.float32)
        variables[f"{scope}/bias"] = np.concatenate(
            [bi, bc, bf - 1.0, bo]).astype(np.float32)  # BasicLSTMCell adds forget_bias=1.0
    weights, biases = dense.get_weights()
    variables["fully_connected/weights"] = np.asarray(weights, np.float32)
    variables["fully_connected/biases"] = np.asarray(biases, np.float32)
    return variables


def masked_stats(probabilities, labels, mask):
    picked = np.take_along_axis(probabilities, labels[..., None], axis=-1)[..., 0]
    loss = float(-(np.log(np.maximum(picked, 1e-12)) * mask).sum() / mask.sum())
    accuracy = float(((probabilities.argmax(-1) == labels) * mask).sum() / mask.sum())
    return loss, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--epochs", type=int, default=40)
    args = parser.parse_args()

    import tensorflow as tf

    random.seed(SEED)
    np.random.seed(SEED)
    tf.keras.utils.set_random_seed(SEED)
    config = mw.CONFIGS[CONFIG_ID]
    encoder = config.make_encoder()

    began = time.perf_counter()
    paths = song_paths(args.data)
    songs = [(p, s) for p in paths if (s := lead_sheet(p, config)) is not None]
    order = np.random.default_rng(SEED).permutation(len(songs))
    held = {int(k) for k in order[:max(1, len(songs) // 10)]}
    train_pairs = [pair for k, (_, song) in enumerate(songs) if k not in held
                   for pair in transpositions(*song, config)]
    eval_pairs = [song for k, (_, song) in enumerate(songs) if k in held]
    x, y, m = encode_chunks(train_pairs, encoder)
    ex, ey, em = encode_chunks(eval_pairs, encoder)
    print(f"songs: {len(paths)} listed, {len(songs)} usable ({len(songs) - len(held)} train, "
          f"{len(held)} eval); train windows {len(x)} ({int(m.sum())} steps, "
          f"{len(train_pairs)} transposed songs); eval steps {int(em.sum())}; "
          f"data {time.perf_counter() - began:.0f} s", flush=True)

    model = build(encoder.input_size, encoder.num_classes)
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  weighted_metrics=["accuracy"])
    trained = time.perf_counter()
    model.fit(x, y, sample_weight=m, batch_size=64, epochs=args.epochs, shuffle=True,
              validation_data=(ex, ey, em), verbose=2)
    print(f"training {time.perf_counter() - trained:.0f} s", flush=True)

    keras_probabilities = tf.nn.softmax(model.predict(ex, verbose=0)).numpy()
    variables = magenta_variables(model)
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = write_v1_checkpoint(variables, Path(folder) / "ckpt")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_bundle(args.out, generator_id=CONFIG_ID, checkpoint=checkpoint,
                 metagraph=state_metagraph([UNITS] * (2 * LAYERS)), description=DESCRIPTION)
    loaded = mw.load_model(args.out)
    probabilities = loaded.predict_proba(ex)
    difference = float(np.abs(probabilities - keras_probabilities)[em > 0].max())
    loss, accuracy = masked_stats(probabilities, ey, em)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes); NumPy engine vs Keras: max "
          f"|dp| {difference:.2e}; held-out songs: loss {loss:.3f} nats/step, accuracy "
          f"{accuracy:.3f}; total {time.perf_counter() - began:.0f} s")
    assert difference < 1e-4, "the exported weights do not reproduce the Keras network"


if __name__ == "__main__":
    main()
