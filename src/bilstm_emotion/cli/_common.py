"""Shared by the subcommands: model options, output files, progress bars, CSV sinks."""

import csv
import json
import sys
from pathlib import Path

from .._pretrained import PRETRAINED

#: Exit code when the job ran but some inputs failed (each named on stderr and
#: in the outputs' ``status`` column).
EXIT_PARTIAL = 3


class PartialFailure(Exception):
    """The job finished, but some inputs failed; the message says which."""


def add_model_options(parser):
    group = parser.add_argument_group("model")
    group.add_argument(
        "--model",
        default=PRETRAINED[0],
        choices=PRETRAINED,
        help=f"shipped pretrained model ({PRETRAINED[0]})",
    )
    group.add_argument(
        "--estimator",
        default=None,
        metavar="FILE",
        help="a fitted estimator saved with joblib (e.g. by `bilstm-emotion train`) instead",
    )
    group.add_argument(
        "--test-time-shift",
        type=int,
        default=None,
        metavar="PIXELS",
        help="also average each face moved by PIXELS up, down, left and right: "
        "5x the time, more accurate (e.g. 2; default: the model's own setting)",
    )


def add_detector_options(parser):
    group = parser.add_argument_group("faces")
    group.add_argument(
        "--detector",
        default="blazeface",
        choices=("blazeface", "lbp"),
        help="face detector: BlazeFace (shipped, finds small, turned and cut-off faces) or "
        "scikit-image's LBP cascade (blazeface)",
    )


def make_face_detector(args):
    """The ``FaceDetector`` (every face) that ``--detector`` names."""
    from ..preprocessing import FaceDetector

    return FaceDetector(detector=args.detector, select="all")


def add_output_options(parser):
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bars or tables (errors shown)"
    )


def load_model(args):
    model = _load_model(args)
    shift = getattr(args, "test_time_shift", None)
    if shift is not None:
        if shift < 0:
            raise ValueError(f"Expected --test-time-shift >= 0. Received: {shift}")
        if "test_time_shift" not in getattr(model, "get_params", dict)():
            raise ValueError(
                f"Expected a BiLSTMFaceEmotionClassifier for --test-time-shift. "
                f"Received: {type(model).__name__} from {args.estimator}"
            )
        model.set_params(test_time_shift=shift)
    return model


def _load_model(args):
    if args.estimator:
        import joblib

        path = Path(args.estimator)
        if not path.is_file():
            raise FileNotFoundError(f"No such estimator file: {path}")
        model = joblib.load(path)
        if not hasattr(model, "predict_proba"):
            raise ValueError(
                f"Expected a fitted classifier with predict_proba in {path}. "
                f"Received: {type(model).__name__}"
            )
        return model
    from .._pretrained import load_pretrained

    return load_pretrained(args.model)


def check_outputs(paths, overwrite):
    """Refuse, before any work, to replace an existing output without --overwrite."""
    for path in paths:
        if path is not None and Path(path).exists() and not overwrite:
            raise FileExistsError(f"Output {path} already exists; pass --overwrite to replace it")


def progress(iterable=None, *, total=None, desc=None, quiet=False, unit="it"):
    """A tqdm bar on stderr, shown after one second, never with --quiet or off a terminal."""
    from tqdm.auto import tqdm

    return tqdm(
        iterable, total=total, desc=desc, unit=unit, delay=1.0, file=sys.stderr,
        disable=True if quiet else None, leave=False,
    )  # fmt: skip


class CsvSink:
    """A CSV file written row by row and flushed, so a crash keeps what was done."""

    def __init__(self, path, fields):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", newline="", encoding="utf-8")
        self._writer = csv.DictWriter(self._file, fieldnames=list(fields), extrasaction="ignore")
        self._writer.writeheader()
        self._file.flush()

    def write(self, rows):
        self._writer.writerows(rows)
        self._file.flush()

    def close(self):
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class NullSink:
    def write(self, rows):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def sink(path, fields):
    return CsvSink(path, fields) if path else NullSink()


def write_json(path, data):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def print_table(rows, columns, *, file=None):
    """Print dict rows as an aligned text table."""
    text = [[_cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(t[i]) for t in text]) for i, c in enumerate(columns)]
    out = file or sys.stdout
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(), file=out)
    for t in text:
        print("  ".join(v.ljust(w) for v, w in zip(t, widths, strict=True)).rstrip(), file=out)


def _cell(value):
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def load_labelled(path, subset, *, lazy=False):
    """Faces and emotion names from FER2013 (CSV, folder, zip) or a ``<label>/<image>`` folder.

    ``lazy`` lists image files only (:class:`~bilstm_emotion.datasets.ImageFiles`, 48x48).
    """
    import numpy as np

    from .._classifier import EMOTIONS
    from ..datasets import load_fer2013, load_image_folder

    path = Path(path)
    try:
        X, y = load_fer2013(path, subset=subset, return_X_y=True, lazy=lazy)
    except ValueError:
        if not path.is_dir():
            raise
        size = (48, 48) if lazy else None
        X, names = load_image_folder(path, return_X_y=True, lazy=lazy, image_size=size)
    else:
        if (y < 0).any():
            raise ValueError(
                f"Expected labelled faces. Received: {int((y < 0).sum())} unlabelled faces in "
                f"{path} (subset {subset!r})"
            )
        names = np.asarray(EMOTIONS)[y]
    if len(X) == 0:
        raise ValueError(f"Expected labelled faces in {path}. Received: none")
    return X, names


def parse_assignments(items, option):
    """``["name=value", ...]`` -> dict; values are Python literals or bare strings."""
    import ast

    params = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"Expected {option} name=value. Received: {item!r}")
        try:
            params[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[key] = value
    return params
