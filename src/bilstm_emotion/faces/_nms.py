"""Non-maximum suppression: one box per face, whichever detector found them."""

import numpy as np

from ._types import Face, containment, iou

__all__ = ["non_max_suppression"]


def non_max_suppression(faces, *, iou_threshold=0.3, max_containment=0.6, weighted=True):
    """Keep one face per cluster of overlapping detections.

    Faces are taken best score first (largest first on ties); every later face
    that overlaps a kept one by ``iou_threshold`` or more (intersection over
    union), or lies ``max_containment`` or more inside it (or around it), joins
    that face's cluster instead of becoming a face of its own.

    Parameters
    ----------
    faces : list of Face
        Detections of one image.
    iou_threshold : float, default=0.3
        Overlap that makes two detections one face.
    max_containment : float, default=0.6
        Share of the smaller box inside the larger that makes them one face
        (catches a box nested in another, whose IoU can be small).
    weighted : bool, default=True
        Replace each kept face's box and landmarks by the score-weighted mean
        of its cluster (MediaPipe's "weighted" suppression: steadier boxes);
        ``False`` keeps the best detection as it is.

    Returns
    -------
    faces : list of Face
        Best score first.

    Examples
    --------
    >>> from bilstm_emotion.faces import Face, non_max_suppression
    >>> boxes = [Face(0, 0, 10, 10, 0.9), Face(1, 1, 10, 10, 0.8), Face(2, 2, 4, 4, 0.7),
    ...          Face(50, 50, 10, 10, 0.6)]
    >>> [(f.row, f.score) for f in non_max_suppression(boxes, weighted=False)]
    [(0, 0.9), (50, 0.6)]
    """
    order = sorted(faces, key=lambda f: (f.score, f.area), reverse=True)
    clusters = []
    for face in order:
        for cluster in clusters:
            best = cluster[0]
            if iou(face, best) >= iou_threshold or containment(face, best) >= max_containment:
                cluster.append(face)
                break
        else:
            clusters.append([face])
    if not weighted:
        return [cluster[0] for cluster in clusters]
    return [_weighted(cluster) for cluster in clusters]


def _weighted(cluster):
    best = cluster[0]
    # only detections that really are the same box are averaged (a nested box is not)
    same = [f for f in cluster if iou(f, best) >= 0.3]
    if len(same) == 1:
        return best
    w = np.array([f.score for f in same], dtype=float)
    w = w / w.sum() if w.sum() > 0 else np.full(len(same), 1 / len(same))

    def mean(values):
        return float(np.dot(w, values))

    landmarks = {}
    for name in best.landmarks:
        points = [f.landmarks.get(name) for f in same]
        if all(p is not None for p in points):
            landmarks[name] = (mean([p[0] for p in points]), mean([p[1] for p in points]))
    return Face(
        row=mean([f.row for f in same]),
        col=mean([f.col for f in same]),
        height=mean([f.height for f in same]),
        width=mean([f.width for f in same]),
        score=best.score,
        landmarks=landmarks,
    )
