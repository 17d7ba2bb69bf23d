"""Check by hand that Magenta 2.1.4 itself loads and runs a MusicVAE .tar magwidgets exported.

Run it with the Python of a throwaway Magenta 2.1.4 venv (tensorflow-cpu 2.15.1, magenta
--no-deps; see ../shared/fixtures/magenta-oracle/README.md), not magwidgets' own:

    /tmp/magenta-venv/bin/python scripts/check_magenta_loads_vae.py \\
        magwidgets/starter/models/drums_2bar/model.tar cat-drums_2bar_small \\
        --midi ../shared/datasets/groove-midi/drummer1/eval_session/1_funk-groove1_138_beat_4-4.mid \\
        --out /tmp/drums_mu.npz

Magenta's ``TrainedModel`` builds its graph from the config's hparams, so the sizes are read
from the checkpoint's weight shapes and set in a copy of ``configs.CONFIG_MAP[config]``
before loading. It then samples, encodes the first 2 bars of ``--midi`` (or a built-in
2-bar melody for melody configs), decodes that z and prints what came out; ``--out`` saves
Magenta's mu, sigma and the encoded input so magwidgets' numbers can be compared.
"""

from __future__ import annotations

import argparse
import copy
import os
import tarfile
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import note_seq  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402
from magenta.models.music_vae import TrainedModel, configs  # noqa: E402
from note_seq import sequences_lib  # noqa: E402

tf.disable_v2_behavior()
BATCH = 4
TWO_BAR_MELODY = [(60, 0.0), (62, 0.5), (64, 1.0), (65, 1.5), (67, 2.0), (65, 3.0),
                  (64, 3.5), (62, 4.0), (60, 5.0), (64, 6.0), (67, 7.0)]  # (pitch, beat)


def checkpoint_sizes(tar_path: str) -> dict:
    """enc_rnn_size, dec_rnn_size and z_size from the weight shapes in the tar."""
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(tar_path) as tar:
            tar.extractall(folder)
            index = next(n for n in tar.getnames() if n.endswith(".index"))
        reader = tf.train.load_checkpoint(os.path.join(folder, index[:-len(".index")]))
        shapes = reader.get_variable_to_shape_map()
    encoder = "encoder/cell_{}/bidirectional_rnn/fw/multi_rnn_cell/cell_0/lstm_cell/bias"
    decoder = "decoder/multi_rnn_cell/cell_{}/lstm_cell/bias"

    def layers(pattern: str) -> list[int]:
        sizes = []
        while pattern.format(len(sizes)) in shapes:
            sizes.append(int(shapes[pattern.format(len(sizes))][0]) // 4)
        return sizes

    return {"enc_rnn_size": layers(encoder), "dec_rnn_size": layers(decoder),
            "z_size": int(shapes["encoder/mu/bias"][0])}


def two_bars(midi: str | None, config) -> note_seq.NoteSequence:
    """The first 2 bars of the MIDI file (at its tempo), or a built-in 2-bar melody."""
    if midi is None:
        sequence = note_seq.NoteSequence(ticks_per_quarter=220)
        sequence.tempos.add(qpm=120)
        for pitch, beat in TWO_BAR_MELODY:
            sequence.notes.add(pitch=pitch, velocity=80, start_time=beat / 2,
                               end_time=beat / 2 + 0.45)
        sequence.total_time = 4.0
        return sequence
    sequence = note_seq.midi_file_to_note_sequence(midi)
    qpm = sequence.tempos[0].qpm if sequence.tempos else 120.0
    quarter = 60.0 / qpm  # cut half a 16th early, so no note starts on bar 3
    return sequences_lib.extract_subsequence(sequence, 0.0, 8 * quarter - quarter / 8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tar")
    parser.add_argument("config")
    parser.add_argument("--midi", help="a MIDI file whose first 2 bars are encoded")
    parser.add_argument("--out", help="save mu, sigma and the encoded input (.npz)")
    args = parser.parse_args()

    sizes = checkpoint_sizes(args.tar)
    config = copy.deepcopy(configs.CONFIG_MAP[args.config])
    config.hparams.override_from_dict(sizes)
    print(f"{args.config}: sizes from the checkpoint {sizes}")
    model = TrainedModel(config, batch_size=BATCH, checkpoint_dir_or_path=args.tar)

    samples = model.sample(n=BATCH, length=config.hparams.max_seq_len, temperature=1.0)
    print(f"sample: {BATCH} sequences, notes {[len(s.notes) for s in samples]}")
    sequence = two_bars(args.midi, config)
    z, mu, sigma = model.encode([sequence])
    decoded = model.decode(mu, length=config.hparams.max_seq_len, temperature=1e-5)[0]
    print(f"encode: {len(sequence.notes)} notes in, mu[:4] {np.round(mu[0, :4], 5)}, "
          f"sigma[:4] {np.round(sigma[0, :4], 5)}")
    print(f"decode(mu): {len(decoded.notes)} notes; first "
          f"{[(n.pitch, round(n.start_time, 3)) for n in decoded.notes[:6]]}")
    if args.out:
        np.savez(args.out, mu=mu, sigma=sigma)
        note_seq.sequence_proto_to_midi_file(sequence, args.out.replace(".npz", ".mid"))
        print(f"saved {args.out} and the encoded 2 bars as "
              f"{args.out.replace('.npz', '.mid')}")


if __name__ == "__main__":
    main()
