"""Recognise the seven basic emotions in face images with a stacked Bi-LSTM.

The estimator and the model functions are imported on first use (PEP 562):
``import bilstm_emotion`` and the keras-free parts (``datasets``, ``faces``,
``preprocessing``, the command line's ``--help``) load neither Keras nor a
backend.
"""

from . import model
from .core._errors import UnusedParameterWarning
from .core._labels import EMOTIONS
from .core._version import __version__

__all__ = ["EMOTIONS", "UnusedParameterWarning", "__version__", *model.__all__]


def __getattr__(name):
    # the model's public names, read lazily there (PEP 562): the Keras side loads only
    # when one of its names is first read
    if name in model.__all__:
        value = getattr(model, name)
        globals()[name] = value  # the next read does not come back here
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(model.__all__))
