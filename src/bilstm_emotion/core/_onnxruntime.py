"""onnxruntime sessions, made one way for every graph the package runs.

The shipped models (:class:`~bilstm_emotion.OnnxFaceEmotionClassifier`) and BlazeFace
predict on onnxruntime, a dependency of the package: no Keras backend, no TensorFlow.
Each session runs on the CPU with every graph optimisation on, its own log lines kept
to errors (a graph's optimiser notes are not the user's business), and int8 products
computed exactly on CPUs without VNNI (:func:`exact_int8_needed`).
"""

import functools
import importlib
import os

from ._machine import cpu_flags

__all__ = ["VNNI_CPU_FLAGS", "environment_threads", "exact_int8_needed", "inference_session"]

#: CPU flags (Linux ``/proc/cpuinfo``) of the instructions that sum uint8 x int8
#: products without saturating (VNNI, and AMX's int8 tiles).
VNNI_CPU_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")


@functools.cache
def exact_int8_needed(cpuinfo="/proc/cpuinfo"):
    """Whether int8 graphs need onnxruntime's exact kernel here.

    The shipped int8 graphs multiply uint8 activations by int8 weights. On x86-64 CPUs
    without VNNI (SSE4.1, AVX2, AVX-512 before VNNI) onnxruntime's fast kernel for that
    product sums pairs in 16 bits, which saturate and answer wrongly; its
    ``session.x64quantprecision`` option takes an exact uint8 x uint8 kernel instead. That
    kernel ran 2.8 times slower on a VNNI Xeon (the same probabilities), so it is asked
    for only where VNNI is not known to be there: no VNNI flag in ``/proc/cpuinfo``, or no
    ``/proc/cpuinfo`` to read (elsewhere than Linux; on ARM the option changes nothing).
    """
    return not cpu_flags(cpuinfo) & set(VNNI_CPU_FLAGS)


def environment_threads():
    """``OMP_NUM_THREADS`` as a positive ``int``, or ``None`` where unset or not one."""
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def inference_session(model, *, threads=None):
    """An ``onnxruntime.InferenceSession`` on ``model``.

    Parameters
    ----------
    model : str, path-like or bytes
        The ``.onnx`` file, or its bytes.
    threads : int or None, default=None
        Threads one call may use (``intra_op_num_threads``); ``None``: the
        ``OMP_NUM_THREADS`` environment variable where it holds a positive number (Dask's
        workers set it to 1, so that each worker thread keeps to one core), else
        onnxruntime's choice, one per physical core.

    Returns
    -------
    session : onnxruntime.InferenceSession
    """
    try:
        onnxruntime = importlib.import_module("onnxruntime")
    except ImportError:
        raise ImportError(
            "Expected onnxruntime, which runs the shipped models: "
            'pip install "onnxruntime>=1.18" (it comes with bilstm-emotion)'
        ) from None
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only
    if exact_int8_needed():
        options.add_session_config_entry("session.x64quantprecision", "1")
    threads = environment_threads() if threads is None else threads
    if threads is not None:
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
    source = model if isinstance(model, bytes) else str(model)
    return onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])
