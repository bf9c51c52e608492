"""Faces followed through video frames, and the per-frame timeline they make."""

from dataclasses import dataclass, field

import numpy as np

from ..faces import BOX_FIELDS, containment, iou
from ..monitoring import FacePredictor, empty_record, face_record
from ._video_io import read_frames


class FaceTracker:
    """Give each face one id across frames by matching boxes (greedy IoU).

    A box that is not matched and lies mostly (over half its area) inside, or
    around, a box already taken in the same frame is dropped as a duplicate
    detection of that face.

    Parameters
    ----------
    min_iou : float, default=0.3
        Overlap (intersection over union) a box needs with a tracked face's
        last box to continue it; otherwise it starts a new face.
    max_missing : float, default=1.0
        Seconds a face may go unseen before its id is retired.
    """

    def __init__(self, *, min_iou=0.3, max_missing=1.0):
        self.min_iou = min_iou
        self.max_missing = max_missing
        self.tracks = {}  # id -> (box, last time seen)
        self._next_id = 1

    def update(self, boxes, time):
        """Match ``boxes`` (seen at ``time``) to tracked faces; return ``[(id, box)]``."""
        self.tracks = {
            i: (box, seen)
            for i, (box, seen) in self.tracks.items()
            if time - seen <= self.max_missing
        }
        pairs = sorted(
            (
                (iou(box, tracked), j, i)
                for j, box in enumerate(boxes)
                for i, (tracked, _) in self.tracks.items()
            ),
            reverse=True,
        )
        ids, used = {}, set()
        for overlap, j, i in pairs:
            if overlap < self.min_iou:
                break
            if j not in ids and i not in used:
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
                self.tracks[ids[j]] = (box, time)
                out.append((ids[j], box))
        return out


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
    source : str, path-like or int
        Video file or camera index (see :func:`read_frames`).
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
    for index, time, gray, rgb in read_frames(source, fps=fps, color=color):
        yield VideoFrame(index, time, analyzer.records(gray, time, index, source), rgb)


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

    def records(self, gray, time, index, source):
        """One record per tracked face of the frame ``gray`` seen at ``time`` seconds."""
        predictor, tracker = self.predictor, self.tracker
        if time - self._last_full >= self.detect_every:
            boxes, self._last_full = predictor.boxes(gray), time
        else:
            near = (
                predictor.detector.detect_near(gray, box) for box, _ in tracker.tracks.values()
            )
            boxes = [b for b in near if b is not None]
        faces = tracker.update(boxes, time)
        proba = predictor.classify(gray, [box for _, box in faces])
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
