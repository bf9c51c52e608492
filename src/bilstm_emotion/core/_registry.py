"""The shipped models by name, and the record each ships with (no Keras needed).

One record per model, ``model/weights/<name>.json`` beside its network: the
estimator's parameters, classes, image shape, training history, scores,
training command and hardware, and reference probabilities. It is read by
:func:`~bilstm_emotion.load_pretrained`, by ``bilstm-emotion train --like``
and by the training benchmark, so a shipped model's recipe is written once.
"""

import json
from importlib import resources

__all__ = ["PRETRAINED", "check_name", "pretrained_info", "pretrained_params", "weights_dir"]

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


def pretrained_params(info):
    """The estimator parameters stored in ``info`` (JSON lists back to tuples)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in info["params"].items()}
