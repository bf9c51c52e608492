"""Everything between a photo and the faces the classifier sees.

Detectors (:class:`BlazeFaceDetector`, the default; :class:`LBPCascadeDetector`)
share one protocol, :class:`FaceFinder`; boxes become :class:`Face` values,
overlapping detections are merged by :func:`non_max_suppression`, and
:func:`crop_face` cuts each face out, rotated so that its eyes are level.
Nothing here imports Keras: BlazeFace runs on onnxruntime (``_blazeface_graphs``);
``_network``, its Keras port, serves the tools that make and check those graphs.
"""

from ._align import crop_face, eye_angle
from ._blazeface import BlazeFaceDetector, blazeface_anchors, decode_blazeface
from ._cascade import LBPCascadeDetector
from ._detectors import DETECTORS, FaceFinder, make_detector
from ._nms import non_max_suppression
from ._scoring import score_detections
from ._types import BOX_FIELDS, LANDMARKS, Face, containment, iou

__all__ = [
    "BOX_FIELDS",
    "DETECTORS",
    "LANDMARKS",
    "BlazeFaceDetector",
    "Face",
    "FaceFinder",
    "LBPCascadeDetector",
    "blazeface_anchors",
    "containment",
    "crop_face",
    "decode_blazeface",
    "eye_angle",
    "iou",
    "make_detector",
    "non_max_suppression",
    "score_detections",
]
