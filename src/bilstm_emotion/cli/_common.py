"""Shared by the subcommands: model options, output files, progress bars, CSV sinks."""

import contextlib
import csv
import json
import os
import sys
import tempfile
import textwrap
from pathlib import Path

from ..core._backend import PREDICT_DTYPE_CHOICES
from ..core._registry import PRETRAINED

#: Exit code when the job ran but some inputs failed (each named on stderr and
#: in the outputs' ``status`` column).
EXIT_PARTIAL = 3


#: The exit code of a bad command line (argparse's own).
EXIT_USAGE = 2


class PartialFailure(Exception):
    """The job finished, but some inputs failed; the message says which."""


class UsageError(ValueError):
    """The command line asks for something impossible (a value out of range, options
    that exclude each other, nothing to work on): exit 2, as argparse's own errors."""


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
        help="a fitted estimator saved by `bilstm-emotion train` (.skops) instead",
    )
    group.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow --estimator to be a pickle/joblib file: loading one runs any code it "
        "holds, so only for files you made or trust",
    )
    group.add_argument(
        "--test-time-shift",
        type=int,
        default=None,
        metavar="PIXELS",
        help="also average each face moved by PIXELS up, down, left and right: "
        "5x the time, more accurate (e.g. 2; default: the model's own setting); runs the "
        "model on Keras (a backend extra, e.g. bilstm-emotion[tensorflow])",
    )
    group.add_argument(
        "--predict-dtype",
        default=None,
        choices=PREDICT_DTYPE_CHOICES,
        help="run the model on Keras in this arithmetic: bfloat16 is up to 2.2x faster on "
        "processors with bfloat16 units (Intel AMX, AVX512-BF16), slower elsewhere; auto "
        "picks it with TensorFlow on such a processor, else float32 (default: the shipped "
        "model's ONNX graph on onnxruntime, in the arithmetic it ships in)",
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
    from ..preprocessing._detector import FaceDetector

    return FaceDetector(detector=args.detector, select="all")


def add_output_options(parser):
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bars or tables (errors shown)"
    )


#: Model options that only a Keras network takes (a shipped model then loads its network).
KERAS_ONLY = ("test_time_shift", "predict_dtype")


def load_model(args, engine="auto"):
    """The model the options name: ``--estimator``'s file, or a shipped model on
    ``engine`` (its Keras network whatever ``engine`` says when a Keras-only option is
    given)."""
    model = _load_model(args, engine)
    shift = getattr(args, "test_time_shift", None)
    if shift is not None and shift < 0:
        raise UsageError(f"Expected --test-time-shift >= 0. Received: {shift}")
    for param in KERAS_ONLY:
        value = getattr(args, param, None)
        if value is None:
            continue
        if param not in getattr(model, "get_params", dict)():
            raise ValueError(
                f"Expected a BiLSTMFaceEmotionClassifier for --{param.replace('_', '-')}. "
                f"Received: {type(model).__name__} from {args.estimator}"
            )
        model.set_params(**{param: value})
    return model


def _load_model(args, engine):
    if args.estimator:
        from ..model._persistence import load_estimator

        path = Path(args.estimator)
        model = load_estimator(path, trust_pickle=getattr(args, "trust_pickle", False))
        if not hasattr(model, "predict_proba"):
            raise ValueError(
                f"Expected a fitted classifier with predict_proba in {path}. "
                f"Received: {type(model).__name__}"
            )
        if not hasattr(model, "classes_"):
            raise ValueError(
                f"Expected a fitted classifier in {path}. Received: an unfitted "
                f"{type(model).__name__}; fit it first (bilstm-emotion train)"
            )
        return model
    from ..model._pretrained import load_pretrained

    # the two Keras-only settings run the model's network; otherwise its ONNX graph
    keras_only = any(getattr(args, p, None) is not None for p in KERAS_ONLY)
    return load_pretrained(args.model, engine="keras" if keras_only else engine)


def check_outputs(paths, overwrite):
    """Refuse, before any work, to replace an existing output without --overwrite, to write
    one file twice, or to write where no file can be created."""
    paths = [Path(p) for p in paths if p is not None]
    seen = {}
    for path in paths:
        key = _key(path)
        if key in seen:
            raise ValueError(
                f"Expected a different file for each output. Received: {seen[key]} and "
                f"{path} are the same file"
            )
        seen[key] = path
        if path.exists() and not overwrite:
            raise FileExistsError(f"Output {path} already exists; pass --overwrite to replace it")
    for folder in dict.fromkeys(path.parent for path in paths):
        check_writable(folder)


def check_writable(folder):
    """Create ``folder`` if needed and make sure a file can be created in it."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OSError(f"Cannot write outputs in {folder}: {reason}") from None


def _key(path):
    return os.path.normcase(os.path.abspath(path))


#: Appended to an output's name while it is being written: a run that is interrupted
#: (or dies) leaves ``faces.csv.partial``, never a ``faces.csv`` that looks complete.
PARTIAL_SUFFIX = ".partial"


class Outputs:
    """The output files of a run, claimed before any work starts.

    Each is created at once as ``<name>.partial`` (exclusively: a second run
    writing the same file is refused, not interleaved) and renamed to its name
    when the run finishes. A run that ends early keeps the partial files that
    hold something and says so; empty ones are removed. ``also`` are other
    outputs (written directly) checked with them: existing, duplicated.
    ``inputs`` may not be among the outputs.
    """

    def __init__(self, paths, *, overwrite, inputs=(), also=()):
        from ..datasets._remote import is_url

        for path in [*paths, *also]:
            if is_url(path):
                raise ValueError(
                    f"Expected a local file for this output (only --parquet may be a URL). "
                    f"Received: {path}"
                )
        self.paths = [Path(p) for p in paths if p is not None]
        also = list(also)
        # folders this run creates, removed again if it ends with nothing in them
        self._new_folders = sorted(
            {
                a
                for p in [*self.paths, *also]
                for a in [p.parent, *p.parent.parents]
                if not a.exists()
            },
            key=lambda a: len(a.parts),
            reverse=True,
        )
        check_outputs([*self.paths, *also], overwrite)
        outputs = {_key(p): p for p in [*self.paths, *also]}
        for item in inputs:
            if isinstance(item, (str, os.PathLike)) and _key(item) in outputs:
                raise ValueError(
                    f"Expected outputs apart from the inputs. Received: {item} as both"
                )
        self.used = set()
        self._claimed = []
        try:
            for path in self.paths:
                self._claim(path, overwrite)
        except BaseException:
            self.abandon()
            raise

    @staticmethod
    def partial(path):
        path = Path(path)
        return path.with_name(path.name + PARTIAL_SUFFIX)

    def _claim(self, path, overwrite):
        partial = self.partial(path)
        if overwrite:
            partial.unlink(missing_ok=True)
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            raise FileExistsError(
                f"{partial} exists: another run is writing {path}, or an interrupted run "
                "left it; remove it or pass --overwrite"
            ) from None
        os.close(fd)
        self._claimed.append(path)

    def open(self, path, mode="w"):
        """The partial file of ``path``, open for writing."""
        kwargs = {} if "b" in mode else {"newline": "", "encoding": "utf-8"}
        return self.target(path).open(mode, **kwargs)

    def target(self, path):
        """The partial file of ``path``, to be written (by us or by a writer that opens it)."""
        self.used.add(Path(path))
        return self.partial(path)

    def finish(self):
        """Rename every partial file written to its name; remove those never written."""
        for path in self._claimed:
            if path in self.used:
                os.replace(self.partial(path), path)
            else:
                self.partial(path).unlink(missing_ok=True)
        self._claimed = []

    def abandon(self):
        """Remove every partial file and new folder: the run did nothing worth keeping
        (its source could not be read at all)."""
        for path in self._claimed:
            self.partial(path).unlink(missing_ok=True)
        self._claimed = []
        self._remove_new_folders()

    def _remove_new_folders(self):
        for folder in self._new_folders:
            with contextlib.suppress(OSError):  # not empty: something is kept there
                folder.rmdir()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None or issubclass(exc_type, PartialFailure):
            self.finish()  # done (some inputs failed, each with its record)
            return
        kept = [self.partial(p) for p in self._claimed if p in self.used]
        for path in self._claimed:
            if path not in self.used:
                self.partial(path).unlink(missing_ok=True)
        self._claimed = []
        self._remove_new_folders()
        if kept:
            print(
                f"bilstm-emotion: the run did not finish; what it did is in "
                f"{', '.join(map(str, kept))}",
                file=sys.stderr,
            )


def add_scheduler_option(parser, what):
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help=f'{what} on a Dask cluster: its scheduler\'s address (tcp://host:8786), or "local" '
        "for a cluster of this machine's cores, one single-threaded worker each",
    )


@contextlib.contextmanager
def dask_client(scheduler):
    """A ``distributed.Client`` of the cluster at ``scheduler`` ("local": a new cluster of
    this machine's cores, one single-threaded worker process each), closed at the end."""
    try:
        from distributed import Client
    except ImportError:
        raise ValueError(
            "Expected dask.distributed for --scheduler. Received: it is not installed; "
            'pip install "bilstm-emotion[dask]"'
        ) from None
    import dask

    if scheduler == "local":
        # no dashboard, so no use for the profiler that feeds it: its call trees of the
        # last 1,000 s of work would grow each worker by about 0.1 MB per second of it
        options = {"threads_per_worker": 1, "dashboard_address": None}
        settings = {"distributed.worker.profile.enabled": False}
    else:
        options, settings = {"address": scheduler}, {}
    try:
        with dask.config.set(settings):
            client = Client(**options, timeout="20s")
    except OSError as exc:
        raise ValueError(f"Cannot reach the Dask scheduler {scheduler}: {exc}") from None
    with client:
        yield client


def progress(iterable=None, *, total=None, desc=None, quiet=False, unit="it"):
    """A tqdm bar on stderr, shown after one second, never with --quiet or off a terminal."""
    from tqdm.auto import tqdm

    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        delay=1.0,
        file=sys.stderr,
        disable=True if quiet else None,
        leave=False,
    )


class CsvSink:
    """A CSV output written row by row and flushed, so a crash keeps what was done."""

    def __init__(self, outputs, path, fields):
        self._file = outputs.open(path)
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


class JsonSink:
    """A JSON list written record by record (the text ``json.dumps(records, indent=2)``
    gives), so that no list of every record is held in memory."""

    def __init__(self, outputs, path):
        self._file = outputs.open(path)
        self._count = 0

    def write(self, rows):
        for row in rows:
            item = textwrap.indent(json.dumps(row, indent=2), "  ")
            self._file.write(("[\n" if self._count == 0 else ",\n") + item)
            self._count += 1

    def close(self):
        self._file.write("\n]\n" if self._count else "[]\n")
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def sink(outputs, path, fields):
    """A :class:`CsvSink` for ``path`` among ``outputs``, or one that drops rows if None."""
    return CsvSink(outputs, path, fields) if path else NullSink()


def json_sink(outputs, path):
    """A :class:`JsonSink` for ``path`` among ``outputs``, or one that drops rows if None."""
    return JsonSink(outputs, path) if path else NullSink()


def write_json(outputs, path, data):
    with outputs.open(path) as f:
        f.write(json.dumps(data, indent=2) + "\n")


def save_figure(outputs, path, fig):
    with outputs.open(path, "wb") as f:
        fig.savefig(f, format=Path(path).suffix.lstrip(".").lower() or "png", dpi=120)


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
    return "" if value is None else str(value)


def load_labelled(path, subset, *, lazy=False):
    """Faces and emotion names from FER2013 (CSV, folder, zip) or a ``<label>/<image>`` folder.

    ``lazy`` lists image files only (:class:`~bilstm_emotion.datasets.ImageFiles`, 48x48).
    """
    import numpy as np

    from ..core._labels import EMOTIONS
    from ..datasets._loaders import load_fer2013, load_image_folder

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
