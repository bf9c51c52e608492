"""Recognise the seven basic emotions in face images with a stacked Bi-LSTM.

The estimator and the model functions are imported on first use (PEP 562):
``import bilstm_emotion`` and the keras-free parts (``datasets``, ``faces``,
``preprocessing``, the command line's ``--help``) load neither Keras nor a
backend.
"""

import importlib

from .core._errors import UnusedParameterWarning
from .core._labels import EMOTIONS
from .core._version import __version__

# Public name -> the module that defines it, imported when the name is first read.
_LAZY = {
    "BiLSTMFaceEmotionClassifier": ".model._classifier",
    "export_onnx": ".model._onnx",
    "export_pretrained": ".model._keras_pretrained",
    "OnnxFaceEmotionClassifier": ".model._onnx_classifier",
    "PRETRAINED": ".core._registry",
    "load_pretrained": ".model._pretrained",
    "pretrained_info": ".core._registry",
    "pretrained_params": ".core._registry",
    "load_estimator": ".model._persistence",
    "save_estimator": ".model._persistence",
    "trusted_types": ".model._persistence",
}

__all__ = ["EMOTIONS", "UnusedParameterWarning", "__version__", *sorted(_LAZY)]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # the next read does not come back here
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
