"""The model: the estimators, the network and its layers, training, prediction, storage.

Two engines. The Keras modules (which import Keras through ``_keras``; outside this
package only BlazeFace's Keras port, which the tools use, imports it) build, train and
run the Bi-LSTM:
``_parameters`` declares every parameter of the estimator once, ``_classifier`` holds
the estimator's public face (signature, docstring, tags), ``_config`` the frozen network
configuration built from those parameters by name, ``_network`` / ``_layers`` the Keras
graph, ``_training`` / ``_batches`` / ``_predicting`` / ``_test_time`` what fit and
predict run, ``_persistence`` safe files, ``_keras_pretrained`` the shipped networks,
``_onnx`` the export. The keras-free ones run a model's exported prediction on
onnxruntime: ``_onnx_classifier`` (the estimator around an ONNX graph) and
``_pretrained`` (:func:`load_pretrained`, which picks the engine); with ``_inputs``
(what an estimator accepts as images) they import neither Keras nor a backend, so the
names are read lazily here (PEP 562). docs/architecture.rst names the rest.
"""

import importlib

# Public name -> the module that defines it, imported when the name is first read (the
# package's own public names are these too: bilstm_emotion/__init__.py).
_LAZY = {
    "PRETRAINED": "..core._registry",
    "pretrained_info": "..core._registry",
    "pretrained_params": "..core._registry",
    "BiLSTMFaceEmotionClassifier": "._classifier",
    "OnnxFaceEmotionClassifier": "._onnx_classifier",
    "build_row_col_bilstm": "._network",
    "export_onnx": "._onnx",
    "export_pretrained": "._keras_pretrained",
    "load_estimator": "._persistence",
    "load_pretrained": "._pretrained",
    "save_estimator": "._persistence",
    "trusted_types": "._persistence",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
