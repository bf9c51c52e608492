"""A Keras network as the bytes of its ``.keras`` archive, and back (pickling an estimator).

The archive holds the optimizer state, so ``partial_fit`` goes on after a round
trip; it is read back with Keras' ``safe_mode=True``, so no code travels with it.
"""

import tempfile
from pathlib import Path

from ._keras import keras

__all__ = ["network_from_bytes", "network_to_bytes"]


def network_to_bytes(model):
    """A Keras model as the bytes of its ``.keras`` archive (optimizer state included)."""
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "network.keras"
        keras.saving.save_model(model, file)
        return file.read_bytes()


def network_from_bytes(data):
    """The Keras model of a ``.keras`` archive's bytes, read with ``safe_mode=True``."""
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "network.keras"
        file.write_bytes(data)
        return keras.saving.load_model(file, safe_mode=True)
