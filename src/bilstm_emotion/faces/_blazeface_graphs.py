"""BlazeFace's networks as ONNX graphs, run by onnxruntime: how the detector runs them.

``tools/export_onnx_models.py`` exports the Keras port of MediaPipe's models
(:mod:`._network`, made by ``tools/convert_blazeface.py``) once per input size the
detector uses, in float32, checked against it within 1e-5 of each output's range;
detection then needs neither Keras nor a backend. The graphs take ``images``
``(n, size, size, 3)`` float32 in [-1, 1] and give ``boxes`` ``(n, anchors, 16)`` and
``scores`` ``(n, anchors, 1)``.
"""

from functools import lru_cache
from importlib.resources import files

import numpy as np

from ..core._onnxruntime import inference_session

__all__ = [
    "BLAZEFACE_GRAPHS",
    "INPUT_NAME",
    "INPUT_SIZE",
    "NEAR_SIZE",
    "OUTPUT_NAMES",
    "SHORT_RANGE_SIZE",
    "blazeface_graph",
    "run_blazeface",
]

#: The full-range model's input side on whole images and tiles (MediaPipe's).
INPUT_SIZE = 192
#: Its input side in the search around a tracked face.
NEAR_SIZE = 128
#: The short-range model's input side, on close-ups (MediaPipe's).
SHORT_RANGE_SIZE = 128
#: ``(model, input size)`` of each shipped graph: the sizes the detector runs (the
#: networks' bilinear upsampling needs a fixed size in the exported graph).
BLAZEFACE_GRAPHS = (
    ("full_range", INPUT_SIZE),
    ("full_range", NEAR_SIZE),
    ("short_range", SHORT_RANGE_SIZE),
)
#: What the graphs call their input and outputs.
INPUT_NAME, OUTPUT_NAMES = "images", ("boxes", "scores")


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
    return _session(model, batch.shape[1]).run(list(OUTPUT_NAMES), {INPUT_NAME: batch})
