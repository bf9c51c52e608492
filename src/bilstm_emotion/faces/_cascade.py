"""scikit-image's LBP frontal-face cascade: the dependency-free detector."""

from functools import lru_cache

from ..core._pixels import to_gray
from ._nms import non_max_suppression
from ._types import Face, iou

__all__ = ["LBPCascadeDetector"]


@lru_cache(maxsize=1)
def _cascade():
    from skimage import data
    from skimage.feature import Cascade

    return Cascade(data.lbp_frontal_face_cascade_filename())


class LBPCascadeDetector:
    """Find upright frontal faces with scikit-image's LBP cascade.

    Slower and less accurate than :class:`BlazeFaceDetector` on photos (see
    the Faces page of the docs), but it needs nothing beyond scikit-image.
    Images are searched at ``detection_size`` pixels at most, and nested or
    overlapping boxes are merged by :func:`non_max_suppression` (larger first).

    Parameters
    ----------
    min_size : int, default=24
        Smallest face searched for, in pixels of the searched image.
    scale_factor : float, default=1.2
        Growth of the search window from one scale to the next.
    min_neighbors : int, default=4
        Overlapping detections a face needs to count (more: fewer false faces).
    detection_size : int, default=480
        Images whose longer side exceeds this are downscaled to it for the search.
    """

    name = "lbp"

    def __init__(self, *, min_size=24, scale_factor=1.2, min_neighbors=4, detection_size=480):
        self.min_size = min_size
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.detection_size = detection_size

    def detect(self, image):
        """Faces of one image, largest first (see :class:`FaceFinder`)."""
        from skimage.transform import rescale

        gray = to_gray(image)
        scale = min(1.0, self.detection_size / max(gray.shape))
        searched = rescale(gray, scale, anti_aliasing=True) if scale < 1 else gray
        if min(searched.shape) < self.min_size:
            return []
        return self._search(searched, scale, self.min_size, searched.shape)

    def _search(self, searched, scale, min_size, max_size, offset=(0, 0)):
        found = _cascade().detect_multi_scale(
            img=searched,
            scale_factor=self.scale_factor,
            step_ratio=1,
            min_size=(min_size, min_size),
            max_size=tuple(max_size),
            min_neighbor_number=self.min_neighbors,
        )
        faces = [
            Face(d["r"], d["c"], d["height"], d["width"]).mapped(1 / scale, offset) for d in found
        ]
        return non_max_suppression(faces, weighted=False)

    def detect_near(self, image, face, target=40):
        """Search for ``face`` again in a window twice its size around it."""
        from skimage.transform import resize

        gray = to_gray(image)
        pad_r, pad_c = int(face["height"] // 2), int(face["width"] // 2)
        top, left = max(0, int(face["row"]) - pad_r), max(0, int(face["col"]) - pad_c)
        bottom = min(gray.shape[0], int(face["row"] + face["height"]) + pad_r)
        right = min(gray.shape[1], int(face["col"] + face["width"]) + pad_c)
        window = gray[top:bottom, left:right]
        scale = min(1.0, target / face["height"])
        if scale < 1:
            shape = tuple(max(1, round(n * scale)) for n in window.shape)
            window = resize(window, shape, anti_aliasing=False)
        low = max(self.min_size, int(face["height"] * scale / 1.5))
        if min(window.shape) < low:
            return None
        candidates = self._search(window, scale, low, (min(window.shape),) * 2, (top, left))
        return max(candidates, key=lambda c: iou(c, face), default=None)
