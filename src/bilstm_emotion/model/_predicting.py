"""Batched prediction through a compiled step, with test-time views of each face."""

import copy
import functools
import os
import weakref

import numpy as np

from ..core._machine import cpu_flags
from ._folding import inference_config, inference_weights
from ._test_time import mean_over_views, n_views, test_time_views

#: The arithmetics a network can predict in, and the Keras dtype policy of each; with
#: ``"auto"`` (:func:`resolve_dtype`) they are what ``predict_dtype`` may be.
PREDICT_DTYPES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}
#: CPU flags (Linux ``/proc/cpuinfo``) of instructions that compute in bfloat16 natively.
BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")

#: Each network's inference copy: ``network -> (dtype, training step, copy)``. Kept beside
#: the estimator rather than in it (``predict`` leaves the estimator's ``__dict__`` as it
#: was), and gone with the network.
_INFERENCE_COPIES = weakref.WeakKeyDictionary()


def predict_in_batches(model, X, *, n_classes, batch_size, flip=False, shift=0):
    """Mean probabilities over the views of every face, shape ``(n, n_classes)``.

    ``keras.Model.predict`` builds a data pipeline and a progress loop on
    every call (~30-50 ms); ``predict_on_batch`` reuses the compiled
    function, so one face costs a few milliseconds. The views of a face ride
    in the same batch as the face. Short batches are padded to a power of two
    so that backends compiling per input shape (JAX) see few distinct shapes.
    """
    n = X.shape[0]
    views = n_views(flip=flip, shift=shift)
    out = np.empty((n, n_classes), dtype=np.float32)
    for start in range(0, n, batch_size):
        chunk = X[start : start + batch_size]
        size = chunk.shape[0]
        if views > 1:
            chunk = np.concatenate(test_time_views(np.asarray(chunk), flip=flip, shift=shift))
        rows = chunk.shape[0]
        padded = min(1 << (rows - 1).bit_length(), batch_size * views)
        if padded > rows:
            pad = np.zeros((padded - rows, *chunk.shape[1:]), dtype=chunk.dtype)
            chunk = np.concatenate([chunk, pad])
        proba = np.asarray(model.predict_on_batch(chunk))[:rows]
        out[start : start + size] = mean_over_views(proba, views) if views > 1 else proba
    return out


def cpu_has_bfloat16(cpuinfo="/proc/cpuinfo"):
    """Whether the processor reports bfloat16 instructions (``BF16_CPU_FLAGS``).

    Read from Linux's ``cpuinfo``; ``False`` where there is none to read
    (macOS, Windows), since bfloat16 is emulated, and slower, where the
    processor lacks the instructions.
    """
    return bool(cpu_flags(cpuinfo) & set(BF16_CPU_FLAGS))


@functools.cache
def resolve_dtype(dtype):
    """The ``PREDICT_DTYPES`` key that ``predict_dtype`` means here.

    ``"auto"`` is ``"bfloat16"`` only where it was measured to pay: the
    TensorFlow backend on a processor with bfloat16 instructions
    (:func:`cpu_has_bfloat16`), with oneDNN left on (``TF_ENABLE_ONEDNN_OPTS``
    not ``0``) and no accelerator in Keras' devices; ``"float32"`` anywhere
    else. Decided once per process.
    """
    if dtype != "auto":
        return dtype
    import keras

    native = (
        keras.backend.backend() == "tensorflow"
        and os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0"
        and all(device.lower().startswith("cpu") for device in keras.distribution.list_devices())
        and cpu_has_bfloat16()
    )
    return "bfloat16" if native else "float32"


def network_in_dtype(model, dtype, *, fresh=False, inference=False):
    """``model``, or a copy with its weights that computes in ``dtype`` (a ``PREDICT_DTYPES`` key).

    With ``fresh=True`` a fresh, uncompiled copy even in float32. With
    ``inference=True`` a copy for prediction only (never trained): batch
    normalisation folded into the layer before it, activations fused, and
    augmentation and dropout left out (:func:`~._folding.inference_config`);
    the same probabilities, in fewer operations.

    The copy's layers run under Keras' ``mixed_bfloat16`` policy (bfloat16
    arithmetic, float32 weights), except the input standardisation and the
    output layer, which stay in float32 so that the pixels are scaled and the
    probabilities summed as in float32.
    """
    if dtype == "float32" and not (fresh or inference):
        return model
    import keras

    config = copy.deepcopy(model.get_config())
    folds = inference_config(config)[1] if inference else None
    keep = {model.layers[-1].name} | {
        layer.name for layer in model.layers if isinstance(layer, keras.layers.Normalization)
    }
    for layer in config["layers"]:
        # a layer's dtype policy is a dict; the input layer's dtype (a string) stays
        if (
            dtype != "float32"
            and isinstance(layer["config"].get("dtype"), dict)
            and layer["name"] not in keep
        ):
            layer["config"]["dtype"] = PREDICT_DTYPES[dtype]
    copied = keras.Model.from_config(config)
    if inference:
        inference_weights(copied, model, folds)
    else:
        copied.set_weights(model.get_weights())
    return copied


def inference_network(model, dtype):
    """``network_in_dtype(model, dtype, inference=True)``, made once per network and dtype.

    Made again after ``model`` has taken a training step (its optimizer's
    iteration count moved), so predictions between epochs and after
    ``partial_fit`` see the current weights.
    """
    optimizer = getattr(model, "optimizer", None)
    step = None if optimizer is None else int(optimizer.iterations)
    cached = _INFERENCE_COPIES.get(model)
    if cached is None or cached[:2] != (dtype, step):
        cached = (dtype, step, network_in_dtype(model, dtype, inference=True))
        _INFERENCE_COPIES[model] = cached
    return cached[2]
