"""Train BiLSTMFaceEmotionClassifier on FER2013 ``train/`` and score it on PublicTest:
the recipe of the shipped models, through the package's public API only.

Seeded; writes accuracy, macro-F1, the per-class report, the training time and
the hardware as JSON. ``--like NAME`` retrains a shipped model from its record in the
package's registry (:func:`bilstm_emotion.pretrained_params` and the teachers of
:func:`bilstm_emotion.pretrained_info`: the one place its recipe lives) and ``--export``
writes it with :func:`bilstm_emotion.export_pretrained`, where
``load_pretrained(name, directory=DIR)`` reads it (the package's own folder,
``src/bilstm_emotion/model/weights``, to ship it), so each shipped model is reproduced by
one command::

    python tools/train_fer2013.py ../shared/data/fer2013-dev.zip --like bilstm \\
        --export src/bilstm_emotion/model/weights --out /tmp/train_bilstm.json

``--preset NAME`` trains a configuration of the experiment archive instead
(``tools/training/presets.py``; plans and run records in ``docs/experiments/``).

``--resume DIR`` checkpoints the training after every epoch and goes on from the
checkpoint when the same command is run again (runs longer than a session). Beside it,
``DIR-epochs.json`` logs every epoch of every process (the record's ``epochs``: the whole
history and time of a run spread over sessions), and a teacher asked once has its
probabilities saved in ``DIR-teacher.npz``, which later processes read instead of asking it.
Any estimator parameter can be set or overridden with ``--set name=value``
(Python literals), e.g. ``--set row_hidden=32 --set col_hidden=64 --set optimizer="'sgd'"``.
A ``teacher`` given as a tuple of shipped model names, as in the ``conv-xl-kd`` preset, is
replaced by their soft vote (each with its mirror image) before training; ``--teacher-dtype
auto`` has its members predict in bfloat16 where the CPU has bfloat16 units, which makes a
``teacher_views="online"`` preset about half as costly per epoch. A preset with
``average_from=E`` and ``average_lr=LR`` (``conv-mid-swa``) trains with stochastic weight
averaging (``training/averaging.py``): the learning rate falls along a cosine to ``LR``
over ``E`` epochs and stays there, and the weights of the later epochs are averaged.
"""

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
from training.presets import PRESETS  # tools/ is on sys.path

from bilstm_emotion import (
    EMOTIONS,
    PRETRAINED,
    BiLSTMFaceEmotionClassifier,
    export_pretrained,
    load_pretrained,
    pretrained_info,
    pretrained_params,
)
from bilstm_emotion.cli import parse_assignments
from bilstm_emotion.datasets import load_fer2013
from bilstm_emotion.evaluation import environment, score_predictions


def fer2013_train_test(path):
    """FER2013 ``train/`` and PublicTest faces (uint8), with emotion names as labels."""
    names = np.asarray(EMOTIONS)
    X_train, y_train = load_fer2013(path, subset="train", return_X_y=True)
    X_test, y_test = load_fer2013(path, subset="test", return_X_y=True)  # from the cache
    return X_train, names[y_train], X_test, names[y_test]


def shipped_vote(X, y, names, dtype=None):
    """A fitted soft-voting ensemble of shipped models, frozen so clone keeps it fitted.

    ``dtype``: the members' ``predict_dtype`` (``None``: float32, whatever they ship with).
    """
    from sklearn.ensemble import VotingClassifier
    from sklearn.frozen import FrozenEstimator

    def member(name):
        return FrozenEstimator(
            load_pretrained(name, engine="keras").set_params(predict_dtype=dtype or "float32")
        )

    vote = VotingClassifier([(name, member(name)) for name in names], voting="soft")
    return FrozenEstimator(vote.fit(X, y))  # the members stay as they are


def shipped_recipe(name):
    """A shipped model's parameters (its seed included), teachers and weight averaging."""
    info = pretrained_info(name)
    params = pretrained_params(name)
    teacher = (info["training"].get("teacher") or {}).get("shipped_vote")
    if teacher:
        params["teacher"] = tuple(teacher)
    averaging = info["training"].get("averaging")
    if averaging:
        params.update(average_from=averaging["from_epoch"], average_lr=averaging["lr"])
    return params


AVERAGING = {"average_from", "average_lr"}
"""The preset entries of weight averaging (``training/averaging.py``), not estimator
parameters."""


def _parse_set(items):
    try:
        return parse_assignments(items, "--set")
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc


def _score_key(flip, shift):
    """``plain``, ``flip_tta``, ``shift2_tta`` or ``flip_shift2_tta``."""
    parts = (["flip"] if flip else []) + ([f"shift{shift}"] if shift else [])
    return "_".join([*parts, "tta"]) if parts else "plain"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="FER2013 CSV, folder or zip")
    recipe = parser.add_mutually_exclusive_group(required=True)
    recipe.add_argument("--like", choices=PRETRAINED, help="a shipped model, from the registry")
    recipe.add_argument("--preset", choices=sorted(PRESETS), help="an archived experiment")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--train-size", type=int, default=None, help="first N shuffled faces")
    parser.add_argument(
        "--random-state",
        type=int,
        default=None,
        help="seed (default: the shipped model's with --like, else 0)",
    )
    parser.add_argument(
        "--resume",
        default=None,
        metavar="DIR",
        help="checkpoint the training in DIR after every epoch (network, optimizer and epoch: "
        "keras.callbacks.BackupAndRestore) and, when DIR holds a checkpoint, go on from it: "
        "a run stopped part way (Ctrl-C, the end of a session) goes on by the same command; "
        "DIR is emptied when the training ends",
    )
    parser.add_argument(
        "--teacher-dtype",
        default=None,
        choices=("float32", "bfloat16", "auto"),  # predict_dtype's documented values
        help="predict_dtype of the shipped models of a teacher vote (default: float32, or "
        "what the record of --like says); "
        "'auto' makes teacher_views='online' cheaper where the CPU has bfloat16 units",
    )
    parser.add_argument("--export", default=None, metavar="DIR", help="write the model here")
    parser.add_argument(
        "--name", default=None, help="exported model name (default: the --like or --preset name)"
    )
    parser.add_argument(
        "--out", default=None, metavar="FILE", help="the run's record (default: train_NAME.json)"
    )
    args = parser.parse_args(argv)
    # Keras as the package loaded it above (the backend chosen, TensorFlow's start-up
    # lines kept off the terminal); importing it first would let them through.
    import keras
    from training.averaging import WeightAveraging, averaging_schedule
    from training.resuming import EpochLog, recorded_teacher

    params = dict(shipped_recipe(args.like)) if args.like else dict(PRESETS[args.preset])
    if args.like and args.teacher_dtype is None:  # the dtype its teachers were asked in
        recorded = pretrained_info(args.like)["training"].get("teacher") or {}
        args.teacher_dtype = recorded.get("predict_dtype")
    params.update(_parse_set(args.set))
    unknown = sorted(set(params) - set(BiLSTMFaceEmotionClassifier().get_params()) - AVERAGING)
    if unknown:  # before the data are read and the teachers asked
        raise SystemExit(
            f"Expected --set NAME=VALUE with a parameter of BiLSTMFaceEmotionClassifier. "
            f"Received: {', '.join(unknown)}"
        )
    seed = params.pop("random_state", None)
    if args.random_state is not None:
        seed = args.random_state
    args.random_state = 0 if seed is None else seed

    X_train, y_train, X_test, y_test = fer2013_train_test(args.path)
    if args.train_size:  # a sample drawn with the run's seed
        keep = np.random.default_rng(args.random_state).permutation(len(X_train))
        X_train, y_train = X_train[keep[: args.train_size]], y_train[keep[: args.train_size]]
    teacher = params.get("teacher")
    if isinstance(teacher, tuple):  # names of shipped models: their soft vote teaches
        names = teacher
        views = {n: pretrained_params(n) for n in names}  # as they ship
        teacher = {
            "shipped_vote": list(names),
            "test_time_flip": all(v.get("test_time_flip", True) for v in views.values()),
            "test_time_shift": {n: v.get("test_time_shift") or 0 for n, v in views.items()},
        }
        if args.teacher_dtype:
            teacher["predict_dtype"] = args.teacher_dtype
        if args.resume and params.get("teacher_views", 0) == 0:  # asked once: once per run
            params["teacher"], teacher["asked_s"] = recorded_teacher(
                lambda: shipped_vote(X_train, y_train, names, args.teacher_dtype),
                X_train,
                f"{args.resume.rstrip('/')}-teacher.npz",
                json.dumps(teacher),
            )
        else:
            params["teacher"] = shipped_vote(X_train, y_train, names, args.teacher_dtype)
    averaging = None
    if "average_from" in params:  # stochastic weight averaging (training/averaging.py)
        averaging = {"from_epoch": params.pop("average_from"), "lr": params.pop("average_lr")}
        first = averaging["from_epoch"]
        rate = averaging_schedule(params["learning_rate"], averaging["lr"], first)
        state = f"{args.resume.rstrip('/')}-average.npz" if args.resume else None
        params["callbacks"] = [
            keras.callbacks.LearningRateScheduler(rate),
            WeightAveraging(
                first,
                X_train,
                batch_size=params.get("batch_size", 64),
                state_path=state,
                seed=args.random_state,
            ),
        ]
    resumed_from = epoch_log = None
    if args.resume:
        import glob

        if glob.glob(f"{args.resume}/**/*", recursive=True):
            resumed_from = args.resume
            print(f"resuming from the checkpoint in {args.resume}")
        backup = keras.callbacks.BackupAndRestore(args.resume, save_freq="epoch")
        epoch_log = EpochLog(f"{args.resume.rstrip('/')}-epochs.json", fresh=resumed_from is None)
        params["callbacks"] = [*params.get("callbacks", []), backup, epoch_log]
    params = {"verbose": 2, **params, "random_state": args.random_state}  # --set verbose=0
    clf = BiLSTMFaceEmotionClassifier(**params)
    label = args.like or args.preset
    print(f"{label}: {clf!r}, {clf.get_params()['epochs']} epochs on {len(X_train)} faces")
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    train_s = time.perf_counter() - start
    clf.set_params(callbacks=None)  # the checkpointer is not part of the model

    # Decided before looking at the test scores: the run's "accuracy" is the setting it ships
    # with, the preset's test-time views (mirroring at test time what was mirrored in
    # training unless it says test_time_flip) in float32; the other settings are scored
    # beside it (bfloat16 by benchmarks/bfloat16.py).
    shift = clf.test_time_shift
    flip = params.get("test_time_flip", clf.flip)
    dtype = clf.predict_dtype
    clf.set_params(predict_dtype="float32")
    scores = {}
    for tta_shift in sorted({0, shift}):
        for tta in (False, True):
            clf.set_params(test_time_flip=tta, test_time_shift=tta_shift)
            start = time.perf_counter()
            y_pred = clf.predict(X_test)
            predict_s = time.perf_counter() - start
            report = score_predictions(y_test, y_pred)
            scores[_score_key(tta, tta_shift)] = {
                "accuracy": report.accuracy,
                "macro_f1": report.macro_f1,
                "per_class": report.classification_report(output_dict=True),
                "predict_s": predict_s,
            }
            print(f"test_time_flip={tta} test_time_shift={tta_shift}")
            print(report.classification_report())
    best = _score_key(flip, shift)
    clf.set_params(test_time_flip=flip, test_time_shift=shift, verbose=0)
    reference = X_test[:: max(1, len(X_test) // 16)][:16]
    reference_proba = clf.predict_proba(reference).tolist()  # in float32
    clf.set_params(predict_dtype=dtype)
    result = {
        "benchmark": "train_fer2013",
        "preset": args.preset,
        "like": args.like,
        "command": "python "
        + shlex.join(["tools/train_fer2013.py", *(sys.argv[1:] if argv is None else argv)]),
        "params": {
            k: v
            for k, v in clf.get_params(deep=False).items()
            if k not in ("verbose", "teacher", "callbacks")
        },
        # a resumed run's history and train_s cover only the epochs of its last process;
        # "epochs" (with --resume) has every epoch of every process, with its seconds
        "resumed_from": resumed_from,
        "epochs": epoch_log.epochs() if epoch_log else None,
        "teacher": teacher,
        "averaging": averaging,
        "backend": keras.backend.backend(),
        "n_train": len(X_train),
        "n_test": len(X_test),
        "n_params": int(clf.model_.count_params()),
        "accuracy": scores[best]["accuracy"],
        "macro_f1": scores[best]["macro_f1"],
        "scores": scores,
        "history": clf.history_,
        "train_s": train_s,
    }
    print(
        f"accuracy {result['accuracy']:.4f}  macro-F1 {result['macro_f1']:.4f}  "
        f"({best})  trained in {train_s / 60:.1f} min"
    )
    hardware = environment()
    out = Path(args.out or f"train_{label}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {**result, "hardware": hardware, "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    out.write_text(json.dumps(record, indent=2), encoding="utf-8")
    print(f"wrote {out}")
    if args.export:
        export_pretrained(
            clf,
            args.export,
            args.name or label,
            accuracy=result["accuracy"],
            macro_f1=result["macro_f1"],
            scores={k: {m: v[m] for m in ("accuracy", "macro_f1")} for k, v in scores.items()},
            per_class=scores[best]["per_class"],
            training={
                "command": result["command"],
                "backend": result["backend"],
                "n_train": result["n_train"],
                "train_s": train_s,
                "teacher": teacher,
                **({"averaging": averaging} if averaging else {}),
                "hardware": hardware,
                "date": record["date"],
            },
            reference={
                "images": reference.tolist(),
                "proba": reference_proba,
            },
        )
        print(f"exported {args.name or label} to {args.export}")


if __name__ == "__main__":
    main()
