"""Pick a Keras backend that is installed, before Keras is first imported.

Keras reads its backend once, at import, from ``KERAS_BACKEND`` or from
``~/.keras/keras.json`` (default: TensorFlow), and fails to import when that
backend is not installed. bilstm-emotion depends on Keras, not on a backend
(Keras' own convention: the shipped models predict on onnxruntime); training
needs one of the extras ``[tensorflow]`` (it trained fastest in
``benchmarks/backends.py``), ``[jax]`` or ``[torch]``, and without any,
:func:`load_keras` says which to install. A ``keras.json`` left by another
project may name a backend this environment lacks. So when the user has expressed no working
choice, :func:`choose_backend` sets ``KERAS_BACKEND`` in ``os.environ`` to an
installed backend (TensorFlow first). It never overrides a choice: an explicit
``KERAS_BACKEND`` always wins, and so does a ``keras.json`` that names an
installed backend. Nothing in Keras itself is changed.

When: only just before Keras is first needed (the first import of
:mod:`bilstm_emotion.model` or of the BlazeFace network), never at
``import bilstm_emotion``; once Keras is imported it does nothing.

:func:`load_keras` does that and imports Keras with the backend's start-up
chatter kept off the terminal: TensorFlow's C++ runtime writes a dozen lines
to the process's standard error while it loads and looks for GPUs (oneDNN,
CUDA drivers, CPU instructions, a red ``failed call to cuInit``), before
``TF_CPP_MIN_LOG_LEVEL`` takes effect, so they are filtered at the file
descriptor. A user who asks for TensorFlow's logs (``TF_CPP_MIN_LOG_LEVEL`` of
0 or 1) gets them all; any other line written meanwhile is passed on.
"""

import contextlib
import importlib.util
import json
import logging
import os
import re
import sys
import tempfile

__all__ = [
    "DEFAULT_BACKENDS",
    "PREDICT_DTYPE_CHOICES",
    "backend_name",
    "check_backend_installed",
    "choose_backend",
    "engine_name",
    "load_keras",
]

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


# What TensorFlow's native runtime prints while it loads and looks for devices: absl's
# notice, info and warning lines ("I0000 00:00:...", "W0000 ..."), the CUDA probe's error
# on a machine without a GPU, and cpu_feature_guard's second line.
_STARTUP_NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\)"
    r"|[IW]\d{4} \d\d:\d\d:\d\d"
    r"|E\d{4} \d\d:\d\d:\d+\.\d+ +\d+ cuda_\w+\.cc"
    r"|To enable the following instructions: .*rebuild TensorFlow"
)


@contextlib.contextmanager
def _native_startup_noise_filtered():
    """Send what is written to file descriptor 2 meanwhile through :data:`_STARTUP_NOISE`."""
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL", "").strip() in ("0", "1"):
        yield  # the user asked for TensorFlow's logs
        return
    try:
        saved = os.dup(2)
    except OSError:  # no standard error to filter
        yield
        return
    sys.stderr.flush()
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            lines = caught.read().decode(errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not _STARTUP_NOISE.match(line))
            if kept:
                os.write(2, kept.encode())


def load_keras():
    """:func:`choose_backend`, then import Keras (and let TensorFlow look for its
    devices) without the backend's start-up lines on standard error.

    Returns
    -------
    keras : module
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    choose_backend()
    check_backend_installed()
    with _native_startup_noise_filtered():
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_physical_devices()  # the CUDA probe, while filtered
            logging.getLogger("tensorflow").addFilter(_expected_retracing)
    return keras


def check_backend_installed():
    """Raise an ImportError naming the extras to install when the backend Keras would
    load is not installed (the package depends on keras, not on a backend: predicting
    with the shipped models needs none; training and Keras networks do)."""
    backend = os.environ.get("KERAS_BACKEND") or _configured_backend() or DEFAULT_BACKENDS[0]
    if backend in DEFAULT_BACKENDS and not _installed(backend):
        installed = [b for b in DEFAULT_BACKENDS if _installed(b)]
        raise ImportError(
            "Expected a Keras backend for training and Keras networks (the shipped models "
            'predict without one): pip install "bilstm-emotion[tensorflow]" (or [jax], '
            f"[torch]). Received: backend {backend!r}, not installed"
            + (f"; installed: {installed}" if installed else "")
        )


def _expected_retracing(record):
    """Drop TensorFlow's "N out of the last M calls to <function ...> triggered
    tf.function retracing" warning: every fit of a search or a cross-validation builds
    a new network, whose predict function is traced anew by design (issue 45)."""
    return "triggered tf.function retracing" not in record.getMessage()


def engine_name(estimator):
    """What runs ``estimator``'s predictions, in words, loading nothing: its ONNX graph on
    onnxruntime (and the graph's arithmetic), Keras and its backend where Keras is loaded
    (the estimator is a network, or holds one), else the estimator's type."""
    graph = getattr(estimator, "graph_", None)
    if graph is not None:
        return f"ONNX graph on onnxruntime, {graph.metadata.get('arithmetic', 'float32')}"
    if "keras" in sys.modules:
        return f"Keras backend {backend_name()}"
    return type(estimator).__name__


def backend_name():
    """The name of the Keras backend in use (choosing one first if Keras is not loaded)."""
    return load_keras().backend.backend()
