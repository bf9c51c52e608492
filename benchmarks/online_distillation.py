"""What ``teacher_views="online"`` costs: seconds per training epoch against asking once.

Trains the same student (a preset's network, default ``conv-mid-kd``'s) on the first
``--faces`` FER2013 training faces three ways, one after the other in one process:
without a teacher, with the teacher asked once before training (``teacher_views=0``; that
scoring is timed on its own), and with the teacher inside every training step
(``teacher_views="online"``). The teacher is the soft vote of shipped models, each with its
mirror image, in ``--teacher-dtype``. Reports the median epoch time after the first (which
compiles) and the ratios, as JSON::

    python benchmarks/online_distillation.py ../shared/data/fer2013-dev.zip \\
        --teachers conv-xl conv-bilstm --out benchmarks/results/online_distillation.json
"""

import argparse
import sys
import time
from pathlib import Path

import keras
import numpy as np
from _common import fer2013_train_test, write_report

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))  # the preset archive
from training.presets import PRESETS


class EpochTimes(keras.callbacks.Callback):
    """Wall time of every epoch."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times = [*getattr(self, "times", []), time.perf_counter() - self.start]


def main(argv=None):
    from sklearn.ensemble import VotingClassifier
    from sklearn.frozen import FrozenEstimator

    from bilstm_emotion import BiLSTMFaceEmotionClassifier, load_pretrained

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="FER2013 zip, folder or CSV")
    parser.add_argument("--preset", default="conv-mid-kd", choices=sorted(PRESETS))
    parser.add_argument("--teachers", nargs="+", default=["conv-xl", "conv-bilstm"])
    parser.add_argument(
        "--teacher-dtype",
        default="auto",
        choices=("float32", "bfloat16", "auto"),  # predict_dtype's documented values
        help="the teachers' predict_dtype",
    )
    parser.add_argument("--faces", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/online_distillation.json")
    args = parser.parse_args(argv)

    X, y, _, _ = fer2013_train_test(args.path)
    keep = np.random.default_rng(0).permutation(len(X))[: args.faces]
    X, y = X[keep], y[keep]
    members = [
        (
            name,
            FrozenEstimator(
                load_pretrained(name, engine="keras").set_params(predict_dtype=args.teacher_dtype)
            ),
        )
        for name in args.teachers
    ]
    vote = FrozenEstimator(VotingClassifier(members, voting="soft").fit(X, y))
    params = {k: v for k, v in PRESETS[args.preset].items() if not k.startswith("teacher")}
    params.update(epochs=args.epochs, random_state=0, verbose=0)

    start = time.perf_counter()
    vote.predict_proba(X)
    scoring_s = time.perf_counter() - start
    report = {
        "benchmark": "online_distillation",
        "backend": keras.backend.backend(),
        "preset": args.preset,
        "teachers": args.teachers,
        "teacher_dtype": args.teacher_dtype,
        "faces": args.faces,
        "teacher_scoring_s": scoring_s,
        "epoch_s": {},
    }
    for label, extra in (
        ("no teacher", {}),
        ("asked once", {"teacher": vote, "teacher_weight": 0.7}),
        ("online", {"teacher": vote, "teacher_weight": 0.7, "teacher_views": "online"}),
    ):
        clf = BiLSTMFaceEmotionClassifier(**params, **extra, callbacks=[EpochTimes()]).fit(X, y)
        times = clf.callbacks_[0].times
        report["epoch_s"][label] = float(np.median(times[1:] if len(times) > 1 else times))
        print(f"{label}: {report['epoch_s'][label]:.1f} s per epoch of {args.faces} faces")
    epoch = report["epoch_s"]
    report["online_over_asked_once"] = epoch["online"] / epoch["asked once"]
    report["online_extra_s_per_epoch"] = epoch["online"] - epoch["asked once"]
    report["teacher_scoring_over_extra"] = scoring_s / max(
        report["online_extra_s_per_epoch"], 1e-9
    )
    print(
        f"online / asked once: {report['online_over_asked_once']:.2f}x per epoch; "
        f"scoring the faces once took {scoring_s:.1f} s"
    )
    write_report(report, args.out)


if __name__ == "__main__":
    main()
