"""The shipped models by name, and the record each ships with (no Keras needed).

One record per model, ``model/weights/<name>.json`` beside its network: the
estimator's parameters, classes, image shape, training history, scores,
training command and hardware, and reference probabilities. It is read by
:func:`~bilstm_emotion.load_pretrained`, by ``bilstm-emotion train --like``
and by ``tools/train_fer2013.py``, so a shipped model's recipe is written once.
"""

import json
from importlib import resources

__all__ = [
    "PRETRAINED",
    "check_name",
    "pretrained_info",
    "pretrained_params",
    "record_params",
    "weights_dir",
]

PRETRAINED = (
    "conv-xl-flip",
    "conv-lite",
    "conv-xl-kd",
    "conv-xl",
    "conv-bilstm",
    "bilstm-kd",
    "bilstm",
)
"""Names of the shipped models; the first is the default of :func:`load_pretrained`."""


def weights_dir():
    """The folder of the shipped models' files (read without importing the model package)."""
    return resources.files("bilstm_emotion") / "model" / "weights"


def check_name(name):
    """Refuse a name that is not one of :data:`PRETRAINED`."""
    if name not in PRETRAINED:
        raise ValueError(f"Expected `name` to be one of {PRETRAINED}. Received: name={name!r}")


def pretrained_info(name="conv-xl-flip"):
    """The metadata stored with a shipped model: parameters, scores, training.

    Parameters
    ----------
    name : str, default="conv-xl-flip"
        One of :data:`PRETRAINED`.

    Returns
    -------
    info : dict
        ``params``, ``classes``, ``image_shape``, ``scores`` (accuracy and
        macro-F1 on FER2013 PublicTest), ``training`` (command, time,
        hardware) and ``reference`` (probabilities of the test faces).
    """
    check_name(name)
    return json.loads((weights_dir() / f"{name}.json").read_text(encoding="utf-8"))


def pretrained_params(name="conv-xl-flip"):
    """The estimator parameters a shipped model was trained with, its seed included.

    A shipped model's recipe: fitting a classifier made with them on FER2013
    ``train/`` retrains the model (given the same ``teacher`` where it was
    distilled: :func:`pretrained_info`'s ``training["teacher"]`` names it). A
    parameter that only a teacher gives a meaning to (``teacher_weight``) is
    part of the recipe too; without a teacher, ``fit`` warns that it does nothing.

    Parameters
    ----------
    name : str, default="conv-xl-flip"
        One of :data:`PRETRAINED`.

    Returns
    -------
    params : dict
        Parameter name to value, as :meth:`BiLSTMFaceEmotionClassifier.set_params
        <bilstm_emotion.BiLSTMFaceEmotionClassifier.set_params>` takes them.

    Examples
    --------
    >>> from bilstm_emotion import pretrained_params
    >>> params = pretrained_params("conv-lite")
    >>> params["stem_filters"], params["random_state"]
    ((24, 48, 96), 0)
    """
    return record_params(pretrained_info(name))


def record_params(info):
    """The estimator parameters stored in a model's record ``info`` (JSON lists back to
    tuples)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in info["params"].items()}
