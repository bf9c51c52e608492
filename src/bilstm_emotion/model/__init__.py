"""The model: the estimator, its network and layers, training, prediction, storage.

The only subpackage (with :mod:`bilstm_emotion.faces`' BlazeFace network) that
imports Keras. ``_parameters`` declares every parameter of the estimator once,
``_classifier`` holds the estimator's public face (signature, docstring, tags),
``_config`` the frozen network configuration built from those parameters by name,
``_network`` / ``_layers`` the Keras graph, ``_training`` / ``_batches`` /
``_predicting`` / ``_test_time`` what fit and predict run, ``_persistence`` safe
files, ``_pretrained`` the shipped models; docs/architecture.rst names the rest.
"""

from ..core._backend import load_keras

load_keras()  # picks a backend; keeps its start-up lines off the terminal

from ..core._registry import PRETRAINED, pretrained_info, pretrained_params  # noqa: E402
from ._classifier import BiLSTMFaceEmotionClassifier  # noqa: E402
from ._network import build_row_col_bilstm  # noqa: E402
from ._persistence import load_estimator, save_estimator, trusted_types  # noqa: E402
from ._pretrained import export_pretrained, load_pretrained  # noqa: E402

__all__ = [
    "PRETRAINED",
    "BiLSTMFaceEmotionClassifier",
    "build_row_col_bilstm",
    "export_pretrained",
    "load_estimator",
    "load_pretrained",
    "pretrained_info",
    "pretrained_params",
    "save_estimator",
    "trusted_types",
]
