"""``train``: fit a classifier on labelled faces and save it; the estimator options
``grid-search`` shares."""

import argparse
import sys
import time
from pathlib import Path

from ..core._registry import PRETRAINED
from ._common import (
    add_output_options,
    check_outputs,
    load_labelled,
    parse_assignments,
    progress,
)

TRAIN_EPILOG = """examples:
  bilstm-emotion train fer2013.zip --out model.skops --like conv-bilstm --epochs 30
  bilstm-emotion train my_faces/ --out model.skops --set row_hidden=64 --set flip=True
  bilstm-emotion train huge.zip --out model.skops --stream      # read faces batch by batch
  bilstm-emotion predict photo.jpg --estimator model.skops
"""


def make_estimator(args):
    from ..model._classifier import BiLSTMFaceEmotionClassifier

    params = {}
    if args.like:
        from ..core._registry import pretrained_info
        from ..model._keras_pretrained import shipped_params

        params = shipped_params(pretrained_info(args.like))
    params.update(parse_assignments(args.set, "--set"))
    if args.epochs is not None:
        params["epochs"] = args.epochs
    params.setdefault("verbose", 0 if args.quiet else 2)
    clf = BiLSTMFaceEmotionClassifier()
    unknown = sorted(set(params) - set(clf.get_params()))
    if unknown:
        raise ValueError(
            f"Expected parameters of BiLSTMFaceEmotionClassifier. Received: {unknown[0]!r} "
            f"(known: {', '.join(sorted(clf.get_params()))})"
        )
    return clf.set_params(**params)


def on_terminal():
    """Whether stderr is a terminal (a progress bar there; log lines elsewhere)."""
    return sys.stderr.isatty()


def epoch_bar():
    """A Keras callback that shows the epochs as a progress bar with the time left and
    the last epoch's loss and accuracy (Keras' own lines give neither the estimate)."""
    import keras

    class EpochBar(keras.callbacks.Callback):
        bar = None  # made when training starts: the estimator copies its callbacks

        def on_train_begin(self, logs=None):
            self.bar = progress(total=self.params.get("epochs"), desc="epochs", unit="epoch")

        def on_epoch_end(self, epoch, logs=None):
            shown = {k: f"{v:.3f}" for k, v in (logs or {}).items() if k in _SHOWN}
            self.bar.set_postfix(shown, refresh=False)
            self.bar.update()

        def on_train_end(self, logs=None):
            self.bar.close()

    return EpochBar()


_SHOWN = ("loss", "accuracy", "val_loss", "val_accuracy")


def subsample(X, y, n, seed):
    import numpy as np
    from sklearn.model_selection import train_test_split

    if n is None or n >= len(X):
        return X, y
    X, _, y, _ = train_test_split(X, y, train_size=n, stratify=y, random_state=seed)
    return X, np.asarray(y)


def _train(args):
    from ..model._persistence import save_estimator

    if Path(args.out).suffix.lower() != ".skops":
        raise ValueError(
            f"Expected --out ending in .skops (a safe format: loading it runs no code). "
            f"Received: --out {args.out}"
        )
    check_outputs([args.out], args.overwrite)
    clf = make_estimator(args)
    X, y = load_labelled(args.data, args.subset, lazy=args.stream)
    X, y = subsample(X, y, args.train_size, clf.random_state or 0)
    if not args.quiet:
        print(f"training on {len(X)} faces from {args.data}: {clf!r}")
        if on_terminal() and clf.callbacks is None:  # a bar with an estimate, not a log
            clf.set_params(verbose=0, callbacks=[epoch_bar()])
    start = time.perf_counter()
    clf.fit(X, y)
    seconds = time.perf_counter() - start
    save_estimator(clf, args.out, overwrite=args.overwrite)
    if not args.quiet:
        print(
            f"trained in {seconds:.1f} s ({clf.n_iter_} epochs); training accuracy "
            f"{clf.history_['accuracy'][-1]:.3f}; saved to {args.out}"
        )
    return 0


def add_data(p):
    p.add_argument("data", help="FER2013 CSV, folder or zip, or a <label>/<image> folder")


def add_estimator_options(p):
    p.add_argument(
        "--like",
        choices=PRETRAINED,
        default=None,
        help="start from a shipped model's hyperparameters (not its teacher)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any estimator parameter, e.g. --set row_hidden=64",
    )
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="passes over the training faces (the estimator's epochs, or --like's model's)",
    )
    p.add_argument(
        "--train-size", type=int, default=None, metavar="N", help="a stratified sample of N faces"
    )
    p.add_argument(
        "--stream",
        action="store_true",
        help="read the faces from disk batch by batch (image files only)",
    )


def add_parser(sub):
    t = sub.add_parser(
        "train",
        help="fit a classifier on labelled faces and save it (.skops)",
        description="Fit BiLSTMFaceEmotionClassifier on FER2013 (any format; --subset picks "
        "the split) or a <label>/<image> folder, and save the fitted estimator with skops "
        "for predict/video/summary/evaluate --estimator.",
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data(t)
    t.add_argument("--subset", default="train", help="FER2013 split to train on (train)")
    t.add_argument(
        "--out", required=True, metavar="FILE.skops", help="where to save the estimator"
    )
    add_estimator_options(t)
    add_output_options(t)
    t.set_defaults(func=_train)
