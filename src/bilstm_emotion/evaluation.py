"""One call from a fitted classifier and labelled faces to everything worth reporting.

:func:`evaluate` returns an :class:`EvaluationReport`: accuracy, macro and
weighted F1, the per-class table (the layout of scikit-learn's
:func:`~sklearn.metrics.classification_report`), the confusion matrix in
counts and row-normalised, the fraction of wrong predictions per class, and
measured prediction speed (latency of one face, throughput at the best batch
size) with the hardware it was measured on. It serialises to JSON and
Markdown; :mod:`bilstm_emotion.plotting` draws it.
"""

import json
import sys
import time
from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.metrics import classification_report, confusion_matrix, f1_score
from sklearn.utils.validation import check_is_fitted

from .core._backend import backend_name
from .core._labels import codes_as_names
from .core._machine import machine

__all__ = ["EvaluationReport", "environment", "evaluate", "measure_speed", "score_predictions"]


@dataclass(frozen=True)
class EvaluationReport:
    """What :func:`evaluate` measured. Every field is plain data (JSON-ready).

    Attributes
    ----------
    labels : list
        The class labels, in the order of the per-class fields and of the
        confusion matrix rows and columns.
    n_samples : int
        Number of faces evaluated.
    accuracy, macro_f1, weighted_f1 : float
        Overall scores.
    per_class : dict
        ``{label: {"precision", "recall", "f1-score", "support"}}``.
    confusion : list of list of int
        Confusion matrix counts; rows are true labels, columns predictions.
    error_rate : dict
        Per class, the fraction of its faces predicted as another class.
    timing : dict or None
        ``latency_ms`` (one face, median), ``throughput`` (faces/s per batch
        size), ``best_batch_size``, ``best_throughput`` and ``environment``;
        ``None`` when not measured.
    y_true, y_pred : list
        The labels and predictions behind the numbers.
    """

    labels: list
    n_samples: int
    accuracy: float
    macro_f1: float
    weighted_f1: float
    per_class: dict
    confusion: list
    error_rate: dict
    timing: dict | None = None
    y_true: list = field(default_factory=list, repr=False)
    y_pred: list = field(default_factory=list, repr=False)

    @property
    def confusion_normalized(self):
        """Row-normalised confusion matrix (each true class sums to 1), as an ndarray."""
        counts = np.asarray(self.confusion, dtype=np.float64)
        totals = counts.sum(axis=1, keepdims=True)
        return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)

    def classification_report(self, digits=3, *, output_dict=False):
        """The per-class table as text, exactly as scikit-learn prints it (or, with
        ``output_dict=True``, as its dict: the classes, ``accuracy`` and the averages)."""
        return classification_report(
            self.y_true,
            self.y_pred,
            labels=self.labels,
            digits=digits,
            output_dict=output_dict,
            zero_division=0,
        )

    def to_dict(self):
        """All fields as JSON-ready Python objects (with the normalised matrix too)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["confusion_normalized"] = self.confusion_normalized.tolist()
        return out

    def to_json(self, path=None, **kwargs):
        """JSON text; written to ``path`` as well when given."""
        text = json.dumps(self.to_dict(), indent=kwargs.pop("indent", 2), **kwargs)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return text

    def to_markdown(self):
        """A Markdown summary: scores, the per-class table and the timing."""
        lines = [
            f"**{self.n_samples} faces** — accuracy **{self.accuracy:.3f}**, "
            f"macro-F1 {self.macro_f1:.3f}, weighted F1 {self.weighted_f1:.3f}",
            "",
            "| class | precision | recall | F1 | support | wrong |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for label in self.labels:
            s = self.per_class[str(label)]
            lines.append(
                f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1-score']:.3f} "
                f"| {int(s['support'])} | {self.error_rate[str(label)]:.1%} |"
            )
        if self.timing:
            t = self.timing
            lines += [
                "",
                f"Prediction: {t['latency_ms']:.1f} ms for one face; "
                f"{t['best_throughput']:.0f} faces/s at batch {t['best_batch_size']} "
                f"({t['environment']['keras_backend']}, {t['environment']['cpu_count']} CPUs, "
                f"{t['environment']['processor'] or t['environment']['machine']}).",
            ]
        return "\n".join(lines) + "\n"


def environment():
    """Where a measurement ran: the Keras backend and the machine.

    Returns
    -------
    environment : dict
        ``keras_backend`` (``None`` when Keras was not loaded: nothing that ran
        needed it, and naming it is not worth importing it),
        ``predict_dtype_auto`` (what ``predict_dtype="auto"`` predicts in here,
        ``"float32"`` or ``"bfloat16"``; ``None`` when Keras was not loaded),
        ``machine``, ``processor``, ``cpu`` (``model`` and the
        ``flags`` among AVX2, FMA, AVX-512, VNNI, bfloat16 and AMX that it has: they
        change how fast the networks run), ``cpu_count`` and ``python``.
    """
    backend = auto = None
    if "keras" in sys.modules:
        from .model._predicting import resolve_dtype

        backend, auto = backend_name(), resolve_dtype("auto")
    return {"keras_backend": backend, "predict_dtype_auto": auto, **machine()}


def measure_speed(estimator, X, *, batch_sizes=(32, 128, 256), n_latency=30, max_images=1024):
    """Measure prediction latency (one face) and throughput (per batch size).

    Parameters
    ----------
    estimator : fitted classifier
        Anything with ``predict_proba``. Throughput per batch size needs a
        ``batch_size`` parameter, or a pipeline step's ``..__batch_size`` (set
        for the measurement, then restored); without one, the whole of ``X``
        is timed once.
    X : array-like
        Faces to time on (at most ``max_images`` are used).
    batch_sizes : tuple of int, default=(32, 128, 256)
        Batch sizes to time.
    n_latency : int, default=30
        Single-face calls timed; the median is reported.
    max_images : int, default=1024
        Images used for throughput.

    Returns
    -------
    timing : dict
        ``latency_ms``, ``throughput`` ({batch size: faces/s}),
        ``best_batch_size``, ``best_throughput``, ``environment``.
    """
    X = X[:max_images]
    estimator.predict_proba(X[:1])  # warm-up: tracing, compilation
    single = []
    for i in range(n_latency):
        start = time.perf_counter()
        estimator.predict_proba(X[i % len(X) : i % len(X) + 1])
        single.append(time.perf_counter() - start)
    throughput = {}
    params = estimator.get_params()
    key = next((k for k in params if k == "batch_size" or k.endswith("__batch_size")), None)
    has_batch = key is not None
    original = params[key] if has_batch else None
    try:
        for batch in batch_sizes if has_batch else (None,):
            if has_batch:
                estimator.set_params(**{key: batch})
            estimator.predict_proba(X[: batch or len(X)])  # warm-up at this shape
            start = time.perf_counter()
            estimator.predict_proba(X)
            throughput[batch or len(X)] = len(X) / (time.perf_counter() - start)
    finally:
        if has_batch:
            estimator.set_params(**{key: original})
    best = max(throughput, key=throughput.get)
    return {
        "latency_ms": float(np.median(single) * 1000),
        "throughput": {int(b): float(v) for b, v in throughput.items()},
        "best_batch_size": int(best),
        "best_throughput": float(throughput[best]),
        "n_images": len(X),
        "environment": environment(),
    }


def evaluate(estimator, X, y, *, timing=True, batch_sizes=(32, 128, 256)):
    """Score a fitted classifier on labelled faces and time its predictions.

    Parameters
    ----------
    estimator : fitted classifier
        A :class:`~bilstm_emotion.BiLSTMFaceEmotionClassifier`, a pipeline
        ending in one, or any fitted scikit-learn classifier.
    X : array-like
        Faces (whatever ``estimator.predict`` accepts).
    y : array-like of shape (n_samples,)
        True labels. Integers, for a classifier whose classes are emotion
        names (every shipped model), are FER2013's codes (``0`` angry ... ``6``
        neutral, the order of :data:`~bilstm_emotion.EMOTIONS` and of
        ``load_fer2013``'s ``target_names``): what
        ``load_fer2013(..., return_X_y=True)`` returns can be passed as is.
    timing : bool, default=True
        Also measure prediction speed (:func:`measure_speed`).
    batch_sizes : tuple of int, default=(32, 128, 256)
        Batch sizes for the throughput measurement.

    Returns
    -------
    report : EvaluationReport

    Examples
    --------
    >>> from bilstm_emotion import BiLSTMFaceEmotionClassifier
    >>> from bilstm_emotion.datasets import make_synthetic_faces
    >>> from bilstm_emotion.evaluation import evaluate
    >>> X, y = make_synthetic_faces(60, image_size=16, classes=("happy", "sad"),
    ...                             random_state=0, return_X_y=True)
    >>> clf = BiLSTMFaceEmotionClassifier(row_hidden=4, col_hidden=4, epochs=2,
    ...                                   random_state=0).fit(X, y)
    >>> report = evaluate(clf, X, y, timing=False)
    >>> report.labels, report.n_samples, sum(map(sum, report.confusion))
    (['happy', 'sad'], 60, 60)
    """
    check_is_fitted(estimator)
    classes = np.asarray(estimator.classes_)
    y_true = codes_as_names(np.asarray(y), classes)
    y_pred = np.asarray(estimator.predict(X))
    _check_lengths(y_true, y_pred)
    labels = np.unique(np.concatenate([classes, y_true, y_pred]))
    report = score_predictions(y_true, y_pred, labels=labels)
    if timing:
        report = replace(report, timing=measure_speed(estimator, X, batch_sizes=batch_sizes))
    return report


def _check_lengths(y_true, y_pred):
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"Expected one label per face ({y_pred.shape[0]} faces). Received: "
            f"y with {y_true.shape[0]} labels"
        )


def score_predictions(y_true, y_pred, *, labels=None):
    """Score predictions made elsewhere: the report of :func:`evaluate`, without timing.

    For predictions no single estimator makes: an ensemble's vote, an ONNX session's
    answers, a pipeline that may find no face in a photo.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    labels : array-like or None, default=None
        The classes to report, in order (the confusion matrix's rows and columns).
        ``None``: every label in ``y_true`` or ``y_pred``, sorted. A prediction
        outside ``labels`` (``""`` for a photo without a face, say) counts as
        wrong: it lowers the accuracy and the recall of its true class.

    Returns
    -------
    report : EvaluationReport
        With ``timing=None``.

    Examples
    --------
    >>> from bilstm_emotion.evaluation import score_predictions
    >>> report = score_predictions(["happy", "sad", "sad", "happy"],
    ...                            ["happy", "sad", "", "sad"], labels=["happy", "sad"])
    >>> report.accuracy, report.per_class["sad"]["recall"], report.confusion
    (0.5, 0.5, [[1, 1], [0, 1]])
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    _check_lengths(y_true, y_pred)
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    labels = np.asarray(labels)
    per_class = classification_report(
        y_true, y_pred, labels=labels, output_dict=True, zero_division=0
    )
    counts = confusion_matrix(y_true, y_pred, labels=labels)
    support = np.array([np.sum(y_true == label) for label in labels])
    wrong = support - np.diag(counts)
    error_rate = np.divide(wrong, support, out=np.zeros(len(labels)), where=support > 0)
    keys = [str(label) for label in labels.tolist()]
    return EvaluationReport(
        labels=labels.tolist(),
        n_samples=int(y_true.shape[0]),
        accuracy=float(np.mean(y_true == y_pred)),
        macro_f1=float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        weighted_f1=float(
            f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0)
        ),
        per_class={k: per_class[k] for k in keys},
        confusion=counts.tolist(),
        error_rate=dict(zip(keys, error_rate.tolist(), strict=True)),
        y_true=y_true.tolist(),
        y_pred=y_pred.tolist(),
    )
