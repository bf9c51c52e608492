"""Saving fitted estimators with skops, and loading them without running their code.

A pickle (or joblib) file runs whatever code it names while it loads; a skops
file is a zip of JSON and arrays from which only the types the loader trusts
are rebuilt. :func:`save_estimator` writes skops; :func:`load_estimator`
reads skops with :func:`trusted_types` and reads a pickle only when told to
trust it. What a file is gets decided from its first bytes, not its name, so
an empty file, a text file or a Keras ``.keras`` archive is named as such.
"""

import os
import tempfile
import zipfile
import zlib
from pathlib import Path

from sklearn.base import BaseEstimator

from .. import preprocessing
from ._onnx_classifier import OnnxFaceEmotionClassifier, OnnxGraph

__all__ = [
    "UntrustedFileError",
    "describe_file",
    "load_estimator",
    "save_estimator",
    "trusted_types",
]

#: The Keras estimator, named rather than imported: skops imports it (and Keras) only
#: for a file that holds one, so a file of ONNX estimators loads without a backend.
KERAS_ESTIMATOR = "bilstm_emotion.model._classifier.BiLSTMFaceEmotionClassifier"

#: Types beyond this package's own and scikit-learn's estimators that a fitted
#: estimator of ours may hold (the teacher of a distilled model is often one of
#: these), by fully qualified name.
_EXTRA_TRUSTED = (
    "sklearn.frozen._frozen.FrozenEstimator",
    "sklearn.ensemble._voting.VotingClassifier",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._label.LabelEncoder",
    "sklearn.utils._bunch.Bunch",
)

#: What the first bytes of a file say it is (the pickle protocol 2+ opcode, and
#: the compressors joblib can write).
_PICKLE_MAGIC = (b"\x80", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x5d\x00\x00", b"\x28\xb5\x2f\xfd")


class UntrustedFileError(ValueError):
    """A saved file holds types the loader does not trust, or is a pickle not trusted.

    ``untrusted`` lists the fully qualified type names found (empty for a pickle,
    which cannot be inspected without running it).
    """

    def __init__(self, message, untrusted=()):
        super().__init__(message)
        self.untrusted = list(untrusted)


def trusted_types():
    """The fully qualified names of the types :func:`load_estimator` rebuilds by default.

    This package's estimators and transformers (the classifiers and an ONNX
    graph's holder, the preprocessing steps) and a few scikit-learn types that hold them
    (``Pipeline``, ``FrozenEstimator``, ``VotingClassifier``). skops itself
    already trusts scikit-learn's estimators, NumPy arrays and Python's
    builtin containers.

    Returns
    -------
    names : list of str
    """
    ours = [OnnxFaceEmotionClassifier]
    ours += [getattr(preprocessing, name) for name in preprocessing.__all__]
    names = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in ours
        if isinstance(cls, type) and issubclass(cls, BaseEstimator)
    ]
    # an ONNX graph is data: onnxruntime runs only the standard operators it names
    names += [f"{OnnxGraph.__module__}.{OnnxGraph.__qualname__}", KERAS_ESTIMATOR]
    return sorted(set(names) | set(_EXTRA_TRUSTED))


def save_estimator(estimator, path, *, overwrite=False):
    """Save an estimator (fitted or not) as a skops file, safe to hand to others.

    The Keras network inside a :class:`~bilstm_emotion.BiLSTMFaceEmotionClassifier`
    travels as a ``.keras`` archive (with its optimizer state, so ``partial_fit``
    can go on after loading) and is read back with ``safe_mode=True``. The file
    is written beside ``path`` and renamed into place, so no half-written file
    is ever left under ``path``.

    Parameters
    ----------
    estimator : estimator
        Anything skops can store: this package's estimators, scikit-learn's,
        pipelines of both.
    path : str or path-like
        Should end in ``.skops``.
    overwrite : bool, default=False
        Replace an existing file; otherwise :class:`FileExistsError`.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> from bilstm_emotion import load_estimator, load_pretrained, save_estimator
    >>> path = save_estimator(load_pretrained(), tempfile.mkdtemp() + "/model.skops")
    >>> load_estimator(path).classes_[:3].tolist()
    ['angry', 'disgust', 'fear']
    """
    import skops.io

    path = Path(path)
    if path.suffix.lower() != ".skops":
        raise ValueError(
            f"Expected a file name ending in .skops for save_estimator. Received: {path}"
        )
    if path.exists() and not overwrite:
        raise FileExistsError(f"Output {path} already exists; pass overwrite=True to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            skops.io.dump(estimator, f)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def describe_file(path):
    """What a file holds, from its first bytes.

    Returns one of ``"missing"``, ``"folder"``, ``"empty"``, ``"skops"``,
    ``"keras"`` (a Keras ``.keras`` archive), ``"zip"`` (another zip),
    ``"pickle"`` (pickle or joblib, compressed or not), ``"text"`` or
    ``"unknown"``.
    """
    path = Path(path)
    if not path.exists():
        return "missing"
    if path.is_dir():
        return "folder"
    with path.open("rb") as f:
        head = f.read(4096)
    if not head:
        return "empty"
    if head.startswith(_PICKLE_MAGIC) or _is_zlib_pickle(head):
        return "pickle"
    # by its first bytes: is_zipfile would also say yes to a pickle holding a zip's bytes
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return "unknown"
        if "schema.json" in names:
            return "skops"
        if "config.json" in names and "metadata.json" in names:
            return "keras"
        return "zip"
    # (protocol 0 pickles, which have no magic, are ASCII: called text, never loaded)
    return "text" if b"\x00" not in head and _is_text(head) else "unknown"


def _is_zlib_pickle(head):
    # joblib's default compressor writes a bare zlib stream: look inside
    try:
        return zlib.decompressobj().decompress(head)[:1] == b"\x80"
    except zlib.error:
        return False


def _is_text(data):
    for cut in range(4):  # a multi-byte character cut at the end of the sample
        try:
            data[: len(data) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return True
    return False


_WHAT = {
    "empty": "the file is empty",
    "folder": "it is a folder",
    "keras": "it is a Keras model archive (.keras), not a fitted estimator; fit an estimator "
    "and save it with `bilstm-emotion train` or save_estimator",
    "zip": "it is a zip archive without a skops schema",
    "text": "it is a text file, not a saved estimator",
    "unknown": "it is neither a skops nor a pickle file",
}


def load_estimator(path, *, trusted=None, trust_pickle=False):
    """Load an estimator saved by :func:`save_estimator` (skops), or a pickle you trust.

    skops files are checked before anything is built: every type they hold
    must be one of :func:`trusted_types`, a type skops trusts (scikit-learn's
    estimators, NumPy) or one named in ``trusted``; otherwise nothing is
    loaded and the error lists the other types. Pickle and joblib files can
    run any code while they load and are read only with
    ``trust_pickle=True``. Either way, the Keras network inside is read with
    ``safe_mode=True``.

    Parameters
    ----------
    path : str or path-like
        A ``.skops`` file, or a pickle/joblib file with ``trust_pickle=True``.
    trusted : list of str, default=None
        More fully qualified type names to trust in a skops file (check them
        first: ``skops.io.get_untrusted_types(file=path)`` lists them).
    trust_pickle : bool, default=False
        Read pickle and joblib files (only ones you made or trust).

    Returns
    -------
    estimator : object

    Raises
    ------
    UntrustedFileError
        Untrusted types in a skops file, or a pickle without ``trust_pickle``.
    ValueError
        An empty, text, ``.keras``, corrupt or otherwise unloadable file; the
        message names it and says what it is.
    FileNotFoundError
        No such file.
    """
    path = Path(path)
    kind = describe_file(path)
    if kind == "missing":
        raise FileNotFoundError(f"No such estimator file: {path}")
    if kind == "skops":
        return _load_skops(path, trusted)
    if kind == "pickle":
        if not trust_pickle:
            raise UntrustedFileError(
                f"Refusing to load {path}: it is a pickle/joblib file, and loading one runs "
                "whatever code it holds. Load it only if you made it or trust its source "
                "(--trust-pickle, trust_pickle=True), then re-save it as .skops "
                "(save_estimator)"
            )
        return _load_pickle(path)
    raise ValueError(f"Cannot load estimator {path}: {_WHAT[kind]}")


def _load_skops(path, trusted):
    import skops.io

    allowed = set(trusted_types()) | set(trusted or ())
    try:
        found = skops.io.get_untrusted_types(file=path)
    except Exception as exc:
        raise ValueError(f"Cannot load estimator {path}: a damaged skops file ({exc})") from None
    untrusted = sorted(set(found) - allowed)
    if untrusted:
        raise UntrustedFileError(
            f"Refusing to load {path}: it holds types this package does not trust: "
            f"{', '.join(untrusted)}. If you know them to be safe, pass them as "
            "load_estimator(..., trusted=[...])",
            untrusted,
        )
    try:
        return skops.io.load(path, trusted=sorted(allowed | set(found)))
    except Exception as exc:
        raise ValueError(f"Cannot load estimator {path}: {type(exc).__name__}: {exc}") from None


def _load_pickle(path):
    import joblib

    try:
        return joblib.load(path)
    except Exception as exc:
        raise ValueError(
            f"Cannot load estimator {path}: a damaged or foreign pickle "
            f"({type(exc).__name__}: {exc})"
        ) from None
