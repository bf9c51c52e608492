"""BlazeFace's networks as ONNX graphs, run by onnxruntime: how the detector runs them.

``tools/export_onnx_models.py`` exports the Keras port of MediaPipe's models
(:mod:`._network`, made by ``tools/convert_blazeface.py``) once per input size the
detector uses, in float32, checked against it within 1e-4; detection then needs neither
Keras nor a backend. The graphs take ``images`` ``(n, size, size, 3)`` float32 in
[-1, 1] and give ``boxes`` ``(n, anchors, 16)`` and ``scores`` ``(n, anchors, 1)``.
"""

from functools import lru_cache
from importlib.resources import files

import numpy as np

from ..core._onnxruntime import inference_session

__all__ = ["BLAZEFACE_GRAPHS", "blazeface_graph", "run_blazeface"]

#: ``(model, input size)`` of each shipped graph: the full-range model on whole images
#: and tiles (192) and around tracked faces (128), the short-range one on close-ups (128).
BLAZEFACE_GRAPHS = (("full_range", 192), ("full_range", 128), ("short_range", 128))


def blazeface_graph(model, size):
    """The shipped graph file of BlazeFace ``model`` at ``size`` x ``size``."""
    return files("bilstm_emotion.faces") / "weights" / f"blazeface_{model}_{size}.onnx"


@lru_cache(maxsize=len(BLAZEFACE_GRAPHS))
def _session(model, size):
    if (model, size) not in BLAZEFACE_GRAPHS:
        raise ValueError(
            f"Expected a BlazeFace graph in {BLAZEFACE_GRAPHS} (model, size). Received: "
            f"model={model!r}, size={size}"
        )
    return inference_session(blazeface_graph(model, size))


def run_blazeface(batch, model="full_range"):
    """``[raw_boxes, raw_scores]`` of BlazeFace ``model`` on ``batch`` ``(n, size, size, 3)``."""
    batch = np.ascontiguousarray(batch, dtype=np.float32)
    return _session(model, batch.shape[1]).run(["boxes", "scores"], {"images": batch})
