"""Faces followed through video frames, and the per-frame timeline they make."""

from dataclasses import dataclass, field

import numpy as np

from ..core._pixels import to_gray
from ..faces import BOX_FIELDS, containment, iou
from ..monitoring import FacePredictor, empty_record, face_record
from ._video_io import read_frames

#: The detector's tiles for a video call's window (a shared call, a screen). Nine
#: participants at 1280x720 make faces about 95 pixels high, 7 % of the window's width:
#: BlazeFace's default 2x2 tiles found 4 of the 9 faces of ``make_demo_call``'s grid, its
#: finer 3x3 tiles all 9, in 88 ms a search against 47 ms (2-core Xeon, onnxruntime).
CALL_TILES = "fine"


def call_detector(detector=None):
    """A copy of ``detector`` that searches the finer tiles (:data:`CALL_TILES`) a video
    call's grid of small faces needs; ``None``: BlazeFace, every face. A detector without
    a ``tiles`` parameter is returned as it is."""
    from sklearn.base import clone

    from ..preprocessing import FaceDetector

    if detector is None:
        return FaceDetector(select="all", tiles=CALL_TILES)
    if "tiles" not in getattr(detector, "get_params", dict)():
        return detector
    return clone(detector).set_params(tiles=CALL_TILES)


def appearance(image, box, *, context=1.6, side=16):
    """What a face looks like, for telling faces apart: a unit vector, or ``None``.

    Made from the box grown ``context`` times about its centre (the face, hair,
    shoulders and what is behind them, which in a video call is the
    participant's room): half its weight on the region's gray pattern at
    ``side`` x ``side`` pixels (mean removed), half on its colours (a 4x4x4
    histogram, square-rooted). The dot product of two is their similarity, 1
    for the same picture. ``None`` where the box lies outside the image. The
    region is first thinned to about ``2 * side`` pixels a side, so a large
    face costs what a small one does.

    On the 145 faces of 30 pixels and more of the 87 real photos of
    ``faces-dev``, a face against itself rescaled 0.6-1.5 times, its box moved
    by 6 % of its size, re-encoded and its brightness changed by 10 % scored
    0.90 (median; 5th percentile 0.74) and two different faces 0.43 (median;
    95th percentile 0.67, 99th 0.76). 0.17 ms a face, 60 to 400 pixels (2-core Xeon).
    """
    from skimage.transform import resize

    pixels = np.asarray(image)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    height, width = box["height"] * context, box["width"] * context
    cy, cx = box["row"] + box["height"] / 2, box["col"] + box["width"] / 2
    top, left = max(0, int(cy - height / 2)), max(0, int(cx - width / 2))
    bottom = min(pixels.shape[0], int(cy + height / 2) + 1)
    right = min(pixels.shape[1], int(cx + width / 2) + 1)
    if bottom - top < 2 or right - left < 2:
        return None
    step = max(1, min(bottom - top, right - left) // (2 * side))
    crop = pixels[top:bottom:step, left:right:step].astype(np.float32)
    if crop.ndim == 2:
        crop = np.repeat(crop[..., None], 3, axis=2)
    crop = crop[..., :3]
    if pixels.dtype == np.uint8 or crop.max() > 1.5:  # 0-255, else 0-1
        crop /= 255
    np.clip(crop, 0, 1, out=crop)
    gray = to_gray(resize(crop, (side, side), anti_aliasing=True))
    pattern = (gray - gray.mean()).ravel()
    pattern /= np.linalg.norm(pattern) + 1e-6
    bins = np.minimum((crop * 4).astype(np.int64), 3)
    colours = np.bincount((bins @ np.array([16, 4, 1])).ravel(), minlength=64)
    colours = np.sqrt(colours / colours.sum()).astype(np.float32)
    look = np.concatenate([pattern, colours])
    return look / np.linalg.norm(look)


class FaceTracker:
    """Give each face one id across frames: by where it is and, if asked, how it looks.

    By place, a box continues the tracked face it overlaps most (greedy IoU).
    With ``remember`` and the boxes' :func:`appearance`, looks come first: a
    box and a face (tracked, or gone within ``remember`` seconds) that are each
    other's best match get paired wherever the box is, so a face that turns up
    elsewhere keeps or gets back its id (in a video call, tiles move when
    someone joins or leaves and when the window is resized, and a participant
    whose video was off comes back); the other boxes go by place. A box that
    is not matched and lies mostly (over half its area) inside, or around, a
    box already taken in the same frame is dropped as a duplicate detection of
    that face.

    Parameters
    ----------
    min_iou : float, default=0.3
        Overlap (intersection over union) a box needs with a tracked face's
        last box to continue it; otherwise it starts a new face.
    max_missing : float, default=1.0
        Seconds a face may go unseen before its id is retired.
    remember : float, default=600.0
        Seconds a retired face's appearance is kept, to recognise it where it
        turns up again; ``0`` recognises faces by place only. While
        appearances are used (``remember > 0`` and :meth:`update` given
        them), a box in a face's place that looks unlike it (similarity under
        ``min_stay``: someone else took the tile) does not continue it.
    min_similarity : float, default=0.8
        Similarity of appearances that recognises a face elsewhere, where the
        two are also each other's best match.
    min_stay : float, default=0.7
        Similarity a box in a face's place needs to continue it.
    """

    #: The most retired faces remembered at once (the longest gone are forgotten first).
    max_remembered = 100

    def __init__(
        self, *, min_iou=0.3, max_missing=1.0, remember=600.0, min_similarity=0.8, min_stay=0.7
    ):
        self.min_iou = min_iou
        self.max_missing = max_missing
        self.remember = remember
        self.min_similarity = min_similarity
        self.min_stay = min_stay
        self.tracks = {}  # id -> (box, last time seen)
        self.looks = {}  # id -> appearance, of tracked and remembered faces
        self.retired = {}  # id -> time last seen, of faces remembered by appearance
        self._next_id = 1

    def update(self, boxes, time, appearances=None):
        """Match ``boxes`` (seen at ``time``) to tracked faces; return ``[(id, box)]``.

        ``appearances`` (one :func:`appearance` per box, ``None`` where unknown)
        lets ``remember`` work. With them, a box first goes to the face, tracked
        or gone, it looks like, wherever it is, where the two are each other's
        best match (over ``min_similarity``): when a call's tiles shift, a
        participant's new place is usually another's old one. The boxes left
        continue the faces whose place they take, unless they look unlike them
        or more like another face; the rest are new faces.
        """
        looks = appearances if self.remember > 0 else None
        for i, (_, seen) in list(self.tracks.items()):
            if time - seen > self.max_missing:
                del self.tracks[i]
                if looks is not None and i in self.looks:
                    self.retired[i] = seen
        self._forget(time)
        ids, used = {}, set()
        alike = self._recognise(boxes, looks, ids, used) if looks is not None else {}
        pairs = sorted(
            (
                (iou(box, tracked), j, i)
                for j, box in enumerate(boxes)
                for i, (tracked, _) in self.tracks.items()
            ),
            reverse=True,
        )
        for overlap, j, i in pairs:
            if overlap < self.min_iou:
                break
            if j in ids or i in used:
                continue
            similarity = self._similarity(looks, j, i)
            if similarity is not None:
                if similarity < self.min_stay:
                    continue  # someone else in this face's place
                rivals = (v for f, v in alike.get(j, ()) if f != i and f not in used)
                if next(rivals, -1.0) > similarity:
                    continue  # more like another face, not yet placed
            ids[j] = i
            used.add(i)
        kept = [boxes[j] for j in ids]
        for j, box in enumerate(boxes):
            if j in ids:
                continue
            if any(containment(box, other) > 0.5 for other in kept):
                continue  # a second box around a face already seen: not a new face
            ids[j] = self._next_id
            self._next_id += 1
            kept.append(box)
        out = []
        for j, box in enumerate(boxes):
            if j in ids:
                i = ids[j]
                self.tracks[i] = (box, time)
                self.retired.pop(i, None)
                if looks is not None and looks[j] is not None:
                    old = self.looks.get(i, looks[j])
                    mean = 0.8 * old + 0.2 * looks[j]  # a running look: lights change
                    self.looks[i] = mean / (np.linalg.norm(mean) or 1.0)
                out.append((i, box))
        return out

    def _similarity(self, looks, j, i):
        """How much box ``j`` looks like face ``i``; ``None`` where either is unknown."""
        if looks is None or looks[j] is None or i not in self.looks:
            return None
        return float(looks[j] @ self.looks[i])

    def _recognise(self, boxes, looks, ids, used):
        """Pair boxes and faces (tracked or gone) that are each other's best match by
        looks, over ``min_similarity``, most alike first; a box mostly inside or around
        one already paired is left out (a second detection of that face). Returns, for
        each box, the faces it looks like over ``min_similarity``, most alike first:
        ``{box: [(face, similarity), ...]}``."""
        known = [j for j in range(len(boxes)) if looks[j] is not None]
        faces = list(self.looks)
        if not known or not faces:
            return {}
        similarity = np.array([[float(looks[j] @ self.looks[i]) for i in faces] for j in known])
        rows, cols = similarity.argmax(axis=1), similarity.argmax(axis=0)
        alike = {
            j: sorted(
                (
                    (faces[b], float(v))
                    for b, v in enumerate(similarity[a])
                    if v >= self.min_similarity
                ),
                key=lambda pair: -pair[1],
            )
            for a, j in enumerate(known)
        }
        mutual = sorted(
            ((similarity[a, b], a, b) for a, b in enumerate(rows) if cols[b] == a),
            reverse=True,
        )
        for value, a, b in mutual:
            j = known[a]
            if value < self.min_similarity:
                break
            if any(containment(boxes[j], boxes[k]) > 0.5 for k in ids):
                continue
            ids[j] = faces[b]
            used.add(faces[b])
        return alike

    def _forget(self, time):
        for i, seen in list(self.retired.items()):
            if time - seen > self.remember:
                del self.retired[i]
        while len(self.retired) > self.max_remembered:
            del self.retired[min(self.retired, key=self.retired.get)]
        for i in list(self.looks):
            if i not in self.tracks and i not in self.retired:
                del self.looks[i]


@dataclass
class VideoFrame:
    """What :func:`analyze_video` found in one sampled frame."""

    index: int
    time: float
    records: list = field(default_factory=list)
    rgb: np.ndarray | None = None


def analyze_video(
    source,
    estimator=None,
    *,
    fps=None,
    detect_every=1.0,
    detector=None,
    tracker=None,
    color=False,
):
    """Track the faces of a video and classify their emotion in every sampled frame.

    Parameters
    ----------
    source : str, path-like, int or Screen
        Video file, camera index or screen (see :func:`read_frames`).
    estimator : fitted classifier or None
        ``None`` loads the default pretrained model.
    fps : float or None
        Frames per second to analyse; ``None``: every frame.
    detect_every : float, default=1.0
        Seconds between searches of the whole frame (new faces appear at
        most this late); in between, tracked faces are searched near their
        last position. ``0`` searches the whole of every frame.
    detector : FaceDetector or None
        ``None``: ``FaceDetector(select="all")``.
    tracker : FaceTracker or None
        ``None``: ``FaceTracker()``.
    color : bool, default=False
        Keep each RGB frame in :attr:`VideoFrame.rgb` (for drawing).

    Yields
    ------
    frame : VideoFrame
        Its ``records`` hold one record per face (see
        :mod:`bilstm_emotion.monitoring`) whose ``face`` is the tracker's
        id, plus ``frame`` and ``time`` (seconds).
    """
    analyzer = FrameAnalyzer(
        FacePredictor(estimator, detector=detector), tracker=tracker, detect_every=detect_every
    )
    # faces are found in colour: on gray frames BlazeFace misses small faces it finds in
    # colour (1 of a 3x3 grid of 95-pixel faces at 1280x720, against all 9)
    for index, time, _, rgb in read_frames(source, fps=fps, color=True):
        records = analyzer.records(rgb, time, index, source)
        yield VideoFrame(index, time, records, rgb if color else None)


class FrameAnalyzer:
    """The faces of one stream's frames, one at a time: find, track, classify.

    What :func:`analyze_video` does to each frame, for frames that arrive
    from elsewhere (a browser's camera, over a WebSocket).

    Parameters
    ----------
    predictor : FacePredictor
        Detects and classifies.
    tracker : FaceTracker or None
        ``None``: ``FaceTracker()``.
    detect_every : float, default=1.0
        Seconds between searches of the whole frame; in between, tracked faces
        are searched near their last position.
    """

    def __init__(self, predictor, *, tracker=None, detect_every=1.0):
        self.predictor = predictor
        self.tracker = tracker if tracker is not None else FaceTracker()
        self.detect_every = detect_every
        self._last_full = -np.inf

    def records(self, image, time, index, source):
        """One record per tracked face of the frame ``image`` (RGB or gray; faces are
        found in colour where it has it) seen at ``time`` seconds."""
        predictor, tracker = self.predictor, self.tracker
        if time - self._last_full >= self.detect_every:
            boxes, self._last_full = predictor.boxes(image), time
        else:
            near = (
                predictor.detector.detect_near(image, box) for box, _ in tracker.tracks.values()
            )
            boxes = []
            for box in near:  # two faces' windows may find the same face: keep it once
                if box is not None and all(containment(box, other) <= 0.5 for other in boxes):
                    boxes.append(box)
        looks = [appearance(image, box) for box in boxes] if tracker.remember > 0 else None
        faces = tracker.update(boxes, time, looks)
        proba = predictor.classify(image, [box for _, box in faces])
        records = []
        for (face_id, box), p in zip(faces, proba, strict=True):
            record = face_record(source, face_id, box, p, predictor.classes)
            record.update(frame=index, time=round(time, 3))
            records.append(record)
        return records


def timeline_fields(classes):
    """The columns of a timeline (``video``'s timeline.csv, the web app's CSV)."""
    return ["time", "frame", "face", *BOX_FIELDS, "label", "score", *classes, "status"]


def timeline_records(frame, classes):
    """The timeline rows of one :class:`VideoFrame`: its faces, or one ``"no face"`` row."""
    if frame.records:
        return frame.records
    record = empty_record("", classes, "no face")
    record.update(time=round(frame.time, 3), frame=frame.index)
    return [record]
