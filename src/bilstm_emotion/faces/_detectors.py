"""The protocol every face detector follows, and the detectors by name."""

from typing import Protocol, runtime_checkable

from ._blazeface import BlazeFaceDetector
from ._cascade import LBPCascadeDetector

__all__ = ["DETECTORS", "FaceFinder", "make_detector"]

#: Detector backends by the name :class:`~bilstm_emotion.preprocessing.FaceDetector` takes.
DETECTORS = {"blazeface": BlazeFaceDetector, "lbp": LBPCascadeDetector}


@runtime_checkable
class FaceFinder(Protocol):
    """What a face detector provides (the video tracker and the CLI use only this).

    ``detect(image)`` returns every face of one image (gray ``(h, w)`` or RGB
    ``(h, w, 3)``, uint8 or [0, 1] floats) as a list of :class:`Face`, merged
    so that each face appears once, best first. ``detect_near(image, face)``
    finds a face seen in an earlier video frame again near where it was, or
    returns ``None``; it may be much cheaper than ``detect``.
    """

    name: str

    def detect(self, image): ...

    def detect_near(self, image, face): ...


def make_detector(name, **params):
    """The detector called ``name`` (a key of :data:`DETECTORS`) built with ``params``."""
    if name not in DETECTORS:
        raise ValueError(f"Expected a detector in {sorted(DETECTORS)}. Received: {name!r}")
    return DETECTORS[name](**params)
