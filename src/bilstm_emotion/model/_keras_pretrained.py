"""The shipped models' Keras networks: how they are stored, read and written.

A shipped model's network is ``<name>.keras`` in ``bilstm_emotion/model/weights/``
(without optimizer state, loaded with ``safe_mode=True``), beside its record
``<name>.json`` (the estimator's parameters, classes, the scores it reached and
reference probabilities used by the tests to check every backend) and its graph
``<name>.onnx`` (:mod:`._pretrained` names the three). :func:`export_pretrained` writes
the first two the same way for a model of the user's.
"""

import json
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..core._registry import record_params
from ._classifier import BiLSTMFaceEmotionClassifier
from ._keras import keras
from ._parameters import parameter_defaults, without_unused
from ._predicting import network_in_dtype

__all__ = [
    "NOT_RECORDED",
    "export_pretrained",
    "load_keras_pretrained",
    "shipped_params",
]

RECORD_KEYS = ("params", "classes", "image_shape", "history")
"""What a model's record holds of the estimator itself; metadata goes beside them."""

NOT_RECORDED = ("callbacks", "teacher", "verbose", "warm_start")
"""The parameters a model's record leaves out: how it was run, not what it is (the
teacher of a distilled model mattered only through its probabilities, at fit)."""


def load_keras_pretrained(name, directory):
    """The model ``name`` of ``directory`` (its ``.json`` record and ``.keras`` network,
    read with ``safe_mode=True``) as a :class:`BiLSTMFaceEmotionClassifier`:
    :func:`~bilstm_emotion.load_pretrained` with ``engine="keras"``."""
    record = directory / f"{name}.json"
    info = json.loads(record.read_text(encoding="utf-8"))
    missing = sorted(set(parameter_defaults()) - set(NOT_RECORDED) - set(info["params"]))
    if missing:  # today's defaults may not be what the model was trained with
        raise ValueError(
            f"Expected every estimator parameter in the record {record}. Received: "
            f"none for {missing}"
        )
    with resources.as_file(directory / f"{name}.keras") as path:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    return BiLSTMFaceEmotionClassifier.from_network(
        model,
        classes=info["classes"],
        image_shape=info["image_shape"],
        history=info.get("history", {}),
        params=shipped_params(info),
    )


def shipped_params(info):
    """The parameters a shipped model is loaded with (``--like`` starts from them too):
    its record's, less those that only its training's teacher gave a meaning to."""
    recorded = record_params(info)
    active = without_unused({**parameter_defaults(), **recorded})
    return {name: active[name] for name in recorded}


def export_pretrained(clf, directory, name, **metadata):
    """Write a fitted classifier the way the shipped models are stored.

    Two files: ``<name>.keras``, the network without optimizer state (a third
    of the size), which :func:`load_pretrained` reads with Keras'
    ``safe_mode=True``, and ``<name>.json``, the record: every parameter but
    ``callbacks``, ``teacher``, ``verbose`` and ``warm_start`` (how it was run,
    not what it is), the classes, the image shape and the training history,
    with ``metadata`` beside them. ``tools/train_fer2013.py --export`` writes
    the shipped models with it. To keep a fitted estimator whole (its teacher,
    its callbacks), use :func:`save_estimator` instead.

    Parameters
    ----------
    clf : BiLSTMFaceEmotionClassifier
        A fitted classifier.
    directory : str or path-like
        Where to write the two files; made if missing. Files of the same
        ``name`` there are replaced.
    name : str
        The model's name, the stem of both files.
    **metadata
        JSON-serialisable entries stored in the record, e.g. ``scores``,
        ``training`` and ``reference`` as the shipped models have them
        (:func:`pretrained_info`); not ``params``, ``classes``,
        ``image_shape`` or ``history``, which the record takes from ``clf``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        ``clf`` is not fitted.
    ValueError
        ``metadata`` names an entry the record takes from ``clf``.

    See Also
    --------
    load_pretrained : reads it back, with ``directory``.

    Examples
    --------
    >>> import tempfile
    >>> from bilstm_emotion import BiLSTMFaceEmotionClassifier, export_pretrained, load_pretrained
    >>> from bilstm_emotion.datasets import make_synthetic_faces
    >>> X, y = make_synthetic_faces(64, image_size=16, random_state=0, return_X_y=True)
    >>> clf = BiLSTMFaceEmotionClassifier(row_hidden=4, col_hidden=4, epochs=1, random_state=0)
    >>> clf = clf.fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     export_pretrained(clf, folder, "tiny", scores={"note": "synthetic faces"})
    ...     load_pretrained("tiny", directory=folder).image_shape_
    (16, 16)
    """
    check_is_fitted(clf)
    taken = sorted(set(metadata) & set(RECORD_KEYS))
    if taken:
        raise ValueError(
            f"Expected metadata beside the record's own entries {list(RECORD_KEYS)}. "
            f"Received: {', '.join(taken)}"
        )
    params = {k: v for k, v in clf.get_params(deep=False).items() if k not in NOT_RECORDED}
    info = {
        "params": params,
        "classes": np.asarray(clf.classes_).tolist(),
        "image_shape": list(clf.image_shape_),
        "history": clf.history_,
        **metadata,
    }
    record = json.dumps(info)  # metadata that is not JSON is refused before any file is written
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    # A fresh, never-compiled copy: saving clf.model_ (or a clone of it, which Keras
    # compiles like the original) would store the optimizer's slots too, three times the size.
    model = network_in_dtype(clf.model_, "float32", fresh=True)
    model.save(directory / f"{name}.keras")
    (directory / f"{name}.json").write_text(record, encoding="utf-8")
