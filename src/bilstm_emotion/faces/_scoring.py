"""Score a detector's boxes against hand-checked ones (recall, false positives, duplicates)."""

from ._types import containment, iou

__all__ = ["score_detections"]


def _box(xywh):
    x, y, w, h = xywh
    return {"row": y, "col": x, "height": h, "width": w}


def score_detections(found, truth, *, min_iou=0.4):
    """Match detections to true faces image by image.

    The rule of the project's real-photo benchmark: a detection matches a
    face when IoU >= ``min_iou`` (greedy by IoU, one to one); an unmatched
    detection on an ignore region is dropped; one that overlaps an already
    matched face (IoU >= ``min_iou``, or 60 % or more of it inside that face)
    is a duplicate; every other unmatched detection is a false positive.

    Parameters
    ----------
    found : list of list of (Face or box dict)
        Per image, the detections.
    truth : list of dict
        Per image, ``{"faces": [{"box": [x, y, w, h]}, ...], "ignore": [{"box": ...}, ...]}``
        (the layout of ``labels.json`` in the benchmark's data).
    min_iou : float, default=0.4

    Returns
    -------
    scores : dict
        ``faces``, ``images``, ``hits``, ``recall``, ``false_positives``,
        ``false_positives_per_image``, ``duplicates``, ``exact_images`` (the
        number of images whose face count is exactly right) and ``per_image``
        (``hits``, ``false_positives``, ``duplicates``, ``missed`` indices).

    Examples
    --------
    >>> from bilstm_emotion.faces import Face, score_detections
    >>> truth = [{"faces": [{"box": [0, 0, 10, 10]}], "ignore": []}]
    >>> s = score_detections([[Face(1, 1, 10, 10), Face(0, 0, 9, 9), Face(50, 50, 5, 5)]], truth)
    >>> s["hits"], s["duplicates"], s["false_positives"]
    (1, 1, 1)
    """
    if len(found) != len(truth):
        raise ValueError(
            f"Expected one list of detections per image. Received: {len(found)} lists "
            f"for {len(truth)} images"
        )
    totals = {"faces": 0, "hits": 0, "false_positives": 0, "duplicates": 0, "exact_images": 0}
    per_image = []
    for detections, image in zip(found, truth, strict=True):
        faces = [_box(f["box"]) for f in image["faces"]]
        ignore = [_box(b["box"] if isinstance(b, dict) else b) for b in image.get("ignore", [])]
        pairs = sorted(
            ((iou(d, f), i, j) for i, d in enumerate(detections) for j, f in enumerate(faces)),
            reverse=True,
        )
        matched, used = {}, set()
        for overlap, i, j in pairs:
            if overlap < min_iou:
                break
            if i not in matched and j not in used:
                matched[i], used = j, used | {j}
        fp = dup = 0
        for i, d in enumerate(detections):
            if i in matched:
                continue
            if any(iou(d, g) >= min_iou or containment(d, g) >= 0.6 for g in ignore):
                continue
            hit = [faces[j] for j in used]
            if any(iou(d, f) >= min_iou or _inside(d, f) >= 0.6 for f in hit):
                dup += 1
            else:
                fp += 1
        totals["faces"] += len(faces)
        totals["hits"] += len(matched)
        totals["false_positives"] += fp
        totals["duplicates"] += dup
        totals["exact_images"] += int(len(matched) == len(faces) and fp == dup == 0)
        per_image.append(
            {
                "hits": len(matched),
                "false_positives": fp,
                "duplicates": dup,
                "missed": [j for j in range(len(faces)) if j not in used],
            }
        )
    n = len(truth)
    return {
        **totals,
        "images": n,
        "recall": totals["hits"] / totals["faces"] if totals["faces"] else 1.0,
        "false_positives_per_image": totals["false_positives"] / n if n else 0.0,
        "per_image": per_image,
    }


def _inside(d, f):
    """Share of detection ``d`` that lies inside face ``f``."""
    area = d["height"] * d["width"]
    if area <= 0:
        return 0.0
    return containment(d, f) * min(area, f["height"] * f["width"]) / area
