"""Pick a Keras backend that is installed, before Keras is first imported.

Keras reads its backend once, at import, from ``KERAS_BACKEND`` or from
``~/.keras/keras.json`` (default: TensorFlow), and fails to import when that
backend is not installed. bilstm-emotion depends on TensorFlow, the backend
that trained fastest in ``benchmarks/backends.py`` (JAX and PyTorch come with
the ``all-backends`` extra); a ``keras.json`` left by another project may name
a backend this environment lacks. So when the user has expressed no working
choice, :func:`choose_backend` sets ``KERAS_BACKEND`` in ``os.environ`` to an
installed backend (TensorFlow first). It never overrides a choice: an explicit
``KERAS_BACKEND`` always wins, and so does a ``keras.json`` that names an
installed backend. Nothing in Keras itself is changed.

When: only just before Keras is first needed (the first import of
:mod:`bilstm_emotion.model` or of the BlazeFace network), never at
``import bilstm_emotion``; once Keras is imported it does nothing.
"""

import importlib.util
import json
import os
import sys

__all__ = ["DEFAULT_BACKENDS", "PREDICT_DTYPE_CHOICES", "backend_name", "choose_backend"]

#: Backends in order of preference (measured training speed on CPU).
DEFAULT_BACKENDS = ("tensorflow", "jax", "torch")
#: The arithmetics a network may predict in (``predict_dtype``, ``--predict-dtype``);
#: ``"auto"`` picks one of the others per machine (``model._predicting.resolve_dtype``).
PREDICT_DTYPE_CHOICES = ("float32", "bfloat16", "auto")


def _installed(backend):
    return importlib.util.find_spec(backend) is not None


def _configured_backend():
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json")) as f:
            return json.load(f).get("backend")
    except (OSError, ValueError, AttributeError):
        return None


def choose_backend():
    """Set ``KERAS_BACKEND`` when Keras is not yet imported and no working choice exists.

    Returns
    -------
    backend : str or None
        The backend set, or ``None`` when the existing choice was kept.
    """
    if "keras" in sys.modules or os.environ.get("KERAS_BACKEND"):
        return None
    configured = _configured_backend()
    if configured in DEFAULT_BACKENDS and _installed(configured):
        return None
    for backend in DEFAULT_BACKENDS:
        if _installed(backend):
            os.environ["KERAS_BACKEND"] = backend
            return backend
    return None


def backend_name():
    """The name of the Keras backend in use (choosing one first if Keras is not loaded)."""
    choose_backend()
    import keras

    return keras.backend.backend()
