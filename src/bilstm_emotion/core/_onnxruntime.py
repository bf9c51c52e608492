"""onnxruntime sessions, made one way for every graph the package runs.

The shipped models (:class:`~bilstm_emotion.OnnxFaceEmotionClassifier`) and BlazeFace
predict on onnxruntime, a dependency of the package: no Keras backend, no TensorFlow.
Each session runs on the CPU with every graph optimisation on and its own log lines
kept to errors (a graph's optimiser notes are not the user's business).
"""

import importlib

__all__ = ["inference_session"]


def inference_session(model, *, threads=None):
    """An ``onnxruntime.InferenceSession`` on ``model``.

    Parameters
    ----------
    model : str, path-like or bytes
        The ``.onnx`` file, or its bytes.
    threads : int or None, default=None
        Threads one call may use (``intra_op_num_threads``); ``None``: onnxruntime's
        choice, one per physical core.

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
    if threads is not None:
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
    source = model if isinstance(model, bytes) else str(model)
    return onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])
