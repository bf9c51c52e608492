"""Recognise the seven basic emotions in face images with a stacked Bi-LSTM."""

from importlib.metadata import PackageNotFoundError, version

from ._backend import choose_backend

choose_backend()  # before the first `import keras`

from ._classifier import EMOTIONS, BiLSTMFaceEmotionClassifier  # noqa: E402
from ._persistence import load_estimator, save_estimator, trusted_types  # noqa: E402
from ._pretrained import PRETRAINED, load_pretrained, pretrained_info  # noqa: E402

try:
    __version__ = version("bilstm-emotion")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "EMOTIONS",
    "PRETRAINED",
    "BiLSTMFaceEmotionClassifier",
    "__version__",
    "load_estimator",
    "load_pretrained",
    "pretrained_info",
    "save_estimator",
    "trusted_types",
]
