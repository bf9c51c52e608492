"""The value a detector returns for each face, and the overlap measures on it."""

from dataclasses import dataclass, field, replace

__all__ = ["BOX_FIELDS", "LANDMARKS", "Face", "containment", "iou"]

#: The keys of a face's box, in pixels of the image it was found in.
BOX_FIELDS = ("row", "col", "height", "width")

#: BlazeFace's six keypoints, in its order; "right"/"left" are the person's own.
LANDMARKS = ("right_eye", "left_eye", "nose", "mouth", "right_ear", "left_ear")


@dataclass(frozen=True)
class Face:
    """One face found in an image.

    Parameters
    ----------
    row, col : float
        Top-left corner of the box, in pixels of the image.
    height, width : float
        Size of the box in pixels.
    score : float, default=1.0
        The detector's confidence in [0, 1] (1 where it gives none).
    landmarks : dict of str to (float, float), default={}
        Keypoints as ``name -> (x, y)`` pixels (column, row), empty where the
        detector finds none; BlazeFace gives the names of :data:`LANDMARKS`.

    Examples
    --------
    >>> from bilstm_emotion.faces import Face
    >>> face = Face(10, 20, 40, 30, score=0.9)
    >>> face["row"], face.center, face.box()
    (10, (35.0, 30.0), {'row': 10, 'col': 20, 'height': 40, 'width': 30})
    """

    row: float
    col: float
    height: float
    width: float
    score: float = 1.0
    landmarks: dict = field(default_factory=dict, compare=False)

    def __getitem__(self, key):
        """``face["row"]`` and so on: a face reads like the box dicts of earlier versions."""
        if key not in BOX_FIELDS:
            raise KeyError(f"Expected one of {BOX_FIELDS}. Received: {key!r}")
        return getattr(self, key)

    @property
    def center(self):
        """``(x, y)`` of the box's centre, in pixels."""
        return (self.col + self.width / 2, self.row + self.height / 2)

    @property
    def area(self):
        return self.height * self.width

    def box(self):
        """The box as ``{"row", "col", "height", "width"}`` of whole pixels."""
        return {k: round(getattr(self, k)) for k in BOX_FIELDS}

    def mapped(self, scale=1.0, offset=(0.0, 0.0)):
        """This face in another image's pixels: ``x * scale + offset``, offset ``(row, col)``."""
        return replace(
            self,
            row=self.row * scale + offset[0],
            col=self.col * scale + offset[1],
            height=self.height * scale,
            width=self.width * scale,
            landmarks={
                k: (x * scale + offset[1], y * scale + offset[0])
                for k, (x, y) in self.landmarks.items()
            },
        )


def _intersection(a, b):
    top, left = max(a["row"], b["row"]), max(a["col"], b["col"])
    bottom = min(a["row"] + a["height"], b["row"] + b["height"])
    right = min(a["col"] + a["width"], b["col"] + b["width"])
    return max(0, bottom - top) * max(0, right - left)


def iou(a, b):
    """Intersection over union of two boxes (faces or box dicts)."""
    inter = _intersection(a, b)
    union = a["height"] * a["width"] + b["height"] * b["width"] - inter
    return inter / union if union > 0 else 0.0


def containment(a, b):
    """Intersection over the smaller box's area: 1 when one box holds the other."""
    smaller = min(a["height"] * a["width"], b["height"] * b["width"])
    return _intersection(a, b) / smaller if smaller > 0 else 0.0
